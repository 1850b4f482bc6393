"""Running scenarios and holding what they produce: one object with the same verbs for one run
or many replications (to_df, summary, plot, save)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from sim.results.folder import write_run
from sim.results.outcomes import format_value, outcomes_for, with_derived
from sim.results.parameter_sets import (
    ensemble_size,
    interval_words,
    set_numbers,
    uncertainty_mode,
)
from sim.results.seeds import replication_streams
from sim.results.start import start_model, starting_practices
from sim.scenario.loading import ResolvedScenario, resolve
from sim.scenario.schema import Scenario
from sim.scenario.validation import check_run_size


@dataclass
class Results:
    """What one scenario run (one or more replications) produced.

    Attributes:
        scenario: the resolved scenario that was run.
        seed: root seed; replication r draws from (seed, r).
        timeseries: national figures, one row per replication and month.
        networks: organisations at the end of each replication.
        practices: yearly practice-level snapshots.
        started, finished: UTC times of the run.
        source: the scenario file, if it came from one.
        overrides: the overrides applied, as 'key.path=value' texts.
        dropped_changes: dated changes' settings dropped so that the overrides hold for the whole
            run ('YYYY-MM key.path (changes.N)', see sim.scenario.validation.hold_overrides).
        data_warnings: what reading the NHS files found: lines skipped, encodings other than
            UTF-8, implausible values allowed (sim.population.nhs_files.plausible).
        command: the gpsim command that gives these results, where another program made them
            (the dashboard); else the manifest records the running gpsim command, if any.
        uncertainty: 'stochastic' (every replication at the calibrated point) or 'parameters'
            (each replication with a parameter set of the calibration ensemble).
        parameter_sets: with 'parameters', the ensemble set (0-based) each replication ran with.
        ensemble_sets: with 'parameters', the number of sets in the ensemble drawn from.
    """

    scenario: Scenario
    seed: int
    timeseries: pd.DataFrame
    networks: pd.DataFrame
    practices: pd.DataFrame
    started: str
    finished: str
    seconds: float
    source: str | None = None
    overrides: list[str] = field(default_factory=list)
    dropped_changes: list[str] = field(default_factory=list)
    data_warnings: list[str] = field(default_factory=list)
    command: list[str] | None = None
    uncertainty: str = "stochastic"
    parameter_sets: list[int] | None = None
    ensemble_sets: int = 0

    @property
    def replications(self) -> int:
        """Number of replications run."""
        return int(self.timeseries["replication"].nunique())

    def to_df(self, table: str = "timeseries") -> pd.DataFrame:
        """One of the result tables: 'timeseries', 'networks' or 'practices'."""
        tables = {"timeseries": self.timeseries, "networks": self.networks, "practices": self.practices}
        if table not in tables:
            raise ValueError(f"table must be one of {', '.join(tables)}; got {table!r}")
        return tables[table].copy()

    def interval_includes(self) -> str:
        """What the intervals across these replications include, in words."""
        return interval_words(self.uncertainty, self.ensemble_sets)

    def quantiles(self, column: str) -> pd.DataFrame:
        """Median and 90% interval of a national figure across replications, by month."""
        grouped = self.timeseries.groupby("month", sort=True)[column]
        return pd.DataFrame({"median": grouped.median(), "low": grouped.quantile(0.05), "high": grouped.quantile(0.95)})

    def summary(self) -> pd.DataFrame:
        """Headline figures in the first and last month: median with 90% interval."""
        first, last = self.timeseries["month"].min(), self.timeseries["month"].max()
        series = with_derived(self.timeseries)
        rows = []
        for outcome in outcomes_for(self.timeseries):
            row = {"outcome": outcome.column, "label": outcome.label, "unit": outcome.unit}
            for when, month in (("start", first), ("end", last)):
                values = series.loc[series["month"] == month, outcome.column]
                row[f"{when}_median"] = values.median()
                row[f"{when}_low"], row[f"{when}_high"] = values.quantile(0.05), values.quantile(0.95)
            rows.append(row)
        return pd.DataFrame(rows)

    def headline(self) -> str:
        """The summary as a plain-text table for the terminal."""
        table = self.summary()
        first, last = self.timeseries["month"].min(), self.timeseries["month"].max()
        many = self.replications > 1
        changed = f" (with --set {', '.join(self.overrides)})" if self.overrides else ""
        lines = [f"{self.scenario.title or self.scenario.name}{changed}: {self.replications} replication(s), seed {self.seed}",
                 f"{'':44s} {first:>12s} {last:>30s}"]
        for _, row in table.iterrows():
            end = format_value(row["unit"], row["end_median"])
            if many:
                end += f" [{format_value(row['unit'], row['end_low'])} to {format_value(row['unit'], row['end_high'])}]"
            lines.append(f"{row['label']:44s} {format_value(row['unit'], row['start_median']):>12s} {end:>30s}")
        if many:
            spread = '90% interval' if self.replications >= 3 else '5th-95th percentile'
            lines.append(f"End values: median [{spread} across replications: {self.interval_includes()}].")
        return "\n".join(lines)

    def save(self, directory: str | Path | None = None, force: bool = False,
             draw: Callable[["Results", Path], object] | None = None) -> Path:
        """Write the run folder (timeseries.csv, networks.csv, practices.parquet, manifest.json,
        and charts/ when `draw` is given) atomically; returns its path.

        Args:
            directory: the folder (default: a new one under outputs/).
            force: replace a folder this program wrote before.
            draw: draws the charts of these results into a folder (the report layer's charts).
        """
        return write_run(self, directory, force=force, draw=draw)


def run(scenario: str | Path | Scenario | dict | ResolvedScenario, *, replications: int | None = None,
        seed: int | None = None, overrides: list[str] | tuple[str, ...] = (),
        progress: Callable[[], None] | None = None, uncertainty: str | None = None) -> Results:
    """Run a scenario and return its Results. Replication r draws from (seed, r) (sim.results.seeds).

    Args:
        scenario: a scenario file path or shipped scenario name, a Scenario, a plain dict in the
            scenario schema, or a ResolvedScenario (see sim.scenario.loading.resolve).
        replications: number of replications (default: the scenario's).
        seed: root seed (default: the scenario's).
        overrides: 'key.path=value' settings applied before validation, as with --set.
        progress: called once per simulated month, e.g. a progress bar's update.
        uncertainty: 'parameters' (each replication runs with a parameter set drawn from the
            calibration ensemble by (seed, replication); --set values of calibrated keys still
            hold) or 'stochastic' (the calibrated point); default: parameters for a scenario with
            start_from, stochastic otherwise (sim.results.parameter_sets).
    """
    resolved = resolve(scenario, overrides, seed=seed, replications=replications)
    scenario = resolved.scenario
    mode = uncertainty_mode(uncertainty, scenario)
    starting, data_warnings, codes = starting_practices(resolved)
    if starting is not None:
        check_run_size(scenario, resolved.source or "scenario", starting)
    started, clock = datetime.now(timezone.utc).isoformat(timespec="seconds"), time.perf_counter()
    series, networks, practices = [], [], []
    for root_seed, replication in replication_streams(scenario.seed, scenario.replications):
        model = start_model(resolved, replication, root_seed, uncertainty=mode).run(progress)
        series.append(model.timeseries())
        networks.append(model.network_table())
        practices.append(model.practice_table())
        model.snapshots.clear()  # the table holds them now; the model may outlive this loop until collected
    snapshots = pd.concat(practices, ignore_index=True)
    if codes is not None:  # the practices read from NHS files keep their ODS codes; later openings have none
        slot = snapshots["practice_id"].to_numpy()
        named = np.array(codes + [""], dtype=object)
        snapshots.insert(snapshots.columns.get_loc("practice_id") + 1, "ods_code", named[np.minimum(slot, len(codes))])
    return Results(scenario=scenario, seed=scenario.seed, timeseries=pd.concat(series, ignore_index=True),
                   networks=pd.concat(networks, ignore_index=True), practices=snapshots,
                   started=started, finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                   seconds=time.perf_counter() - clock, source=resolved.source, overrides=list(resolved.overrides),
                   dropped_changes=list(resolved.dropped_changes), data_warnings=data_warnings, uncertainty=mode,
                   parameter_sets=set_numbers(mode, scenario.seed, scenario.replications),
                   ensemble_sets=ensemble_size(mode))
