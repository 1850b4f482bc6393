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
from sim.report.policies import changed_settings
from sim.results.folder import (
    FLOAT_FORMAT,
    atomic_folder,
    command_line,
    default_folder,
    manifest,
    uncertainty_record,
    write_manifest,
)
from sim.results.outcomes import (
    GROUPS,
    MEASURE_IMPORTANT,
    MEASURES,
    YEARS,
    aligned,
    equity_measures,
    format_interval,
    format_value,
    group_masks,
    median_and_interval,
    outcome_table,
    outcomes_of_all,
    paired_difference,
    start_up_months,
    verdict,
    year_months,
)
from sim.results.run import Results, run
from sim.results.seeds import STREAMS
from sim.scenario.errors import InputError
from sim.scenario.loading import resolve
from sim.scenario.overrides import combined


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
    def titles(self) -> list[str]:
        """Each scenario's title (its name when it has none), baseline first; where scenarios
        share a title, followed by their labels."""
        titles = [r.scenario.title or r.scenario.name for r in self.runs]
        return [f"{t} ({label})" if titles.count(t) > 1 else t for t, label in zip(titles, self.labels)]

    def headline_outcomes(self) -> list[str]:
        """The columns of this comparison's headline outcomes: the core set and those the changed
        settings concern."""
        return [o.column for o in outcomes_of_all([r.timeseries for r in self.runs], self.changed())]

    @property
    def seed(self) -> int:
        """The root seed every scenario ran with."""
        return self.baseline.seed

    @property
    def replications(self) -> int:
        """Replications per scenario."""
        return self.baseline.replications

    @property
    def uncertainty(self) -> str:
        """'parameters' or 'stochastic': whether replication r of every scenario ran with a
        parameter set of the calibration ensemble (the same set in each) or the calibrated point."""
        return self.baseline.uncertainty

    def interval_includes(self) -> str:
        """What the intervals across replications include, in words."""
        return self.baseline.interval_includes()

    def changed(self) -> list[str]:
        """Dotted keys of the settings on which any scenario differs from the baseline (a dated
        change's setting as 'key from YYYY-MM')."""
        base = self.baseline.scenario.model_dump(mode="json")
        return list(dict.fromkeys(key for r in self.runs[1:]
                                  for key, _, _ in changed_settings(base, r.scenario.model_dump(mode="json"))))

    def table(self) -> pd.DataFrame:
        """Every outcome at each compared year: median and 90% interval per scenario, the paired
        difference from the baseline with its interval and verdict, and whether it is a headline
        outcome of this comparison (chosen from the settings that differ)."""
        table = outcome_table({name: r.timeseries for name, r in zip(self.labels, self.runs)}, self.years,
                              self.changed(), start_up_months(self.baseline.scenario))
        return table.assign(uncertainty=self.uncertainty)

    def equity(self) -> pd.DataFrame:
        """Equity measures for each group against the rest of practices, at each compared year
        with a practice snapshot. The gap is the group's value minus the rest's within each
        replication; gap_change is a scenario's gap minus the baseline's, paired by replication.
        Each has its median, 90% interval and verdict."""
        draws = pd.concat([self._equity_draws(name, results) for name, results in zip(self.labels, self.runs)],
                          ignore_index=True)
        draws["gap"] = draws["group_value"] - draws["rest_value"]
        keys = ["year", "group", "measure"]
        base = draws[draws["scenario"] == self.labels[0]].set_index([*keys, "replication"])["gap"]
        draws["gap_change"] = draws["gap"].to_numpy() - base.reindex(
            pd.MultiIndex.from_frame(draws[[*keys, "replication"]])).to_numpy()
        rows, start_up = [], start_up_months(self.baseline.scenario)
        for (name, year, group, measure), values in draws.groupby(["scenario", *keys], sort=False):
            row = {"scenario": name, "year": year, "month": self.years[year], "group": group,
                   "group_label": GROUPS[group], "measure": measure, "measure_label": MEASURES[measure]}
            for prefix in ("group", "rest", "gap", "gap_change"):
                series = values[prefix if prefix in ("gap", "gap_change") else f"{prefix}_value"]
                row[f"{prefix}_median"], row[f"{prefix}_low"], row[f"{prefix}_high"] = median_and_interval(series)
            row["smallest_important_difference"] = MEASURE_IMPORTANT[measure]
            for prefix in ("gap", "gap_change"):
                row[f"{prefix}_verdict"] = "start-up year" if 12 * year <= start_up else verdict(
                    row[f"{prefix}_low"], row[f"{prefix}_high"], MEASURE_IMPORTANT[measure], self.replications)
            row["uncertainty"] = self.uncertainty
            rows.append(row)
        return pd.DataFrame(rows)

    def _equity_draws(self, name: str, results: Results) -> pd.DataFrame:
        """One row per year, replication, group and measure: the group's value and the rest's."""
        snapshots, draws = results.practices, []
        for year, month in self.years.items():
            for replication, snapshot in snapshots[snapshots["month"] == month].groupby("replication"):
                for group, inside in group_masks(snapshot).items():
                    ours, rest = equity_measures(snapshot[inside]), equity_measures(snapshot[~inside])
                    draws += [(name, year, replication, group, m, ours[m], rest[m]) for m in MEASURES]
        return pd.DataFrame(draws, columns=["scenario", "year", "replication", "group", "measure", "group_value",
                                            "rest_value"])

    def difference(self, column: str, index: int) -> pd.DataFrame:
        """Paired difference of run `index` from the baseline over the months they share:
        median and 90% interval across replications, by month."""
        def wide(results):
            return aligned(results.timeseries, [column]).pivot(index="month", columns="replication", values=column)
        ours, base = wide(self.runs[index]), wide(self.baseline)
        gap = paired_difference(ours, base).dropna(how="all")
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
        table = table[table["headline"]]
        year = max(self.years)
        spread = "90% interval" if self.replications >= 3 else "5th-95th percentile"
        lines = [f"Compared with {self.labels[0]} at year {year} ({self.years[year]}); {self.replications} "
                 f"replication(s), seed {self.seed}; median [{spread}] of the paired difference, and verdict:",
                 f"Intervals across replications include {self.interval_includes()}; replication r of every scenario "
                 "runs with the same random numbers" + (" and parameter set." if self.uncertainty == "parameters" else ".")]
        if self.baseline.overrides:
            lines.append(f"Every scenario with --set {', '.join(self.baseline.overrides)}")
        for name in self.labels[1:]:
            lines.append(f"  {name}")
            for _, row in table[table["scenario"] == name].iterrows():
                change = format_interval(row["unit"], *row[["difference_median", "difference_low", "difference_high"]],
                                         difference=True, brackets=True, important=row["smallest_important_difference"])
                if self.replications == 1:  # one replication has no interval to show
                    change = format_value(row["unit"], row["difference_median"], True)
                lines.append(f"    {row['label']:46s} {change:>34s}  {row['verdict']}")
        if self.replications < 3:
            lines.append(f"No verdicts: {self.replications} replication(s) give no interval to judge a difference by; "
                         "run at least 3 (10 or more for steady intervals).")
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
                          [f"{self.replications} replication(s), seed {self.seed}; median [90% interval] of the paired difference",
                           f"Intervals include {self.interval_includes()}"],
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
            scenarios.append({"label": name, "title": results.scenario.title or results.scenario.name,
                              **{key: entry[key] for key in
                              ("scenario_file", "scenario_sha256", "overrides", "dropped_changes", "started", "finished",
                               "scenario")}})
        return {"kind": "comparison", "baseline": self.labels[0], "seed": self.seed, "replications": self.replications,
                "uncertainty": uncertainty_record(self.baseline),
                "common_random_numbers": f"every scenario runs with the same seed; {STREAMS}",
                "differences": "paired by replication (scenario r minus baseline r), then median and 5%/95% quantiles",
                "changed_settings": self.changed(),
                "years": {str(y): m for y, m in self.years.items()}, "skipped_years": self.skipped,
                "started": self.started, "finished": self.finished, "seconds": round(self.seconds, 3),
                "command": command_line(), "scenarios": scenarios}


