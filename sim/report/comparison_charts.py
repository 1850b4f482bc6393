"""Charts of a scenario comparison, in the style of sim.charts: each outcome per scenario with its
90% band, the paired difference from the baseline, network sizes against the paid band, and
equity views (small, rural, deprived and isolated practices against the rest)."""
from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from sim.report.charts import (
    PALETTE,
    PUBLISHED_NOTE,
    STYLE,
    band_line,
    draw_published,
    finish,
    percent_axis,
    size_histogram,
    source_note,
    spread_words,
    start_up,
    uncertainty_words,
)
from sim.results.outcomes import (
    GROUPS,
    MEASURES,
    find_outcome,
    format_value,
    with_derived,
)
from sim.scenario.loading import timeline

AXES = {"share": "{} (%)", "practices": "{} (practices)", "organisations": "{} (organisations)",
        "patients": "{} (patients)", "GP FTE per 1,000 patients": "{} (FTE)", "FTE": "{} (FTE)",
        "GBP": "{} (£ million)"}
# A difference of the smallest important size fills at most this share of an outcome chart's y axis,
# so a trivial difference is not blown up to fill the panel.
SPAN_IN_IMPORTANT = 10
# The least half-height of the difference chart's shared axis, in smallest important differences.
LEAST_MULTIPLE = 3.0
COLUMNS = 5  # panels a row in the difference chart


def _note(fig, comparison, what: str | None = None) -> None:
    what = what or f"Lines: median; shading: {spread_words(comparison.replications)} across replications."
    what = f"{what.strip()} {uncertainty_words(comparison)}".strip()
    source = (f"Source: gpsim simulation of a synthetic England; {'; '.join(_named(comparison))}; "
              f"{comparison.replications} replication(s) each, seed {comparison.seed}, common random numbers. "
              f"Assumptions: docs/ODD.md.")
    # Wrapped to the figure's width (about 14 characters an inch at 9 points) so nothing is cut off.
    width = int(fig.get_figwidth() * 14)
    source_note(fig, "\n".join(textwrap.wrap(what, width) + textwrap.wrap(source, width)))


def _named(comparison) -> list[str]:
    """Each scenario as 'title (label)'."""
    return [title if title == label or title.endswith(f"({label})") else f"{title} ({label})"
            for title, label in zip(comparison.titles, comparison.labels)]


def _axis_label(outcome) -> str:
    return AXES[outcome.unit].format(outcome.label.replace(" (share)", "").replace(" (patients)", ""))


def _scaled(unit: str) -> float:
    return 1e-6 if unit == "GBP" else 1.0


def _format_axis(ax, unit: str) -> None:
    if unit == "share":
        percent_axis(ax)
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.3g}" if abs(v) < 10 else f"{v:,.0f}"))


def _least_span(ax, span: float, floor: float | None = None, ceiling: float | None = None) -> None:
    """Widen a y axis to at least `span` (within floor and ceiling), so a tiny difference is not
    blown up to fill the panel."""
    low, high = ax.get_ylim()
    if high - low < span:
        middle = (low + high) / 2
        low, high = middle - span / 2, middle + span / 2
        if ceiling is not None and high > ceiling:
            low, high = low - (high - ceiling), ceiling
        if floor is not None and low < floor:
            low, high = floor, high + (floor - low)
        ax.set_ylim(low, high)


def _figure(title: str, figsize=(10, 5.6)):
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=figsize)
    ax.set_title(title, loc="left", fontweight="bold")
    return fig, ax


def _quantiles(results, column: str) -> pd.DataFrame:
    series = with_derived(results.timeseries)
    if column not in series:  # a kind of organisation this scenario lacks
        return pd.DataFrame(columns=["median", "low", "high"], dtype=float)
    grouped = series.groupby("month", sort=True)[column]
    return pd.DataFrame({"median": grouped.median(), "low": grouped.quantile(0.05), "high": grouped.quantile(0.95)})


def outcome(comparison, column: str):
    """One outcome over time: median line and 90% band for every scenario, on an axis at least
    SPAN_IN_IMPORTANT smallest important differences tall."""
    spec = find_outcome(column)
    fig, ax = _figure(f"{spec.label.replace(' (share)', '')}: each scenario over time")
    scale = _scaled(spec.unit)
    for i, (name, results) in enumerate(zip(_named(comparison), comparison.runs)):
        q = _quantiles(results, column)
        if len(q):
            band_line(ax, q * scale, name, PALETTE[i % len(PALETTE)], shade=results.replications > 1,
                      ls="-" if i == 0 else (0, (5, 1.5 * i)))
    _least_span(ax, SPAN_IN_IMPORTANT * spec.important * scale, floor=0.0,
                ceiling=1.0 if spec.unit == "share" else None)
    start_up(ax, comparison.baseline)
    shown = spec.unit != "GBP" and draw_published(ax, comparison.baseline, column, "#FFFFFF", "what happened")
    ax.set_xlabel("Month")
    ax.set_ylabel(_axis_label(spec))
    _format_axis(ax, spec.unit)
    ax.legend(frameon=False, fontsize=10, title="Scenario", title_fontsize=10)
    _note(fig, comparison, f"Lines: median; shading: {spread_words(comparison.replications)} across replications."
                           + (f" {PUBLISHED_NOTE}" if shown else ""))
    return fig


