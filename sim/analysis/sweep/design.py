"""A resolved sweep: the varied fields, the design points, and each run's point, replication and seed.

Runs are numbered point * replications + replication. Point p runs with root seed
`point_seed(sweep seed, p)` and its replication r draws from (that seed, r), exactly as
`gpsim run --seed <point seed>` would (sim.results.seeds), so a run's result depends on nothing
else: not the number of workers, the order runs finish in, nor the machine.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sim.analysis import evaluate as experiment
from sim.analysis.sweep.spec import Parameter, SweepSpec
from sim.results.seeds import design_seed, point_seed


@dataclass
class Varied:
    """A varied field: its key path, value type and specification."""

    key: str
    kind: str  # "int", "float", "bool" or "text"
    spec: Parameter

    def arrow_type(self) -> pa.DataType:
        return {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}.get(self.kind, pa.string())

    def cast(self, value: Any) -> Any:
        if self.kind == "int":
            return int(np.rint(value))
        if self.kind == "float":
            return float(value)
        return value

    def grid_values(self) -> list[Any]:
        if self.spec.values is not None:
            return [self.cast(v) for v in self.spec.values]
        low, high = self.spec.range
        return [self.cast(v) for v in np.linspace(low, high, self.spec.steps)]

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Values for draws in [0, 1] under the parameter's distribution."""
        from scipy import stats
        spec = self.spec
        if spec.values is not None:
            index = np.minimum((u * len(spec.values)).astype(int), len(spec.values) - 1)
            return [self.cast(spec.values[i]) for i in index]
        low, high = spec.range
        if spec.distribution == "uniform":
            x = low + u * (high - low)
        elif spec.distribution == "loguniform":
            x = np.exp(np.log(low) + u * (np.log(high) - np.log(low)))
        elif spec.distribution == "triangular":
            x = stats.triang.ppf(u, c=(spec.mode - low) / (high - low), loc=low, scale=high - low)
        else:
            x = stats.truncnorm.ppf(u, (low - spec.mean) / spec.sd, (high - spec.mean) / spec.sd, loc=spec.mean, scale=spec.sd)
        return [self.cast(v) for v in np.clip(x, low, high)]


@dataclass
class Sweep:
    """A validated sweep: the spec, the base scenario data and the varied fields."""

    spec: SweepSpec
    source: str
    scenario_path: Path
    base: dict
    varied: list[Varied]
    months: int
    _design: tuple | None = field(default=None, repr=False)

    @property
    def outcomes(self) -> list[str]:
        return list(self.spec.outcomes)

    def fingerprint(self) -> str:
        """What fixes every run's result: the spec (less the base's file name) and the base data."""
        spec = self.spec.model_dump(mode="json")
        spec.pop("scenario")
        for key in ("title", "description"):
            spec.pop(key)
        text = json.dumps({"spec": spec, "base": self.base}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def design(self) -> tuple[np.ndarray | None, list[dict[str, Any]]]:
        """The design points: the unit-cube sample (None for a grid) and each point's values."""
        if self._design is None:
            self._design = _design(self)
        return self._design

    @property
    def points(self) -> int:
        return len(self.design()[1])

    @property
    def total_runs(self) -> int:
        return self.points * self.spec.replications

    def run(self, run_id: int) -> tuple[int, int, int, int, dict[str, Any]]:
        """(run id, point, replication, seed) and the point's values for one run."""
        point, replication = divmod(run_id, self.spec.replications)
        seed = point_seed(self.spec.seed, point, self.spec.common_random_numbers)
        return run_id, point, replication, seed, self.design()[1][point]

    def schema(self) -> pa.Schema:
        """The columns of runs.parquet, fixed so every part file matches."""
        fields = [pa.field("run_id", pa.int64()), pa.field("point", pa.int64()),
                  pa.field("replication", pa.int64()), pa.field("seed", pa.int64())]
        if self.spec.uncertainty == "parameters":
            fields.append(pa.field("parameter_set", pa.int64()))
        fields += [pa.field(v.key, v.arrow_type()) for v in self.varied]
        fields += [pa.field(name, pa.float64()) for name in self.spec.outcomes]
        fields += [pa.field(column + experiment.SERIES_SUFFIX, pa.list_(pa.float64())) for column in self.spec.series]
        return pa.schema(fields)



def unit_problem(sweep: Sweep) -> dict:
    """The SALib problem over the unit cube (values are mapped to each field afterwards)."""
    return {"num_vars": len(sweep.varied), "names": [v.key for v in sweep.varied],
            "bounds": [[0.0, 1.0]] * len(sweep.varied)}


def _design(sweep: Sweep) -> tuple[np.ndarray | None, list[dict[str, Any]]]:
    spec = sweep.spec
    if spec.design == "grid":
        keys = [v.key for v in sweep.varied]
        return None, [dict(zip(keys, combo)) for combo in itertools.product(*(v.grid_values() for v in sweep.varied))]
    problem, seed = unit_problem(sweep), design_seed(spec.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if spec.design == "latin":
            from SALib.sample import latin
            unit = latin.sample(problem, spec.samples, seed=seed)
        elif spec.design == "sobol":
            from SALib.sample import sobol
            unit = sobol.sample(problem, spec.samples, calc_second_order=spec.second_order, seed=seed)
        else:
            from SALib.sample import morris
            unit = morris.sample(problem, spec.samples, num_levels=spec.levels, seed=seed)
    columns = [v.from_unit(unit[:, i]) for i, v in enumerate(sweep.varied)]
    points = [{v.key: columns[i][row] for i, v in enumerate(sweep.varied)} for row in range(unit.shape[0])]
    return unit, points

