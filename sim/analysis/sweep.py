"""Parameter sweeps: a sweep file, its design, the runs, their results on disk and sensitivity.

A sweep file names a base scenario, the scenario fields to vary (by key path), a design (full
grid, Latin hypercube, Sobol or Morris), replications, the outcomes to keep and a root seed.
Runs are numbered point * replications + replication; each run's seed comes from the root seed
and its run id through numpy's SeedSequence, so a run's result depends on nothing else: not the
number of workers, the order runs finish in, nor the machine.

Results stream to disk in part files (one per batch of finished runs, written to a temporary
name then renamed), so a sweep killed at any moment resumes where it stopped; at the end the
parts are gathered into runs.parquet, sorted by run id, identical whatever happened on the way.
"""
from __future__ import annotations

import difflib
import gc
import hashlib
import itertools
import json
import math
import os
import re
import shutil
import signal
import time
import warnings
from concurrent import futures as cf
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, get_args, get_origin

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.analysis import evaluate as experiment
from sim.report.charts import PALETTE, STYLE, plt, source_note
from sim.results.folder import versions
from sim.scenario.errors import InputError
from sim.scenario.loading import (
    read_scenario_data,
    read_yaml,
    set_path,
    timeline,
    validate,
)
from sim.scenario.schema import Scenario

DESIGNS = ("grid", "latin", "sobol", "morris")
DISTRIBUTIONS = ("uniform", "loguniform", "triangular", "normal")
FIXED_BY_SWEEP = ("seed", "replications", "name", "changes")
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
_SCHEDULER = re.compile(r"^(tcp|tls|ucx|ws|wss|inproc)://[^\s/]+$")


# -- the sweep file ---------------------------------------------------------------------------
class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Parameter(_Spec):
    """One scenario field to vary: a list of values, or a range with a distribution."""

    values: list[Any] | None = Field(None, min_length=1, description="The values to try (grid), or to draw from evenly (other designs).")
    range: list[float] | None = Field(None, min_length=2, max_length=2, description="Lowest and highest value.")
    steps: int | None = Field(None, ge=2, le=1000, description="Grid only: evenly spaced values across the range.")
    distribution: Literal["uniform", "loguniform", "triangular", "normal"] = Field("uniform", description="How values are drawn across the range.")
    mode: float | None = Field(None, description="Triangular: the most likely value.")
    mean: float | None = Field(None, description="Normal (truncated to the range): the mean.")
    sd: float | None = Field(None, gt=0, description="Normal (truncated to the range): the standard deviation.")

    @model_validator(mode="after")
    def _consistent(self) -> "Parameter":
        if (self.values is None) == (self.range is None):
            raise ValueError("either values or range (not both)")
        if self.range is not None:
            low, high = self.range
            if not low < high:
                raise ValueError(f"a range [low, high] with low below high, found {self.range}")
            if self.distribution == "loguniform" and low <= 0:
                raise ValueError(f"a range above 0 for loguniform, found {self.range}")
            if self.distribution == "triangular" and (self.mode is None or not low <= self.mode <= high):
                raise ValueError(f"a mode inside the range for triangular, found {self.mode}")
            if self.distribution == "normal" and (self.mean is None or self.sd is None):
                raise ValueError("a mean and sd for normal")
        return self


