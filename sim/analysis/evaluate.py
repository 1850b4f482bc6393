"""The model as a plain function: flat keyword parameters in, named outcomes out.

    from sim.analysis.evaluate import evaluate
    evaluate(seed=1, behaviour__peer_weight=3.0)
    # {'coverage_year_2': 0.71, 'coverage_end': 0.96, 'closures_10y': 1534.0, ...}  every outcome of outcomes()

`evaluate` is a module-level function, so it pickles: notebooks, SALib, process pools, Dask and
exploratory-modelling workbenches can call it directly. Scenario fields are named by their key
path with `__` for each dot (`organisations__pcn__band__min_patients=20000`), or passed as a
dict of dotted paths (`overrides={"organisations.pcn.band.min_patients": 20000}`); a fraction
given for a whole-number field is rounded (sim.scenario.overrides). The base scenario is
`scenario_file` (not `scenario`, a name the EMA Workbench keeps for itself).

Every outcome is defined once, in OUTCOMES; `gpsim sweep` keeps the same names.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from sim.model.reporters import NATIONAL
from sim.results.parameter_sets import STOCHASTIC, uncertainty_mode
from sim.results.start import start_model
from sim.scenario.errors import InputError
from sim.scenario.loading import ResolvedScenario, resolve
from sim.scenario.overrides import combined
from sim.scenario.schema import Scenario

DEFAULT_SCENARIO = "history_2013_2023"  # a shipped scenario, by name (scenarios/history_2013_2023.yaml)


@dataclass(frozen=True)
class Outcome:
    """A scalar summary of one replication.

    Attributes:
        name: the outcome's name (a column of runs.parquet).
        description: what it measures, with its unit.
        column: the national figure (timeseries column) it reads.
        year: read at the end of this simulated year (1 = month 12); None for the last month.
        compute: for outcomes that are not a plain reading, a function (timeseries, slots, month
            index) -> value.
    """

    name: str
    description: str
    column: str
    year: int | None = None
    compute: Callable[[pd.DataFrame, int, int], float] | None = None

    def month_index(self, months: int) -> int | None:
        """The 0-based month the outcome is read at, or None when the run is too short."""
        if self.year is None:
            return months - 1
        index = 12 * self.year - 1
        return index if index < months else None

    def value(self, series: pd.DataFrame, slots: int) -> float:
        """The outcome for one replication's timeseries (NaN when the run is too short)."""
        index = self.month_index(len(series))
        if index is None:
            return math.nan
        if self.compute is not None:
            return float(self.compute(series, slots, index))
        return float(series[self.column].iloc[index])


def _ended(series: pd.DataFrame, slots: int, index: int) -> float:
    """Practices closed or merged from the start to the end of the given month."""
    return float(slots - series["practices"].iloc[index])


OUTCOMES: dict[str, Outcome] = {o.name: o for o in (
    Outcome("coverage_year_2", "Share of open practices in any organisation at the end of year 2", "network_coverage_practices", 2),
    Outcome("coverage_end", "Share of open practices in any organisation in the last month", "network_coverage_practices"),
    Outcome("closures_10y", "Practices closed or merged over the first ten years (count)", "practices", 10, _ended),
    Outcome("closures_total", "Practices closed or merged over the whole run (count)", "practices", None, _ended),
    Outcome("continuity_year_10", "Continuity (usual-GP share, patient-weighted) at the end of year 10", "continuity", 10),
    Outcome("continuity_end", "Continuity (usual-GP share, patient-weighted) in the last month", "continuity"),
    Outcome("gp_fte_per_1000_end", "GP FTE per 1,000 patients in the last month", "gp_fte_per_1000"),
    Outcome("gp_turnover_end", "GP turnover over the last 12 months (share)", "gp_turnover_12m"),
    Outcome("practices_in_deficit_end", "Share of open practices in deficit in the last month", "practices_in_deficit"),
    Outcome("locum_share_end", "Locum share of GP FTE in the last month", "locum_share"),
    Outcome("access_end", "GP time supplied over needed (patient-weighted, capped at 1) in the last month", "access"),
    Outcome("practices_end", "Practices open in the last month (count)", "practices"),
    Outcome("roles_fte_end", "Additional-roles staff in post in the last month (FTE)", "additional_roles_fte"),
    Outcome("pcn_coverage_end", "Share of open practices in a PCN (organisation kind 'pcn') in the last month", "coverage_pcn"),
    Outcome("pcn_networks_end", "PCNs (organisation kind 'pcn') active in the last month (count)", "networks_pcn"),
    Outcome("federation_coverage_end", "Share of open practices in a federation (organisation kind 'federation') in the last month",
            "coverage_federation"),
)}

