"""What a briefing says about the results: findings in plain words using only the verdicts of
comparison.csv, and the result tables (outcomes by year, equity, smallest important
differences), all read from the tables a run or comparison folder holds."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.results.outcomes import (
    GROUPS,
    MEASURES,
    MIN_REPLICATIONS,
    find_outcome,
    format_interval,
    format_value,
)

QUANTILES = ["median", "low", "high"]
DIFFERENCE = [f"difference_{q}" for q in QUANTILES]


@dataclass
class Table:
    """A captioned table: header and rows of text."""

    caption: str
    header: list[str]
    rows: list[list[str]]
    labels: int = 1  # leading columns that name the row rather than hold results


def interval_name(replications: int) -> str:
    """What the interval of N replications is: a 90% interval from 3 on; below that the 5th to
    95th percentiles of one or two values, which are no interval at all."""
    return "90% interval" if replications >= MIN_REPLICATIONS else f"5th-95th percentile of {replications} replication(s)"


def _spread(replications: int) -> str:
    """How a table's figures are summarised, for its caption."""
    if replications == 1:
        return "the single replication's figure (no interval, no verdict)"
    words = f"median [{interval_name(replications)}] across replications"
    return words if replications >= MIN_REPLICATIONS else words + " (too few for a verdict)"


def _judged(verdict: str, replications: int) -> str:
    """A verdict as a table shows it: left out when every one would be 'too few replications'."""
    return f" {verdict}" if replications >= MIN_REPLICATIONS else ""


def _figure(unit: str, values, replications: int, difference: bool = False, important: float = 0.0) -> str:
    """A median with its interval in words, or the median alone for a single replication."""
    if replications == 1 or pd.isna(values[0]):
        return format_value(unit, values[0], difference)
    text = format_interval(unit, *values, difference=difference, important=important)
    return text.replace("90% interval", interval_name(replications))


def _why(row) -> str:
    """The verdict of a difference in words, with its reason when there is no clear difference."""
    if row["verdict"] != "no clear difference":
        return row["verdict"]
    if row["difference_low"] <= 0 <= row["difference_high"]:
        return "no clear difference (the interval includes zero)"
    important = format_value(row["unit"], row["smallest_important_difference"], True).lstrip("+")
    return f"no clear difference (wholly within ±{important}, the smallest difference that matters)"


def comparison_findings(table: pd.DataFrame, baseline: str, titles: dict[str, str], replications: int) -> list[str]:
    """Plain-words findings at the last compared year for the headline outcomes: each scenario's
    lead line counts its verdicts; then clear differences first.

    Args:
        table: comparison.csv as a frame.
        baseline: the baseline scenario's label.
        titles: label -> the scenario's title.
        replications: replications per scenario.
    """
    year = int(table["year"].max())
    last = table[(table["year"] == year) & table["headline"]]
    month = last["month"].iloc[0]
    findings = []
    for name in [s for s in dict.fromkeys(last["scenario"]) if s != baseline]:
        rows = last[last["scenario"] == name]
        counts = rows["verdict"].value_counts()
        if (rows["verdict"] == "start-up year").all():
            findings.append(f"By year {year} ({month}), {titles[name]} against {titles[baseline]}: no verdicts. Year "
                            f"{year} is the start-up year, when the figures still settle from the drawn starting "
                            f"population; compare over more years.")
        elif replications < MIN_REPLICATIONS:
            findings.append(f"By year {year} ({month}), {titles[name]} against {titles[baseline]}: no verdicts. "
                            f"{replications} replication(s) per scenario give no interval to judge a difference by, so "
                            f"none can be told from chance; the figures below are for orientation only. Run at least "
                            f"{MIN_REPLICATIONS} replications (10 or more for steady intervals).")
        else:
            findings.append(f"By year {year} ({month}), {titles[name]} against {titles[baseline]}: higher in "
                            f"{counts.get('higher', 0)} and lower in {counts.get('lower', 0)} of {len(rows)} headline "
                            f"outcomes (the 90% interval of the paired difference excludes zero and is not wholly within "
                            f"the smallest difference that matters); no clear difference in "
                            f"{counts.get('no clear difference', 0)}.")
        clear, unclear = [], []
        for _, row in rows.iterrows():
            base = last[(last["scenario"] == baseline) & (last["outcome"] == row["outcome"])].iloc[0]
            unit = row["unit"]
            sentence = (f"{row['label']}: {_figure(unit, row[QUANTILES].tolist(), replications)} under {name} against "
                        f"{_figure(unit, base[QUANTILES].tolist(), replications)} under {baseline}; paired difference "
                        f"{_figure(unit, row[DIFFERENCE].tolist(), replications, True, row['smallest_important_difference'])}")
            if replications >= MIN_REPLICATIONS or row["verdict"] == "start-up year":
                sentence += f": {_why(row)}"
            (clear if row["verdict"] in ("higher", "lower") else unclear).append(sentence + ".")
        findings.extend(clear + unclear)
    return findings