class SweepSpec(_Spec):
    """A sweep file."""

    name: str = Field(..., min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$", description="Short name; the default output folder is outputs/sweep-<name>.")
    title: str = Field("", max_length=200, description="One-line title for charts.")
    description: str = Field("", description="What the sweep asks.")
    scenario: str = Field(..., min_length=1, description="Base scenario file, relative to the sweep file.")
    set: dict[str, Any] = Field({}, description="Scenario fields fixed for every run (key path: value), applied to the base.")
    design: Literal["grid", "latin", "sobol", "morris"] = Field(..., description="grid (every combination), latin (Latin hypercube), sobol (Saltelli) or morris (elementary effects).")
    samples: int | None = Field(None, gt=0, le=1_000_000, description="latin: points; sobol: base sample N (a power of 2); morris: trajectories.")
    levels: int = Field(4, ge=2, le=100, description="morris: grid levels.")
    second_order: bool = Field(False, description="sobol: also second-order indices (costs N*(2k+2) points instead of N*(k+2)).")
    replications: int = Field(1, gt=0, le=10_000, description="Replications of each design point.")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Root seed: every run's seed derives from it and the run id.")
    common_random_numbers: bool = Field(False, description="Give every design point the same draws for the same replication (seed = root seed, as in `gpsim run`).")
    parameters: dict[str, Parameter] = Field(..., min_length=1, description="Scenario fields to vary, by key path.")
    outcomes: list[str] = Field(list(experiment.DEFAULT_OUTCOMES), min_length=1, description="Scalar outcomes to keep (see sim.experiment.OUTCOMES).")
    series: list[str] = Field([], description="National figures to keep as yearly series.")
    confidence: float = Field(0.95, gt=0, lt=1, description="Confidence level of the sensitivity intervals.")
    resamples: int = Field(100, ge=10, le=100_000, description="Bootstrap resamples for the sensitivity intervals.")


def _allowed(model: type[BaseModel], loc: tuple) -> list[str]:
    node: Any = model
    for part in loc:
        if isinstance(node, type) and issubclass(node, BaseModel):
            field_info = node.model_fields.get(str(part))
            node = field_info.annotation if field_info else None
        elif get_origin(node) is dict:
            node = get_args(node)[1]
        else:
            return []
        while get_origin(node) is not None and get_origin(node) is not dict:
            node = next((a for a in get_args(node) if a is not type(None)), None)
    return list(node.model_fields) if isinstance(node, type) and issubclass(node, BaseModel) else []


def _spec_error(error: dict) -> tuple[str, str]:
    loc = tuple(str(p) for p in error["loc"])
    key = ".".join(loc)
    if error["type"] == "extra_forbidden":
        options = _allowed(SweepSpec, loc[:-1])
        guess = difflib.get_close_matches(loc[-1], options, n=1)
        hint = f" (did you mean '{guess[0]}'?)" if guess else ""
        return key, f"unknown key '{loc[-1]}'{hint}; expected one of: {', '.join(options)}"
    if error["type"] == "missing":
        return key, "expected a value; found the key missing"
    message = error["msg"].removeprefix("Value error, ").replace("Input should be ", "").replace("String should ", "")
    found = error.get("input")
    shown = "a mapping" if isinstance(found, dict) else repr(found)
    return key, f"expected {message}; found {shown[:60]}"


# -- the resolved sweep -----------------------------------------------------------------------
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
        if self.spec.common_random_numbers:
            seed = self.spec.seed
        else:
            seed = run_seed(self.spec.seed, run_id)
        return run_id, point, replication, seed, self.design()[1][point]

    def schema(self) -> pa.Schema:
        """The columns of runs.parquet, fixed so every part file matches."""
        fields = [pa.field("run_id", pa.int64()), pa.field("point", pa.int64()),
                  pa.field("replication", pa.int64()), pa.field("seed", pa.int64())]
        fields += [pa.field(v.key, v.arrow_type()) for v in self.varied]
        fields += [pa.field(name, pa.float64()) for name in self.spec.outcomes]
        fields += [pa.field(column + experiment.SERIES_SUFFIX, pa.list_(pa.float64())) for column in self.spec.series]
        return pa.schema(fields)


def run_seed(root_seed: int, run_id: int) -> int:
    """A run's seed: numpy SeedSequence of the root seed with the run id as spawn key (63 bits)."""
    state = np.random.SeedSequence(int(root_seed), spawn_key=(int(run_id),)).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1])) & (2**63 - 1)