SERIES_SUFFIX = "_by_year"
SERIES_STEPS = {"year": "_by_year", "month": "_by_month"}
TIME_AXIS = "month"  # `month_by_year` / `month_by_month`: the months (YYYY-MM) a series' values are read at
DEFAULT_OUTCOMES = ("coverage_year_2", "closures_10y", "continuity_year_10", "gp_fte_per_1000_end",
                    "practices_in_deficit_end")  # what a sweep file keeps unless it names its outcomes


def outcomes() -> dict[str, str]:
    """Every scalar outcome `evaluate` returns: name -> what it measures, with its unit."""
    return {name: outcome.description for name, outcome in OUTCOMES.items()}


def series_columns() -> list[str]:
    """National figures that can be kept as yearly series (any numeric timeseries column)."""
    return [f.__name__ for f in NATIONAL if f.__name__ != "month"]


def read_at(months: int, step: str = "year") -> list[int]:
    """The month indices a series is read at: every month, or the end of each simulated year
    (and the last month if the run ends mid-year)."""
    if step == "month":
        return list(range(months))
    index = list(range(11, months, 12))
    if not index or index[-1] != months - 1:
        index.append(months - 1)
    return index


def yearly(series: pd.DataFrame, column: str, step: str = "year") -> np.ndarray:
    """A national figure at the end of each simulated year (or every month), as float64."""
    return series[column].to_numpy(dtype=np.float64)[read_at(len(series), step)]


def simulate(scenario: Scenario | ResolvedScenario, seed: int | None = None, replication: int = 0,
             national: list[str] | None = None, spin_ups: str | Path | None = None,
             uncertainty: str = STOCHASTIC, kept: tuple[str, ...] = ()) -> tuple[pd.DataFrame, int]:
    """One replication: its national timeseries (all columns, or those in `national`) and its
    number of practice slots; a forward scenario branches from its replication's state in the
    folder `spin_ups` (sim.results.start.save_spin_ups) when that file is there. With
    uncertainty 'parameters' it runs with its parameter set of the calibration ensemble, keeping
    the keys in `kept` (sim.results.parameter_sets.for_replication)."""
    # A finished model is freed when it goes out of scope: the agents' id counters hold models
    # weakly (sim/model/agents.py), unlike Mesa 3.3's own class-level dictionary.
    root_seed = resolve(scenario).scenario.seed if seed is None else int(seed)
    model = start_model(scenario, int(replication), root_seed, snapshots=False, national=national,
                        spin_ups=spin_ups, uncertainty=uncertainty, kept=kept).run()
    return model.timeseries(), int(model.practices.size)


