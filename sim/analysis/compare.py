"""Comparing scenarios under common random numbers: the same seeds, the same draws for the same
practice and event in every scenario, so a difference between scenarios comes from the policy.

Differences are paired by replication (scenario replication r minus baseline replication r)
and then summarised, which is what common random numbers make meaningful.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd

from sim.report.comparison_charts import comparison_charts
from sim.report.notebook import drawn, html_table
from sim.results.folder import (
    FLOAT_FORMAT,
    atomic_folder,
    command_line,
    default_folder,
    manifest,
    write_manifest,
)
from sim.results.outcomes import (
    GROUPS,
    MEASURES,
    YEARS,
    equity_measures,
    format_value,
    group_masks,
    median_and_interval,
    outcome_table,
    year_months,
)
from sim.results.run import Results, run
from sim.results.seeds import STREAMS
from sim.scenario.errors import InputError
from sim.scenario.loading import resolve
from sim.scenario.overrides import combined
from sim.scenario.schema import Scenario


@dataclass
class Comparison:
    """Two or more scenarios run with the same seed and replications; the first is the baseline.

    Attributes:
        runs: each scenario's Results, baseline first.
        labels: a distinct name for each run (the scenario name, numbered if repeated).
        years: whole years after the start compared (those within every run).
        skipped: requested years beyond the shortest run.
    """

    runs: list[Results]
    labels: list[str]
    years: dict[int, str]
    skipped: list[int] = field(default_factory=list)
    started: str = ""
    finished: str = ""
    seconds: float = 0.0

    @property
    def baseline(self) -> Results:
        """The first scenario, which the others are compared with."""
        return self.runs[0]

    @property
    def seed(self) -> int:
        """The root seed every scenario ran with."""
        return self.baseline.seed

    @property
    def replications(self) -> int:
        """Replications per scenario."""
        return self.baseline.replications

    def table(self) -> pd.DataFrame:
        """Each headline outcome at each compared year: median and 90% interval per scenario,
        and the paired difference from the baseline with its interval."""
        return outcome_table({name: r.timeseries for name, r in zip(self.labels, self.runs)}, self.years)

    def equity(self) -> pd.DataFrame:
        """Equity measures for each group against the rest of practices, at each compared year
        with a practice snapshot: median and 90% interval across replications, and the gap."""
        rows = []
        for name, results in zip(self.labels, self.runs):
            snapshots = results.practices
            for year, month in self.years.items():
                draws = []
                for replication, snapshot in snapshots[snapshots["month"] == month].groupby("replication"):
                    for group, inside in group_masks(snapshot).items():
                        ours, rest = equity_measures(snapshot[inside]), equity_measures(snapshot[~inside])
                        for measure in MEASURES:
                            draws.append((group, measure, ours[measure], rest[measure]))
                draws = pd.DataFrame(draws, columns=["group", "measure", "group_value", "rest_value"])
                for (group, measure), values in draws.groupby(["group", "measure"], sort=False):
                    row = {"scenario": name, "year": year, "month": month, "group": group,
                           "group_label": GROUPS[group], "measure": measure, "measure_label": MEASURES[measure]}
                    for prefix, series in (("group", values["group_value"]), ("rest", values["rest_value"]),
                                           ("gap", values["group_value"] - values["rest_value"])):
                        row[f"{prefix}_median"], row[f"{prefix}_low"], row[f"{prefix}_high"] = median_and_interval(series)
                    rows.append(row)
        return pd.DataFrame(rows)

    def difference(self, column: str, index: int) -> pd.DataFrame:
        """Paired difference of run `index` from the baseline over the months they share:
        median and 90% interval across replications, by month."""
        def wide(results):
            return results.timeseries.pivot(index="month", columns="replication", values=column)
        gap = (wide(self.runs[index]) - wide(self.baseline)).dropna()
        return pd.DataFrame({"median": gap.median(axis=1), "low": gap.quantile(0.05, axis=1),
                             "high": gap.quantile(0.95, axis=1)})

    def to_df(self, table: str = "comparison") -> pd.DataFrame:
        """One of the tables: 'comparison', 'equity', or every run's 'timeseries', 'networks' or
        'practices' with a leading scenario column."""
        if table == "comparison":
            return self.table()
        if table == "equity":
            return self.equity()
        if table not in ("timeseries", "networks", "practices"):
            raise ValueError(f"table must be one of comparison, equity, timeseries, networks, practices; got {table!r}")
        frames = [r.to_df(table) for r in self.runs]
        return pd.concat([f.assign(scenario=n)[["scenario", *f.columns]] for n, f in zip(self.labels, frames)],
                         ignore_index=True)

    def summary(self) -> pd.DataFrame:
        """The comparison at the last compared year."""
        table = self.table()
        return table[table["year"] == max(self.years)].reset_index(drop=True)

    def headline(self) -> str:
        """The summary as plain text for the terminal."""
        table = self.summary()
        year = max(self.years)
        lines = [f"Compared with {self.labels[0]} at year {year} ({self.years[year]}); {self.replications} "
                 f"replication(s), seed {self.seed}; median [90% interval] of the paired difference:"]
        for name in self.labels[1:]:
            lines.append(f"  {name}")
            for _, row in table[table["scenario"] == name].iterrows():
                lines.append(f"    {row['label']:42s} {format_value(row['outcome'], row['difference_median'], True):>10s} "
                             f"[{format_value(row['outcome'], row['difference_low'], True)} to "
                             f"{format_value(row['outcome'], row['difference_high'], True)}]")
        if self.skipped:
            lines.append(f"Years {', '.join(map(str, self.skipped))} skipped: beyond the shortest run.")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        table = self.summary()
        rows = [{"scenario": row["scenario"], "outcome": row["label"],
                 "difference": f"{format_value(row['outcome'], row['difference_median'], True)} "
                               f"[{format_value(row['outcome'], row['difference_low'], True)} to "
                               f"{format_value(row['outcome'], row['difference_high'], True)}]"}
                for _, row in table[table["scenario"] != self.labels[0]].iterrows()]
        year = max(self.years)
        return html_table(f"Compared with {self.labels[0]} at year {year} ({self.years[year]})",
                          [f"{self.replications} replication(s), seed {self.seed}; median [90% interval] of the paired difference"],
                          pd.DataFrame(rows))

    def plot(self, directory: str | Path | None = None) -> dict:
        """Draw the comparison charts; save them as PNG and SVG when a directory is given
        (returns the saved paths), else return the figures (shown as images in a notebook)."""
        return drawn(comparison_charts, self, directory)

    def save(self, directory: str | Path | None = None, force: bool = False, charts: bool = True) -> Path:
        """Write the comparison folder (comparison.csv, equity.csv, timeseries.csv, networks.csv,
        manifest.json, charts/) atomically; returns its path."""
        target = Path(directory) if directory is not None else default_folder(f"compare-{self.labels[0]}-{self.labels[1]}")
        with atomic_folder(target, force) as work:
            for name, frame in (("comparison", self.table()), ("equity", self.equity()),
                                ("timeseries", self.to_df("timeseries")), ("networks", self.to_df("networks"))):
                frame.to_csv(work / f"{name}.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
            if charts:
                self.plot(work / "charts")
            write_manifest(work, self.manifest())
        return target

    def manifest(self) -> dict:
        """Everything needed to reproduce and trace the comparison (write_manifest adds the
        versions and each file's SHA-256)."""
        scenarios = []
        for name, results in zip(self.labels, self.runs):
            entry = manifest(results)
            scenarios.append({"label": name, **{key: entry[key] for key in
                              ("scenario_file", "scenario_sha256", "overrides", "dropped_changes", "started", "finished",
                               "scenario")}})
        return {"kind": "comparison", "baseline": self.labels[0], "seed": self.seed, "replications": self.replications,
                "common_random_numbers": f"every scenario runs with the same seed; {STREAMS}",
                "differences": "paired by replication (scenario r minus baseline r), then median and 5%/95% quantiles",
                "years": {str(y): m for y, m in self.years.items()}, "skipped_years": self.skipped,
                "started": self.started, "finished": self.finished, "seconds": round(self.seconds, 3),
                "command": command_line(), "scenarios": scenarios}


def _labels(scenarios: list[Scenario]) -> list[str]:
    labels, seen = [], {}
    for scenario in scenarios:
        seen[scenario.name] = seen.get(scenario.name, 0) + 1
        labels.append(scenario.name if seen[scenario.name] == 1 else f"{scenario.name} ({seen[scenario.name]})")
    return labels


def compare(scenarios, *, replications: int | None = None, seed: int | None = None,
            overrides: list[str] | tuple[str, ...] = (), years=YEARS,
            progress: Callable[[], None] | None = None, **params) -> Comparison:
    """Run scenarios with the same seed and replications and compare them with the first.

    Args:
        scenarios: two or more scenarios as sim.scenario.loading.resolve takes them (files, names,
            Scenarios, dicts, ResolvedScenarios); the first is the baseline.
        replications: replications per scenario (default: the baseline's).
        seed: root seed for every scenario (default: the baseline's).
        overrides: fields set in every scenario: a dict of dotted key paths, or 'key.path=value'
            texts as with --set; or give them as keywords with `__` for each dot.
        years: whole years after the start to compare; years beyond the shortest run are skipped.
        progress: called once per simulated month, e.g. a progress bar's update.
    """
    scenarios, overrides = list(scenarios), combined(overrides, params)
    if len(scenarios) < 2:
        raise InputError("scenarios", "", f"expected at least two scenarios to compare; found {len(scenarios)}")
    first = resolve(scenarios[0], overrides, seed=seed, replications=replications)
    # Every scenario takes the baseline's seed and replications (common random numbers).
    options = {"seed": first.scenario.seed, "replications": first.scenario.replications}
    resolved = [first] + [resolve(s, overrides, **options) for s in scenarios[1:]]
    for entry in resolved[1:]:
        # Common random numbers line up by month since the start, so calendars must match.
        if entry.scenario.start != first.scenario.start:
            raise InputError(entry.source or entry.scenario.name, "start",
                             f"expected the baseline's start month {first.scenario.start} so that months line up; "
                             f"found {entry.scenario.start}")
    started, clock = datetime.now(timezone.utc).isoformat(timespec="seconds"), time.perf_counter()
    runs = [run(entry, progress=progress) for entry in resolved]
    shortest = min(runs, key=lambda r: r.scenario.months)
    kept = year_months(shortest.timeseries, years)
    return Comparison(runs=runs, labels=_labels([r.scenario for r in runs]), years=kept,
                      skipped=[y for y in years if y not in kept], started=started,
                      finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                      seconds=time.perf_counter() - clock)