def _field_kind(key: str, base: dict, source: str) -> str:
    """The value type of a scenario field named by key path, or InputError if there is none."""
    where = f"parameters.{key}"
    parts = key.split(".")
    if not key or any(not p for p in parts):
        raise InputError(source, where, "expected a dotted key path of a scenario field such as behaviour.peer_weight")
    if parts[0] in FIXED_BY_SWEEP:
        raise InputError(source, where, f"expected a scenario field the sweep may vary; found '{parts[0]}', which the sweep sets itself or cannot vary")
    node: Any = Scenario
    data: Any = base
    for depth, part in enumerate(parts):
        while get_origin(node) is not None and get_origin(node) not in (dict, list, Literal):
            node = next(a for a in get_args(node) if a is not type(None))
        prefix = ".".join(parts[:depth]) or "the scenario"
        if isinstance(node, type) and issubclass(node, BaseModel):
            if part not in node.model_fields:
                options = list(node.model_fields)
                guess = difflib.get_close_matches(part, options, n=1)
                hint = f" (did you mean '{guess[0]}'?)" if guess else ""
                raise InputError(source, where, f"expected a field of {prefix}{hint} ({', '.join(options)}); found '{part}'")
            node = node.model_fields[part].annotation
        elif get_origin(node) is dict:
            names = list(data) if isinstance(data, dict) else []
            if part not in names:
                raise InputError(source, where, f"expected one of the base scenario's {prefix} ({', '.join(names) or 'none'}); found '{part}'")
            node = get_args(node)[1]
        else:
            raise InputError(source, where, f"expected a scenario field; found '{prefix}' holds a single value")
        data = data.get(part, {}) if isinstance(data, dict) else {}
    while get_origin(node) is not None and get_origin(node) not in (dict, list, Literal):
        node = next(a for a in get_args(node) if a is not type(None))
    if node is bool:
        return "bool"
    if node is int:
        return "int"
    if node is float:
        return "float"
    if node is str or get_origin(node) is Literal:
        return "text"
    raise InputError(source, where, "expected a field holding a single value; found a section or list")


