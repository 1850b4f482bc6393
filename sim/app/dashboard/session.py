"""A dashboard run and what it is compared with: one or more replications stepped together, their
median and 90% interval per month, and a frozen copy of an earlier run (a Trace) labelled with
what changed since. Plain Python, so it is tested without a browser."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.app.dashboard.levers import LeverField, lever_text
from sim.app.dashboard.model import DashboardModel
from sim.scenario.schema import month_number


def decimal_years(months: list[str]) -> np.ndarray:
    """YYYY-MM as decimal years (mid-month), for time axes."""
    return np.array([(month_number(m) + 0.5) / 12 for m in months])


class Run:
    """A scenario with levers set, in `replications` replications stepped month by month
    together (replication r is replication r of the `gpsim run` command the run shows)."""

    def __init__(self, scenario_path: str, overrides: tuple[str, ...], seed: Any, levers: dict[str, Any],
                 replications: int = 1):
        self.levers_asked = dict(levers)
        self.models = [DashboardModel(scenario_path, overrides, seed, replication=r, **levers) for r in range(replications)]
        self._summary: tuple[int, dict] = (-1, {})

    @property
    def model(self) -> DashboardModel:
        """The first replication: the map, network sizes and the download's first replication."""
        return self.models[0]

    @property
    def replications(self) -> int:
        return len(self.models)

    @property
    def running(self) -> bool:
        """Whether months remain to run."""
        return self.model.running

    def step(self) -> None:
        """One month of every replication."""
        for model in self.models:
            model.step()

    def command(self) -> str:
        return self.model.command(self.replications)

    def results_zip(self, charts: bool = False) -> bytes:
        return self.model.results_zip(charts=charts, others=tuple(self.models[1:]))

    def series(self, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """A national figure so far: (decimal years, median, 5th and 95th percentile across
        replications); with one replication the three are the same."""
        months = self.model.months_run
        if self._summary[0] != months:
            self._summary = (months, {})
        cache = self._summary[1]
        if column not in cache:
            records = self.model.datacollector.model_vars
            years = decimal_years(records["month"])
            if column not in records:
                empty = np.zeros(0)
                cache[column] = (empty, empty, empty, empty)
            else:
                values = np.array([model.datacollector.model_vars[column] for model in self.models], dtype=float)
                low, median, high = np.quantile(values, [0.05, 0.5, 0.95], axis=0)
                cache[column] = (years, median, low, high)
        return cache[column]

    @property
    def settings(self) -> Settings:
        model = self.model
        return Settings(model.scenario_path, model.scenario.name, (model.scenario.start, model.scenario.end),
                        dict(model.levers), model.root_seed, self.replications)

    def trace(self, columns: list[str]) -> Trace:
        """A frozen copy of this run's medians, for comparison after a Reset."""
        return Trace(self.settings, {column: self.series(column)[:2] for column in columns})


@dataclass(frozen=True)
class Settings:
    """What makes a run: scenario, lever values in force, seed, replications."""
    path: str
    name: str
    period: tuple[str, str]
    levers: dict[str, Any]
    seed: int
    replications: int


@dataclass(frozen=True)
class Trace:
    """An earlier run's median series by column (decimal years, values), and its settings."""
    settings: Settings
    series: dict[str, tuple[np.ndarray, np.ndarray]]


def what_changed(before: Settings, after: Settings, fields: list[LeverField], word: str = "before") -> str:
    """How an earlier run differs from the current one, in a few words for a legend: the
    scenario, each lever that moved (its old value), the seed, the replications."""
    if before.path != after.path:
        return f"{word}: {before.name}"
    by_name = {field.name: field for field in fields}
    moved = [f"{by_name[name].label if name in by_name else name} {lever_text(value, by_name.get(name))}"
             for name, value in before.levers.items() if after.levers.get(name) != value]
    if before.seed != after.seed:
        moved.append(f"seed {before.seed}")
    if before.replications != after.replications:
        moved.append(f"{before.replications} replication{'s' if before.replications > 1 else ''}")
    return f"{word}: " + ("; ".join(moved) if moved else "the same settings")