def difference(comparison, columns: list[str]):
    """Paired difference from the baseline over time in multiples of each outcome's smallest
    important difference, one panel per headline outcome, all on the same axis: a difference
    that matters looks as large as it matters, whatever its units."""
    n = len(columns)
    ncols = min(n, COLUMNS)
    nrows = -(-n // ncols)
    with plt.rc_context(STYLE | {"font.size": 10, "axes.titlesize": 11}):
        fig, axes = plt.subplots(nrows, ncols, figsize=(16, 1.6 + 2.8 * nrows), sharex=True, sharey=True,
                                 squeeze=False)
    fig.suptitle(f"Difference from the baseline in multiples of the smallest difference that matters\n"
                 f"Baseline: {comparison.titles[0]}", x=0.01, ha="left", fontweight="bold", fontsize=14)
    reach = LEAST_MULTIPLE
    for ax, column in zip(axes.flat, columns):
        spec = find_outcome(column)
        for i in range(1, len(comparison.runs)):
            multiple = comparison.difference(column, i) / spec.important
            band_line(ax, multiple, comparison.labels[i], PALETTE[i % len(PALETTE)], shade=comparison.replications > 1)
            if multiple.notna().any().any():
                reach = max(reach, float(multiple.abs().max().max()))
        ax.axhspan(-1, 1, color="#999999", alpha=0.25, lw=0, label="within the smallest difference that matters")
        start_up(ax, comparison.baseline)
        ax.axhline(0, color="#000000", lw=1)
        one = format_value(spec.unit, spec.important, True).lstrip("+")
        ax.set_title(f"{textwrap.fill(spec.label.replace(' (share)', ''), 30)}\n(1 = {one})", loc="left", fontsize=10)
        ax.tick_params(axis="x", labelrotation=45, labelsize=9)
    for index in range(n, nrows * ncols):
        axes.flat[index].set_visible(False)
        # The panel above an empty slot is the lowest of its column: it carries the month axis.
        above = axes.flat[index - ncols]
        above.xaxis.set_tick_params(labelbottom=True)
        above.set_xlabel("Month")
    axes.flat[0].set_ylim(-reach * 1.1, reach * 1.1)
    axes.flat[0].yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+g}" if v else "0"))
    for ax in axes[:, 0]:
        ax.set_ylabel("Multiples of the\nsmallest that matters")
    for ax in axes[-1][:n - (nrows - 1) * ncols]:
        ax.set_xlabel("Month")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    titles = dict(zip(comparison.labels, comparison.titles))
    # Below the panels, above the source note, where it hides no data.
    fig.legend(handles, [f"{titles[label]} minus {comparison.titles[0]}" if label in titles else label for label in labels],
               loc="lower left",
               bbox_to_anchor=(0.01, 0.65 / fig.get_figheight()), ncol=len(labels), frameon=False, fontsize=10)
    _note(fig, comparison, f"Lines: median of the paired difference (scenario replication r minus baseline replication "
                           f"r) divided by the outcome's smallest important difference (in each panel's title; reasons "
                           f"in docs/outputs.md); shading: its {spread_words(comparison.replications)}. Grey band: "
                           f"within the smallest difference that matters. Zero line: no difference.")
    return fig


def network_sizes(comparison):
    """Size distribution of organisations at the end of each scenario against its paid band at the end."""
    n = len(comparison.runs)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(n, 1, figsize=(10, 2.4 + 2.2 * n), sharex=True, squeeze=False)
    axes = axes[:, 0]
    axes[0].set_title("Size of networks at the end of each scenario, against the paid band", loc="left", fontweight="bold")
    kinds = list(dict.fromkeys(k for r in comparison.runs for k in r.scenario.organisations))
    top = None
    for ax, name, results in zip(axes, _named(comparison), comparison.runs):
        bands = {kind: o.band for kind, o in timeline(results.scenario)[-1][1].organisations.items()}
        top = size_histogram(ax, results.networks, results.replications, bands, kinds, top)
        ax.set_ylabel("Organisations\n(mean per run)")
        ax.text(0.99, 0.97, name, transform=ax.transAxes, ha="right", va="top", fontweight="bold", fontsize=10)
        ax.legend(frameon=False, fontsize=9, loc="upper right", bbox_to_anchor=(1.0, 0.85))
    axes[-1].set_xlabel("Registered patients of member practices")
    _note(fig, comparison, f"Outlines: organisations by size at the end of the run, mean per replication; the last bar "
                           f"(marked ≥) counts every organisation of {top / 1000:,.0f}k patients or more. Hatched: "
                           f"paid band in force at the end.")
    return fig