def columns_read(outcomes: tuple[str, ...] | list[str] | None, yearly_series: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The national figures these outcomes and yearly series read."""
    names = DEFAULT_OUTCOMES if outcomes is None else outcomes
    return sorted({OUTCOMES[name].column for name in names} | set(yearly_series))


def summarise(series: pd.DataFrame, slots: int, outcomes: tuple[str, ...] | list[str] | None = None,
              yearly_series: tuple[str, ...] | list[str] = (), step: str = "year", time_axis: bool = False) -> dict[str, Any]:
    """Named outcomes of one replication's timeseries: scalars, then `<column>_by_year` (or
    `_by_month`) arrays, and with `time_axis` the months they are read at (`month_by_year`)."""
    names = DEFAULT_OUTCOMES if outcomes is None else tuple(outcomes)
    check_outcomes(names, yearly_series)
    if step not in SERIES_STEPS:
        raise InputError("step", "", f"expected one of {', '.join(SERIES_STEPS)}; found '{step}'")
    result: dict[str, Any] = {name: OUTCOMES[name].value(series, slots) for name in names}
    for column in yearly_series:
        result[column + SERIES_STEPS[step]] = yearly(series, column, step)
    if time_axis and yearly_series:
        result[TIME_AXIS + SERIES_STEPS[step]] = series["month"].to_numpy()[read_at(len(series), step)].astype(str)
    return result


def check_outcomes(outcomes, yearly_series, source: str = "outcomes") -> None:
    """Refuse unknown outcome or series names with an InputError."""
    for name in outcomes:
        if name not in OUTCOMES:
            raise InputError(source, str(name), f"expected one of the outcomes ({', '.join(OUTCOMES)}); found '{name}'")
    columns = series_columns()
    for column in yearly_series:
        if column not in columns:
            raise InputError(source, str(column), f"expected a national figure ({', '.join(columns)}); found '{column}'")


def evaluate(scenario_file: str | Path | Scenario | dict = DEFAULT_SCENARIO, *, seed: int | None = None,
             replication: int = 0, outcomes: tuple[str, ...] | list[str] | None = None,
             series: tuple[str, ...] | list[str] = (), step: str = "year", overrides: dict[str, Any] | None = None,
             uncertainty: str | None = None, **params: Any) -> dict[str, Any]:
    """Run one replication of a scenario with some fields changed; return its named outcomes.

    Args:
        scenario_file: base scenario, as sim.scenario.loading.resolve takes it: a YAML path, a
            shipped scenario's name, a Scenario or a dict. Default: the 2013-2023 history scenario.
        seed: root seed (default: the scenario's). With `replication` it fixes every draw.
        replication: replication number (0-based).
        outcomes: names from outcomes() to return (default: all of them). Outcomes read in a
            year the run does not reach are NaN.
        series: national figures (timeseries columns) to return as arrays, under
            `<column>_by_year` (or `_by_month`), with their time axis under `month_by_year`.
        step: "year" (the end of each simulated year, and the last month) or "month".
        overrides: scenario fields by dotted key path, e.g. {"behaviour.peer_weight": 3.0}.
        uncertainty: 'parameters' (the replication runs with the parameter set of the calibration
            ensemble drawn from (seed, replication); fields given here still hold) or
            'stochastic' (the calibrated point); default: parameters for a scenario with
            start_from, stochastic otherwise (sim.results.parameter_sets).
        **params: scenario fields with `__` for each dot, e.g. behaviour__peer_weight=3.0.

    Returns:
        A dict of outcome name -> float, and for series arrays of floats and of months (YYYY-MM).

    Raises:
        InputError: an unknown field, a value out of range, or an unknown outcome.
    """
    names = tuple(OUTCOMES) if outcomes is None else tuple(outcomes)
    check_outcomes(names, series)
    resolved = resolve(scenario_file, combined(dict(overrides or {}), params), seed=seed)
    timeseries, slots = simulate(resolved, replication=replication, national=columns_read(names, series),
                                 uncertainty=uncertainty_mode(uncertainty, resolved.scenario))
    return summarise(timeseries, slots, names, series, step, time_axis=True)


def evaluate_outcome(outcome: str, **kwargs: Any) -> float:
    """One scalar outcome of `evaluate` (for tools that want a function returning a number)."""
    return float(evaluate(outcomes=[outcome], **kwargs)[outcome])