def _labels(runs: list[Results]) -> list[str]:
    """A distinct label per run: its scenario's name; where names repeat, the file's stem when
    that tells them apart, else the name numbered."""
    names = [r.scenario.name for r in runs]
    labels, seen = [], {}
    for results, name in zip(runs, names):
        stem = Path(results.source).stem if results.source else None
        if names.count(name) > 1 and stem and stem not in names and stem not in labels:
            labels.append(stem)
            continue
        seen[name] = seen.get(name, 0) + 1
        labels.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return labels


def check_calendars(resolved: list) -> None:
    """Common random numbers line up by month since the start, so every scenario must start in
    the baseline's month (InputError naming the first that does not)."""
    first = resolved[0].scenario
    for entry in resolved[1:]:
        if entry.scenario.start != first.start:
            raise InputError(entry.source or entry.scenario.name, "start",
                             f"expected the baseline's start month {first.start} so that months line up; "
                             f"found {entry.scenario.start}")


def check_long_enough(resolved: list, years) -> None:
    """A comparison reads whole years after the start: every scenario must reach the first of
    them (InputError naming the first that does not)."""
    first_year = min(years, default=1)
    for entry in resolved:
        if entry.scenario.months < 12 * first_year:
            raise InputError(entry.source or entry.scenario.name, "months",
                             f"expected at least {12 * first_year} months, so that year {first_year} can be "
                             f"compared; found {entry.scenario.months}")


def compare(scenarios, *, replications: int | None = None, seed: int | None = None,
            overrides: list[str] | tuple[str, ...] = (), years=YEARS,
            progress: Callable[[], None] | None = None, uncertainty: str = "parameters", **params) -> Comparison:
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
        uncertainty: 'parameters' (default: replication r of every scenario runs with the same
            parameter set of the calibration ensemble, drawn from (seed, r)) or 'stochastic'
            (every scenario at the calibrated point).
    """
    scenarios, overrides = list(scenarios), combined(overrides, params)
    if len(scenarios) < 2:
        raise InputError("scenarios", "", f"expected at least two scenarios to compare; found {len(scenarios)}")
    first = resolve(scenarios[0], overrides, seed=seed, replications=replications)
    # Every scenario takes the baseline's seed and replications (common random numbers).
    options = {"seed": first.scenario.seed, "replications": first.scenario.replications}
    resolved = [first] + [resolve(s, overrides, **options) for s in scenarios[1:]]
    check_calendars(resolved)
    check_long_enough(resolved, years)
    started, clock = datetime.now(timezone.utc).isoformat(timespec="seconds"), time.perf_counter()
    runs = [run(entry, progress=progress, uncertainty=uncertainty) for entry in resolved]
    shortest = min(runs, key=lambda r: r.scenario.months)
    kept = year_months(shortest.timeseries, years)
    return Comparison(runs=runs, labels=_labels(runs), years=kept,
                      skipped=[y for y in years if y not in kept], started=started,
                      finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                      seconds=time.perf_counter() - clock)

