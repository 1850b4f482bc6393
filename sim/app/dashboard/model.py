"""DashboardModel: the model as the dashboard runs it, a scenario plus flat keyword levers, with
the `gpsim run` command that gives the same numbers and the results so far as a download."""
from __future__ import annotations

import io
import os
import shlex
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.app.commands.dashboard import DEFAULT_SCENARIO
from sim.app.dashboard.levers import (
    changed_levers,
    lever_defaults,
    lever_overrides,
    paid_kind,
)
from sim.model.model import GPModel
from sim.results.seeds import MAX_SEED
from sim.results.start import starting_state
from sim.scenario.loading import resolve
from sim.scenario.schema import year_month

AREA_GRID = 200  # cells per side of the commissioner-area map
AREA_NEIGHBOURS = 7  # practice sites that vote on each cell's area


def _seed(value: Any, notes: list[str]) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        seed = int(str(value).strip())
        if not 0 <= seed <= MAX_SEED:
            raise ValueError
        return seed
    except ValueError:
        notes.append(f"Seed '{value}' is not a whole number from 0 to {MAX_SEED:,}; the scenario's seed is used.")
        return None


class DashboardModel(GPModel):
    """The model as the dashboard runs it: a scenario file plus flat keyword levers.

    Every lever is None or a value; a value that differs from the scenario's becomes a scenario
    override (see lever_overrides), so the run is the same as `gpsim run SCENARIO --set ...
    --seed SEED` (replication `replication`). The model stops itself at the end of the scenario.

    Args:
        scenario_path: the scenario YAML file.
        overrides: `key.path=value` overrides applied first, as with `gpsim run --set`.
        seed: root seed (None or blank: the scenario's).
        practices: practices at the start of a synthetic England; fewer make a smaller England
            for speed, with commissioner areas, regions and distances scaled to keep practices
            per area and their spacing (and any national staff supply scaled with them).
        incentive_per_patient: network payments (participation, core and leadership) of the
            paid kind, GBP per patient per year, shared out in the scenario's proportions.
        band_min_patients, band_max_patients: the paid kind's size band.
        network_opens: YYYY-MM from which the paid kind's networks may form and be paid.
        reimbursement_rate: share of additional-role costs reimbursed (0-1).
        commissioner_push: the paid kind's commissioner encouragement (0-1).
        new_gps: supply of new GPs, in the units of the scenario's workforce field (see
            supply_field: per 1,000 patients a year, or a national total a year).
        replication: which replication of `gpsim run` this is (its own random draws).
    """

    def __init__(self, scenario_path: str | os.PathLike | None = None, overrides: tuple[str, ...] | list[str] = (),
                 seed: int | str | None = None, practices: int | None = None,
                 incentive_per_patient: float | None = None, band_min_patients: float | None = None,
                 band_max_patients: float | None = None, network_opens: str | None = None,
                 reimbursement_rate: float | None = None, commissioner_push: float | None = None,
                 new_gps: float | None = None, replication: int = 0):
        given = resolve(scenario_path or DEFAULT_SCENARIO, list(overrides))
        self.scenario_path, base = given.source, given.scenario
        levers = {"practices": practices, "incentive_per_patient": incentive_per_patient,
                  "band_min_patients": band_min_patients, "band_max_patients": band_max_patients,
                  "network_opens": network_opens, "reimbursement_rate": reimbursement_rate,
                  "commissioner_push": commissioner_push, "new_gps": new_gps}
        extra, self.notes = lever_overrides(base, levers)
        self.lever_defaults = lever_defaults(base)
        self.settings = [*overrides, *extra]
        resolved = resolve(self.scenario_path, self.settings, seed=_seed(seed, self.notes))
        scenario = resolved.scenario
        # The values in force: as asked, with a band maximum below the minimum raised to it.
        self.levers = {**self.lever_defaults, **changed_levers(base, levers)}
        if "band_max_patients" in self.levers:
            self.levers["band_max_patients"] = max(self.levers["band_max_patients"], self.levers["band_min_patients"])
        super().__init__(scenario, replication=replication, start=starting_state(resolved, scenario.seed, replication))
        self.paid_kind = paid_kind(scenario)
        self.running = True
        self._areas: np.ndarray | None = None

    def _wrapped_step(self, *args: Any, **kwargs: Any) -> None:
        """Mesa's step (which counts steps): after the scenario's last month the model has
        stopped, and further steps change nothing, the count included."""
        if self.month >= self.last_month:
            self.running = False
            return
        super()._wrapped_step(*args, **kwargs)
        self.running = self.month < self.last_month

    @property
    def current_month(self) -> str:
        """The month just simulated, YYYY-MM (the month before the start if none yet)."""
        return year_month(self.start_month + self.month - 1)

    def command(self, replications: int = 1) -> str:
        """The `gpsim run` command that gives the same numbers as replications 0 to
        `replications` - 1 of this model's settings."""
        path = Path(self.scenario_path).resolve()
        shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
        words = ["gpsim", "run", str(shown), "--seed", str(self.root_seed), "--replications", str(replications)]
        for setting in self.settings:
            words += ["--set", setting]
        if self.scenario.start_from is not None:  # the dashboard runs at the calibrated point; gpsim run would not
            words += ["--uncertainty", "stochastic"]
        return shlex.join(words)

    def map_extent(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The square (km) the map shows: every practice site with a small margin."""
        x, y = self.practices.x_km, self.practices.y_km
        half = max(float(np.ptp(x)), float(np.ptp(y)), 1.0) * 0.52
        cx, cy = (float(x.min()) + float(x.max())) / 2, (float(y.min()) + float(y.max())) / 2
        return (cx - half, cx + half), (cy - half, cy + half)

    def area_map(self) -> np.ndarray:
        """Commissioner area of every cell of a grid over the country: the area most of the
        cell's nearest practice sites belong to. Sites never move, so this is made once."""
        if self._areas is None:
            (x0, x1), (y0, y1) = self.map_extent()
            xx, yy = np.meshgrid(x0 + (np.arange(AREA_GRID) + 0.5) * (x1 - x0) / AREA_GRID,
                                 y0 + (np.arange(AREA_GRID) + 0.5) * (y1 - y0) / AREA_GRID)
            k = min(AREA_NEIGHBOURS, self.practices.size)
            _, nearest = self.tree.query(np.column_stack([xx.ravel(), yy.ravel()]), k=k)
            labels = self.practices.area[nearest.reshape(-1, k)]
            votes = (labels[:, :, None] == labels[:, None, :]).sum(axis=2)  # ties go to the nearest
            self._areas = labels[np.arange(len(labels)), votes.argmax(axis=1)].reshape(AREA_GRID, AREA_GRID)
        return self._areas

    def _tables(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """This replication so far: national series, networks now, practice snapshots."""
        snapshots = [self.practice_table()] if self.snapshots else []
        last = year_month(self.start_month + self.month - 1)
        if not self.snapshots or self.snapshots[-1]["month"][0] != last:
            snapshots.append(self.snapshot().assign(month=last))
        return self.timeseries(), self.network_table(), pd.concat(snapshots, ignore_index=True)

    def results(self, others: tuple[DashboardModel, ...] = ()):
        """The run so far as Results, the same object `gpsim run` writes, with the replications
        of `others` (the same settings, replications 1, 2, ...) after this one's."""
        from sim.app.api import (
            Results,  # with the report's charts: imported when a download is asked for
        )

        tables = [model._tables() for model in (self, *others)]
        now = datetime.now(UTC).isoformat(timespec="seconds")
        scenario = self.scenario.model_copy(update={"seed": self.root_seed, "replications": len(tables)})
        timeseries, networks, practices = (pd.concat(parts, ignore_index=True) for parts in zip(*tables))
        return Results(scenario=scenario, seed=self.root_seed, timeseries=timeseries, networks=networks,
                       practices=practices, started=now, finished=now, seconds=0.0, source=self.scenario_path,
                       overrides=list(self.settings))

    def results_zip(self, charts: bool = True, others: tuple[DashboardModel, ...] = ()) -> bytes:
        """The run so far as a zipped results folder, laid out as `gpsim run` writes it, with
        the equivalent command in command.txt."""
        results = self.results(others)
        results.command = shlex.split(self.command(1 + len(others)))
        with tempfile.TemporaryDirectory() as work:
            folder = results.save(Path(work) / "run", charts=charts)
            (folder / "command.txt").write_text(self.command(1 + len(others)) + "\n", encoding="utf-8")
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(folder.rglob("*")):
                    if path.is_file():
                        archive.write(path, f"{self.scenario.name}/{path.relative_to(folder).as_posix()}")
        return buffer.getvalue()