def equity(comparison):
    """Equity at the last compared year: each group against the rest, per scenario and measure."""
    table = comparison.equity()
    year = max(comparison.years)
    table = table[table["year"] == year]
    with plt.rc_context(STYLE | {"font.size": 11}):
        fig, axes = plt.subplots(2, 2, figsize=(14, 9.5), sharey=True)
    fig.suptitle(f"How small, rural, deprived and isolated practices fare against the rest, year {year}",
                 x=0.01, ha="left", fontweight="bold", fontsize=15)
    n = len(comparison.runs)
    offsets = (np.arange(n) - (n - 1) / 2) * (0.6 / max(n, 1))
    groups = list(GROUPS)
    for ax, (measure, label) in zip(axes.flat, MEASURES.items()):
        for i, name in enumerate(comparison.labels):
            rows = table[(table["scenario"] == name) & (table["measure"] == measure)].set_index("group").loc[groups]
            rows = rows.fillna(0.0)  # a group with no practices left open has no rate
            y = np.arange(len(groups)) + offsets[i]
            colour = PALETTE[i % len(PALETTE)]
            ax.errorbar(rows["group_median"], y, xerr=[rows["group_median"] - rows["group_low"],
                        rows["group_high"] - rows["group_median"]], fmt="o", color=colour, ms=7, capsize=3)
            ax.plot(rows["rest_median"], y, "D", mfc="white", mec=colour, ms=7, mew=1.8)
        ax.set_title(label, loc="left", fontsize=12)
        ax.set_xlabel(f"{label} (% of practices)" if measure in ("closed_or_merged", "in_deficit") else f"{label} (%)",
                      fontsize=10)
        low, high = ax.get_xlim()
        if high - low < 0.05:  # at least five points wide, so a near-zero rate is not blown up
            middle = max((low + high) / 2, 0.025)
            ax.set_xlim(middle - 0.025, middle + 0.025)
        percent_axis(ax, "x")
    # The y axis is shared, so set the group order (top to bottom) once.
    axes.flat[0].set_yticks(np.arange(len(groups)), [GROUPS[g] for g in groups])
    axes.flat[0].invert_yaxis()
    for ax in axes[:, 0]:
        ax.set_ylabel("Practice group")
    handles = [Line2D([], [], color=PALETTE[i % len(PALETTE)], lw=6, label=name) for i, name in enumerate(_named(comparison))]
    handles += [Line2D([], [], color="#000000", marker="o", ls="-",
                       label=f"the group: median, {spread_words(comparison.replications)}"),
                Line2D([], [], color="#000000", marker="D", mfc="white", ls="none", label="the rest: median")]
    # Below the panels, above the source note, where it hides no data.
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.01, 0.8 / fig.get_figheight()), ncol=2,
               frameon=False, fontsize=10)
    _note(fig, comparison, f"Dots: median for the group with its {spread_words(comparison.replications)}; hollow "
                           f"diamonds: median for all other practices. The gap and its interval are in equity.csv and "
                           f"the briefing. Deprived: top fifth by deprivation; isolated: top tenth by distance to "
                           f"neighbours.")
    return fig


def comparison_charts(comparison, directory: str | Path | None = None) -> dict:
    """Draw every comparison chart; with a directory, save each as PNG and SVG and close it."""
    columns = comparison.headline_outcomes()
    # A comparison with many headline outcomes holds more figures open than matplotlib's warning
    # threshold until they are saved and closed below, as meant.
    with plt.rc_context({"figure.max_open_warning": 0}):
        figures = {f"outcome_{column}": outcome(comparison, column) for column in columns}
        figures.update(difference=difference(comparison, columns), network_sizes=network_sizes(comparison),
                       equity=equity(comparison))
    # Room at the foot for the wrapped source note (and the legends below the panels).
    rows = -(-len(columns) // COLUMNS)
    feet = {name: 0.12 if name.startswith("outcome_") else 0.08 for name in figures}
    # The difference chart's legend and note take about 1.2 inches, whatever its height.
    feet |= {"equity": 0.19, "difference": 1.25 / (1.6 + 2.8 * rows), "network_sizes": 0.1}
    return finish(figures, directory, foot=feet)
