"""One browser session of the dashboard: the run, the settings asked for the next run (pending
until Reset), and the earlier run or pinned baseline the charts compare it with."""
from __future__ import annotations

import threading
from typing import Any

from sim.app.dashboard.charts import map_view, sizes_chart, time_charts, time_specs
from sim.app.dashboard.controls import month_choices, shipped_scenarios
from sim.app.dashboard.levers import LeverField, lever_fields, lever_text
from sim.app.dashboard.session import Run, Trace, what_changed
from sim.scenario.loading import scenario_file


class Dashboard:
    """One browser session: the run, the settings asked for the next run (shown as pending until
    Reset), and the earlier run or pinned baseline it is compared with."""

    def __init__(self, settings: dict[str, Any]):
        self.given = settings
        self.scenarios = shipped_scenarios(settings["scenario_path"])
        self.given_path = self.path = str(scenario_file(settings["scenario_path"]).resolve())
        self.lock = threading.Lock()
        self.replications, self.seed = 1, settings["seed"]
        self.previous: Trace | None = None
        self.pinned: Trace | None = None
        self.run = self._new_run({})
        self.asked = dict(self.run.model.levers)
        self.errors: dict[str, str] = {}
        self._drawn: tuple = (None, None, None)

    @property
    def overrides(self) -> tuple[str, ...]:
        """`gpsim dashboard --set` holds for the scenario it was given with."""
        return self.given["overrides"] if self.path == self.given_path else ()

    def _new_run(self, levers: dict[str, Any]) -> Run:
        return Run(self.path, self.overrides, self.seed, levers, self.replications)

    @property
    def fields(self) -> list[LeverField]:
        scenario = self.run.model.scenario
        return lever_fields(scenario, tuple(month_choices(scenario, self.run.model.lever_defaults.get("network_opens", scenario.start))))

    def pending(self) -> list[str]:
        """Settings asked for that the run does not have yet."""
        now = self.run.settings
        waiting = [f"{field.label} {lever_text(self.asked.get(field.name), field)}" for field in self.fields
                   if self.asked.get(field.name) != now.levers.get(field.name)]
        if self.replications != now.replications:
            waiting.append(f"replications {self.replications}")
        if self.seed not in (None, "") and str(self.seed).strip() != str(now.seed):
            waiting.append(f"seed {self.seed}")
        return waiting

    def reset(self) -> None:
        """A new run with the settings asked for; the old one (if it ran) becomes the comparison."""
        old = self.run
        changed = {name: value for name, value in self.asked.items() if value != old.model.lever_defaults.get(name)}
        new = self._new_run(changed)
        with self.lock:
            if old.model.months_run and old.settings != new.settings and old.settings.period == new.settings.period:
                self.previous = old.trace(self.columns())   # the same settings again keep the earlier comparison
            elif old.settings.period != new.settings.period:
                self.previous = None
            self.run = new
            self.asked = dict(new.model.levers)
            self.errors = {}

    def choose_scenario(self, path: str) -> None:
        self.path = path
        self.asked, self.pinned = {}, None
        self.reset()

    def columns(self) -> list[str]:
        return [column for spec in time_specs(self.run.model) for column, _ in spec.lines]

    def pin(self) -> None:
        with self.lock:
            self.pinned = self.run.trace(self.columns())

    def comparison(self) -> tuple[Trace | None, str]:
        """The run the charts compare with (pinned, else the previous) and its legend label."""
        trace = self.pinned or self.previous
        if trace is None or trace.settings.period != self.run.settings.period:
            return None, ""
        return trace, what_changed(trace.settings, self.run.settings, self.fields, "pinned" if self.pinned else "before")

    def step(self, run: Run | None = None) -> None:
        """A month of the run (of `run` only while it is still the current one: a Reset may come
        while a month is being stepped in the background)."""
        with self.lock:
            if run is None or run is self.run:
                self.run.step()

    def views(self, map_mode: str, detail: bool) -> tuple[list[str], str]:
        """The charts and the map as HTML (drawn again only when something they show changed)."""
        with self.lock:
            shown = (self.run, self.pinned, self.previous)   # held, so their ids stay theirs
            key = (*map(id, shown), self.run.model.months_run, map_mode, detail)
            if self._drawn[0] != key:
                charts = time_charts(self.run, *self.comparison())
                charts.insert(2, sizes_chart(self.run.model))
                self._drawn = (key, (charts, map_view(self.run.model, map_mode, detail)), shown)
            return self._drawn[1]