def _check_value(base: dict, key: str, value: Any, source: str, where: str) -> None:
    data = json.loads(json.dumps(base))
    set_path(data, key, value, source=source)
    try:
        validate(data, source)
    except InputError as error:
        raise InputError(source, where, error.problem) from None


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file and its base scenario; InputError for any problem."""

    path = Path(path)
    source = str(path)
    raw = read_yaml(path)
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as error:
        key, problem = _spec_error(error.errors()[0])
        raise InputError(source, key, problem) from None
    scenario_path = (path.parent / spec.scenario)
    if not scenario_path.is_file():
        raise InputError(source, "scenario", f"expected an existing scenario file; found nothing at {scenario_path}")
    try:
        base = read_scenario_data(scenario_path)
    except InputError as error:
        raise InputError(source, "scenario", f"{error}") from None
    for key, value in spec.set.items():
        set_path(base, key, value, source=f"{source} set")
    try:
        scenario = validate(base, f"{scenario_path}")
        timeline(scenario, f"{scenario_path}")
    except InputError as error:
        raise InputError(source, f"set: {error.key}" if spec.set else "scenario", error.problem) from None
    base = scenario.model_dump(mode="json")
    varied = []
    for key, parameter in spec.parameters.items():
        kind = _field_kind(key, base, source)
        where = f"parameters.{key}"
        if parameter.range is not None and kind not in ("int", "float"):
            raise InputError(source, f"{where}.range", f"expected values (the field holds {'true/false' if kind == 'bool' else 'text'}); found a range")
        if parameter.values is not None:
            for index, value in enumerate(parameter.values):
                _check_value(base, key, value, source, f"{where}.values.{index}")
        else:
            for index, value in enumerate(parameter.range):
                _check_value(base, key, int(value) if kind == "int" else value, source, f"{where}.range.{index}")
        if spec.design == "grid" and parameter.range is not None and parameter.steps is None:
            raise InputError(source, f"{where}.steps", "expected a number of steps for a range in a grid; found none")
        if spec.design != "grid" and parameter.steps is not None:
            raise InputError(source, f"{where}.steps", f"expected no steps ({spec.design} designs draw across the range); found {parameter.steps}")
        varied.append(Varied(key, kind, parameter))
    if spec.design != "grid" and spec.samples is None:
        raise InputError(source, "samples", f"expected a number of samples for a {spec.design} design; found none")
    if spec.design == "grid" and spec.samples is not None:
        raise InputError(source, "samples", f"expected no samples for a grid (it runs every combination); found {spec.samples}")
    if spec.design == "sobol" and spec.samples & (spec.samples - 1):
        raise InputError(source, "samples", f"expected a power of 2 for a sobol design; found {spec.samples}")
    if spec.design in ("sobol", "morris") and len(varied) < 2:
        raise InputError(source, "parameters", f"expected at least 2 parameters for a {spec.design} design; found {len(varied)}")
    try:
        experiment.check_outcomes(spec.outcomes, spec.series, source)
    except InputError as error:
        field_name = "outcomes" if error.key in spec.outcomes else "series"
        raise InputError(source, f"{field_name}", error.problem) from None
    if len(set(spec.outcomes)) != len(spec.outcomes) or len(set(spec.series)) != len(spec.series):
        raise InputError(source, "outcomes", "expected each outcome and series named once; found one twice")
    if "months" not in spec.parameters:
        for name in spec.outcomes:
            if experiment.OUTCOMES[name].month_index(scenario.months) is None:
                raise InputError(source, "outcomes", f"expected outcomes within the base scenario's {scenario.months} months; found '{name}' (year {experiment.OUTCOMES[name].year})")
    sweep = Sweep(spec, source, scenario_path.resolve(), base, varied, scenario.months)
    sweep.design()
    return sweep


def _sampler_seed(root_seed: int) -> int:
    return int(np.random.SeedSequence(int(root_seed), spawn_key=(2**32 - 1,)).generate_state(1)[0])


def unit_problem(sweep: Sweep) -> dict:
    """The SALib problem over the unit cube (values are mapped to each field afterwards)."""
    return {"num_vars": len(sweep.varied), "names": [v.key for v in sweep.varied],
            "bounds": [[0.0, 1.0]] * len(sweep.varied)}


def _design(sweep: Sweep) -> tuple[np.ndarray | None, list[dict[str, Any]]]:
    spec = sweep.spec
    if spec.design == "grid":
        keys = [v.key for v in sweep.varied]
        return None, [dict(zip(keys, combo)) for combo in itertools.product(*(v.grid_values() for v in sweep.varied))]
    problem, seed = unit_problem(sweep), _sampler_seed(spec.seed)
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


# -- one run (executed in worker processes or on a Dask cluster) ------------------------------
def run_one(base: dict, run_id: int, point: int, replication: int, seed: int, values: dict[str, Any],
            outcomes: list[str], series: list[str]) -> dict[str, Any]:
    """One run of a sweep: a row of runs.parquet (module-level so it pickles)."""
    scenario = experiment.build(base, values)
    timeseries, slots = experiment.simulate(scenario, seed=seed, replication=replication,
                                            national=experiment.columns_read(outcomes, series))
    row = {"run_id": run_id, "point": point, "replication": replication, "seed": seed, **values}
    for name, value in experiment.summarise(timeseries, slots, outcomes, series).items():
        row[name] = value.tolist() if isinstance(value, np.ndarray) else value
    gc.collect()  # a model and its agents form reference cycles: free them now, not at some later run
    return row


def _worker_start(parent: int) -> None:
    """Worker set-up: leave Ctrl-C to the parent, stop if the parent is killed, import the
    model once."""
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)  # the sweep process is gone (kill -9): its runs will be made again on restart

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    # The libraries' own objects live as long as the worker: leave them out of the collections
    # that free each finished model, which then take a third of the time.
    gc.collect()
    gc.freeze()


# -- where runs go ----------------------------------------------------------------------------
def _atomic_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _atomic_table(path: Path, table: pa.Table) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        pq.write_table(table, handle, compression="zstd")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class RunStore:
    """A sweep folder: sweep.yaml, manifest.json, parts/ while running, runs.parquet when done."""

    def __init__(self, folder: Path, sweep: Sweep):
        self.folder, self.sweep = Path(folder), sweep
        self.parts = self.folder / "parts"
        self.runs = self.folder / "runs.parquet"
        self.manifest_path = self.folder / "manifest.json"
        self.schema = sweep.schema()
        self._next_part = 0

    # state ----------------------------------------------------------------------------------
    def check(self) -> str:
        """'new', 'resume' or 'complete'; InputError if the folder holds something else."""
        folder = self.folder
        if folder.exists() and not folder.is_dir():
            raise InputError(folder, "", "expected a folder for the sweep; found a file")
        if not folder.exists() or not any(folder.iterdir()):
            return "new"
        if not self.manifest_path.is_file():
            raise InputError(folder, "", "expected a new folder or one holding this sweep; found other files (choose another --out)")
        try:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InputError(self.manifest_path, "", "expected the manifest of a sweep; found unreadable JSON") from None
        if manifest.get("fingerprint") != self.sweep.fingerprint():
            raise InputError(folder, "", f"expected the sweep this folder was started with ('{manifest.get('sweep')}'); found a different sweep file, base scenario or setting (choose another --out)")
        return "complete" if manifest.get("status") == "complete" and self.runs.is_file() else "resume"

    def start(self) -> None:
        """Create the folder and write the resolved sweep and the manifest (once)."""
        self.parts.mkdir(parents=True, exist_ok=True)
        for stale in self.parts.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        if not self.manifest_path.is_file():
            resolved = self.sweep.spec.model_dump(mode="json")
            resolved["scenario"] = str(self.sweep.scenario_path)
            text = "# The sweep as run (resolved). base_scenario.yaml holds the base scenario with `set` applied.\n"
            _atomic_bytes(self.folder / "sweep.yaml", (text + yaml.safe_dump(resolved, sort_keys=False)).encode("utf-8"))
            _atomic_bytes(self.folder / "base_scenario.yaml", yaml.safe_dump(self.sweep.base, sort_keys=False).encode("utf-8"))
            self.write_manifest(status="running")
        numbers = [int(p.stem.split("-")[1]) for p in self.parts.glob("part-*.parquet")]
        self._next_part = max(numbers, default=-1) + 1

    def write_manifest(self, **changes: Any) -> None:
        if self.manifest_path.is_file():
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        else:
            sweep = self.sweep
            manifest = {"sweep": sweep.spec.name, "source": sweep.source, "scenario": str(sweep.scenario_path),
                        "fingerprint": sweep.fingerprint(), "design": sweep.spec.design, "points": sweep.points,
                        "replications": sweep.spec.replications, "runs": sweep.total_runs,
                        "parameters": [v.key for v in sweep.varied], "outcomes": sweep.outcomes,
                        "series": list(sweep.spec.series), "seed": sweep.spec.seed,
                        "started": _now(), "versions": _versions(versions())}
        manifest.update(changes)
        _atomic_bytes(self.manifest_path, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))

    def done(self) -> set[int]:
        """Run ids already on disk."""
        if self.runs.is_file():
            return set(pq.read_table(self.runs, columns=["run_id"]).column(0).to_pylist())
        ids: set[int] = set()
        for part in sorted(self.parts.glob("part-*.parquet")):
            ids.update(pq.read_table(part, columns=["run_id"]).column(0).to_pylist())
        return ids

    # writing --------------------------------------------------------------------------------
    def append(self, rows: list[dict[str, Any]]) -> None:
        """Write a batch of finished runs as one part file (temporary name, then rename)."""
        if not rows:
            return
        table = pa.Table.from_pylist(rows, schema=self.schema)
        _atomic_table(self.parts / f"part-{self._next_part:06d}.parquet", table)
        self._next_part += 1

    def consolidate(self) -> None:
        """Gather the parts into runs.parquet, sorted by run id; then remove the parts."""
        if not self.runs.is_file():
            parts = sorted(self.parts.glob("part-*.parquet"))
            tables = [pq.read_table(p, schema=self.schema) for p in parts]
            table = pa.concat_tables(tables) if tables else self.schema.empty_table()
            table = table.sort_by("run_id")
            ids = table.column("run_id").to_numpy()
            expected = np.arange(self.sweep.total_runs)
            if len(ids) != len(expected) or not np.array_equal(ids, expected):
                raise RuntimeError(f"runs on disk do not match the design ({len(ids)} of {len(expected)})")
            _atomic_table(self.runs, table.combine_chunks())
        shutil.rmtree(self.parts, ignore_errors=True)


def _versions(found: dict) -> dict:
    from importlib import metadata
    for name in ("SALib", "dask", "distributed"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# -- where runs are computed ------------------------------------------------------------------
class LocalBackend:
    """A persistent pool of worker processes (each imports the model once)."""

    def __init__(self, workers: int):
        import multiprocessing
        self.workers = workers
        self.pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_worker_start, initargs=(os.getpid(),))

    def submit(self, fn: Callable, *args: Any):
        return self.pool.submit(fn, *args)

    def wait(self, pending: set) -> tuple[set, set]:
        done, rest = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
        return set(done), set(rest)

    def close(self, cancel: bool = False) -> None:
        self.pool.shutdown(wait=True, cancel_futures=cancel)


class DaskBackend:
    """An existing Dask distributed cluster, reached through its scheduler."""

    def __init__(self, address: str, source: str = "--scheduler", timeout: float = 5.0):
        self.address = address
        self.client = connect_dask(address, timeout, source)
        info = self.client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))

    def submit(self, fn: Callable, *args: Any):
        return self.client.submit(fn, *args, pure=False)

    def wait(self, pending: set) -> tuple[set, set]:
        from distributed import wait
        with self.client.as_current():
            done, rest = wait(list(pending), return_when="FIRST_COMPLETED")
        return set(done), set(rest)

    def close(self, cancel: bool = False) -> None:
        self.client.close()


def scheduler_address(option: str | None) -> tuple[str, str] | None:
    """The Dask scheduler to use: --scheduler, else DASK_SCHEDULER_ADDRESS, else None (local)."""
    if option:
        address, source = option, "--scheduler"
    elif os.environ.get(SCHEDULER_ENV):
        address, source = os.environ[SCHEDULER_ENV], SCHEDULER_ENV
    else:
        return None
    if not _SCHEDULER.match(address.strip()):
        raise InputError(source, "", f"expected a scheduler address such as tcp://host:8786; found '{address}'")
    return address.strip(), source


def connect_dask(address: str, timeout: float = 5.0, source: str = "--scheduler"):
    """A Client connected to the scheduler at address, or InputError if none answers."""
    import logging

    from distributed import Client
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
        raise InputError(source, "", f"expected a Dask scheduler answering at {address} within {timeout:g} s; found none ({reason})") from None


# -- running a sweep --------------------------------------------------------------------------
@dataclass
class SweepReport:
    """What a call to run_sweep did."""

    folder: Path
    total: int
    ran: int
    already: int
    seconds: float
    interrupted: bool = False
    sensitivity: Path | None = None


def run_sweep(sweep: Sweep, folder: str | Path, *, workers: int | None = None, backend: Any = None,
              progress: Callable[[int], None] | None = None, batch_rows: int | None = None,
              flush_seconds: float = 5.0, on_start: Callable[[int, int], None] | None = None) -> SweepReport:
    """Run whatever runs of the sweep are not yet in folder, then gather and analyse them.

    Args:
        sweep: a loaded sweep (load_sweep).
        folder: the sweep folder (created, or resumed when it holds this sweep).
        workers: local worker processes (default: the number of cores), when no backend is given.
        backend: a LocalBackend or DaskBackend to use instead.
        progress: called with the number of runs that just finished.
        batch_rows: finished runs per part file (default: 4 per worker, at least 8).
        flush_seconds: also write a part when this long has passed since the last one.
        on_start: called with (runs already done, total) before any run starts.
    """
    store = RunStore(Path(folder), sweep)
    state = store.check()
    started = time.perf_counter()
    store.start()
    done = store.done()
    total = sweep.total_runs
    if on_start:
        on_start(len(done), total)
    todo = (i for i in range(total) if i not in done)
    ran, interrupted = 0, False
    if len(done) < total and state != "complete":
        own = backend is None
        backend = backend or LocalBackend(workers or os.cpu_count() or 1)
        limit = batch_rows or max(8, 4 * backend.workers)
        try:
            ran = _drain(sweep, store, backend, todo, limit, flush_seconds, progress)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if own:
                backend.close(cancel=True)
        if interrupted:
            kept = len(store.done())
            return SweepReport(store.folder, total, kept - len(done), len(done), time.perf_counter() - started, interrupted=True)
    store.consolidate()
    path = None
    if sweep.spec.design in ("sobol", "morris"):
        path = write_sensitivity(sweep, store.folder)
    store.write_manifest(status="complete", finished=_now())
    return SweepReport(store.folder, total, ran, len(done), time.perf_counter() - started, sensitivity=path)


def _drain(sweep: Sweep, store: RunStore, backend: Any, todo: Iterator[int], batch: int, flush_seconds: float,
           progress: Callable[[int], None] | None) -> int:
    """Keep a few runs per worker in flight; write finished runs in batches; return runs made."""
    spec, base = sweep.spec, sweep.base
    in_flight = max(2, 2 * backend.workers)
    pending: set = set()
    buffer: list[dict] = []
    last_flush, made = time.monotonic(), 0

    def fill() -> None:
        for run_id in itertools.islice(todo, in_flight - len(pending)):
            run_id, point, replication, seed, values = sweep.run(run_id)
            pending.add(backend.submit(run_one, base, run_id, point, replication, seed, values,
                                       list(spec.outcomes), list(spec.series)))

    try:
        fill()
        while pending:
            finished, pending_now = backend.wait(pending)
            pending.clear()
            pending.update(pending_now)
            for future in finished:
                buffer.append(future.result())
            made += len(finished)
            if progress:
                progress(len(finished))
            fill()
            if len(buffer) >= batch or time.monotonic() - last_flush >= flush_seconds or not pending:
                store.append(buffer)
                buffer, last_flush = [], time.monotonic()
    finally:
        if buffer:  # keep every finished run, even when stopping
            store.append(buffer)
    return made


# -- sensitivity ------------------------------------------------------------------------------
def point_means(sweep: Sweep, runs: Path) -> dict[str, np.ndarray]:
    """Each outcome's mean over replications at each design point, in point order."""
    table = pq.read_table(runs, columns=["point", *sweep.outcomes]).to_pandas()
    means = table.groupby("point", sort=True)[sweep.outcomes].mean()
    return {name: means[name].to_numpy(dtype=float) for name in sweep.outcomes}