def run_findings(table: pd.DataFrame, name: str, replications: int, start_up: int = 0) -> list[str]:
    """Plain-words findings of one run: each outcome at year 1 and at the last whole year (year 1
    marked as the start-up year when the run draws its own population)."""
    first, last = int(table["year"].min()), int(table["year"].max())
    settling = ", the start-up year" if 12 * first <= start_up else ""
    findings = []
    for column, rows in table.groupby("outcome", sort=False):
        rows = rows.set_index("year")
        start, end, unit = rows.loc[first], rows.loc[last], rows["unit"].iloc[0]
        findings.append(f"{start['label']}: {_figure(unit, start[QUANTILES].tolist(), replications)} at year {first} "
                        f"({start['month']}{settling}), {_figure(unit, end[QUANTILES].tolist(), replications)} at year {last} "
                        f"({end['month']}) under {name}.")
    return findings


def _bracketed(unit: str, values, difference: bool = False, important: float = 0.0, replications: int = 3) -> str:
    """'median [low to high]', or the median alone for a single replication."""
    if replications == 1:
        return format_value(unit, values.iloc[0] if hasattr(values, "iloc") else values[0], difference)
    return format_interval(unit, *values, difference=difference, brackets=True, important=important)


def years_table(table: pd.DataFrame, baseline: str, replications: int) -> Table:
    """Headline outcomes by year: median [interval] per scenario, and the paired difference from
    the baseline with its verdict."""
    table = table[table["headline"]] if "headline" in table else table
    scenarios = list(dict.fromkeys(table["scenario"]))
    others = [s for s in scenarios if s != baseline]
    header = ["Outcome", "Year"] + scenarios + [f"{s} minus {baseline}" for s in others]
    rows = []
    for (_, year), group in table.groupby(["outcome", "year"], sort=False):
        by, unit = group.set_index("scenario"), group["unit"].iloc[0]
        cells = [_bracketed(unit, by.loc[s, QUANTILES], replications=replications) for s in scenarios]
        cells += [f"{_bracketed(unit, by.loc[s, DIFFERENCE], True, by.loc[s, 'smallest_important_difference'], replications)}"
                  f"{_judged(by.loc[s, 'verdict'], replications)}" for s in others]
        rows.append([group["label"].iloc[0], str(year)] + cells)
    years = sorted(table["year"].unique())
    when = f"years {', '.join(map(str, years[:-1]))} and {years[-1]}" if len(years) > 1 else f"year {years[0]}"
    caption = f"Outcomes at the end of {when}: {_spread(replications)}"
    if others:
        caption += "; differences are paired by replication" + (", then given their verdict"
                                                               if replications >= MIN_REPLICATIONS else "")
    return Table(caption, header, rows, labels=2)


def importance_table(table: pd.DataFrame) -> Table:
    """The smallest important difference of each headline outcome, with its reason."""
    rows = []
    for column, group in table[table["headline"]].groupby("outcome", sort=False):
        outcome = find_outcome(column)
        size = format_value(group["unit"].iloc[0], group["smallest_important_difference"].iloc[0], True).lstrip("+")
        rows.append([group["label"].iloc[0], size, outcome.why if outcome else ""])
    return Table("Smallest important differences: a paired interval lying wholly within plus or minus this is "
                 "'no clear difference', however narrow", ["Outcome", "Smallest important difference", "Why this size"],
                 rows)


def equity_table(equity: pd.DataFrame, baseline: str, replications: int) -> Table:
    """Each group against the rest at the last compared year, per scenario: the two medians, the
    gap with its interval and verdict, and (for the other scenarios) the change in the gap."""
    year = int(equity["year"].max())
    last = equity[equity["year"] == year].set_index(["scenario", "group", "measure"])
    scenarios = list(dict.fromkeys(equity["scenario"]))
    rows = []
    for group in GROUPS:
        for measure in MEASURES:
            cells = []
            for s in scenarios:
                row = last.loc[(s, group, measure)]
                important = row["smallest_important_difference"]
                text = (f"{format_value('share', row['group_median'])} vs {format_value('share', row['rest_median'])}; "
                        f"gap {_bracketed('share', row[['gap_median', 'gap_low', 'gap_high']], True, important, replications)}"
                        f"{_judged(row['gap_verdict'], replications)}")
                if s != baseline:
                    change = _bracketed("share", row[["gap_change_median", "gap_change_low", "gap_change_high"]], True,
                                        important, replications)
                    text += f"; gap change {change}{_judged(row['gap_change_verdict'], replications)}"
                cells.append(text)
            rows.append([GROUPS[group], MEASURES[measure]] + cells)
    return Table(f"Equity at year {year}: the group vs all other practices; gap: the group minus the rest within "
                 f"each replication, {_spread(replications)} (not the difference of the two figures beside it); gap "
                 f"change: a scenario's gap minus {baseline}'s, paired by replication", ["Group", "Measure"] + scenarios,
                 rows, labels=2)