def sensitivity(sweep: Sweep, runs: Path) -> "pandas.DataFrame":  # noqa: F821
    """Sobol (S1, ST) or Morris (mu*, sigma) indices with confidence intervals, per outcome.

    Columns: outcome, parameter, then the design's indices and their '_conf' half-widths at the
    sweep's confidence level, and rank (1 = most influential: by ST or mu*).
    """
    import pandas as pd
    spec = sweep.spec
    unit, _ = sweep.design()
    problem = unit_problem(sweep)
    seed = _sampler_seed(spec.seed)
    rows = []
    for outcome, y in point_means(sweep, runs).items():
        usable = bool(np.all(np.isfinite(y))) and float(np.ptp(y)) > 0
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if spec.design == "sobol":
                from SALib.analyze import sobol
                result = sobol.analyze(problem, y, calc_second_order=spec.second_order, num_resamples=spec.resamples,
                                       conf_level=spec.confidence, seed=seed) if usable else None
                keys = ("S1", "S1_conf", "ST", "ST_conf")
            else:
                from SALib.analyze import morris
                result = morris.analyze(problem, unit, y, num_resamples=spec.resamples, conf_level=spec.confidence,
                                        num_levels=spec.levels, seed=seed) if usable else None
                keys = ("mu", "mu_star", "mu_star_conf", "sigma")
        for i, name in enumerate(problem["names"]):
            row = {"outcome": outcome, "parameter": name}
            for key in keys:
                row[key] = float(np.asarray(result[key])[i]) if result is not None else math.nan
            rows.append(row)
    frame = pd.DataFrame(rows)
    by = "ST" if spec.design == "sobol" else "mu_star"
    frame["rank"] = frame.groupby("outcome")[by].rank(ascending=False, method="first").astype("Int64")
    return frame


def write_sensitivity(sweep: Sweep, folder: Path) -> Path:
    """Write sensitivity.csv and the ranked chart (sensitivity.png, .svg); return the CSV path."""
    frame = sensitivity(sweep, folder / "runs.parquet")
    path = folder / "sensitivity.csv"
    _atomic_bytes(path, frame.to_csv(index=False, float_format="%.6g").encode("utf-8"))
    sensitivity_chart(sweep, frame, folder)
    return path


def sensitivity_chart(sweep: Sweep, frame, folder: Path) -> None:
    """One panel per outcome: parameters ranked by total (Sobol ST) or mean absolute (Morris mu*)
    effect, with confidence intervals."""

    spec = sweep.spec
    sobol = spec.design == "sobol"
    outcomes = list(dict.fromkeys(frame["outcome"]))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(outcomes), 1, figsize=(12.5, 1.2 + (0.45 * len(sweep.varied) + 0.9) * len(outcomes)),
                                 squeeze=False)
        for ax, outcome in zip(axes[:, 0], outcomes):
            part = frame[frame["outcome"] == outcome].sort_values("rank", ascending=False)
            y = np.arange(len(part))
            label = experiment.OUTCOMES[outcome].description
            if part[("ST" if sobol else "mu_star")].isna().all():
                ax.text(0.5, 0.5, "no variation in this outcome: indices undefined", transform=ax.transAxes, ha="center")
            elif sobol:
                ax.barh(y + 0.2, part["ST"], 0.4, xerr=part["ST_conf"], color=PALETTE[0], label="Total effect (ST)", capsize=3)
                ax.barh(y - 0.2, part["S1"], 0.4, xerr=part["S1_conf"], color=PALETTE[1], label="First order (S1)", capsize=3)
                ax.set_xlabel("Sobol index (share of variance)")
            else:
                ax.barh(y, part["mu_star"], 0.6, xerr=part["mu_star_conf"], color=PALETTE[0], label="mu* (mean |elementary effect|)", capsize=3)
                ax.plot(part["sigma"], y, "D", color=PALETTE[5], label="sigma (interactions, non-linearity)")
                ax.set_xlabel("Effect on the outcome of moving a parameter across its range (outcome units)")
            ax.set_yticks(y, part["parameter"])
            ax.set_title(label, loc="left", fontsize=12)
            ax.legend(loc="lower left", bbox_to_anchor=(1.01, 0.0), fontsize=9, frameon=False)
        level = f"{spec.confidence:.0%}"
        fig.suptitle(spec.title or f"Sensitivity: {spec.name} ({spec.design})", x=0.01, ha="left", fontweight="bold")
        fig.tight_layout(rect=(0, 0.05, 1, 1))
        source_note(fig, f"Bars ranked by influence; whiskers: {level} bootstrap intervals. Source: gpsim sweep '{spec.name}', "
                    f"{sweep.points} points x {spec.replications} replication(s), root seed {spec.seed}.")
        for suffix in ("png", "svg"):
            target = folder / f"sensitivity.{suffix}"
            tmp = folder / f".sensitivity.{os.getpid()}.{suffix}"
            fig.savefig(tmp, format=suffix)
            os.replace(tmp, target)
        plt.close(fig)
