"""Charts of a scenario comparison, in the style of sim.charts: each outcome per scenario with its
90% band, the paired difference from the baseline, network sizes against the paid band, and
equity views (small, rural, deprived and isolated practices against the rest)."""
from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, PercentFormatter

from sim.report.charts import PALETTE, STYLE, band_line, finish, source_note
from sim.results.outcomes import GROUPS, HEADLINE, MEASURES, UNITS
from sim.scenario.loading import timeline

# The smallest y range of a difference panel, by unit: below it differences are too small to matter.
MIN_SPAN = {"share": 0.2, "GP FTE per 1,000 patients": 0.002}
AXES = {"share": "{} (%)", "practices": "{} (practices)", "organisations": "{} (organisations)",
        "patients": "{}", "GP FTE per 1,000 patients": "{} (FTE)"}


def _note(fig, comparison, what: str = "Lines: median; shading: 90% interval across replications.") -> None:
    source = (f"Source: gpsim simulation of a synthetic England; {', '.join(comparison.labels)}; "
              f"{comparison.replications} replication(s) each, seed {comparison.seed}, common random numbers. "
              f"Assumptions: docs/ODD.md.")
    # Wrapped to the figure's width (about 14 characters an inch at 9 points) so nothing is cut off.
    width = int(fig.get_figwidth() * 14)
    source_note(fig, "\n".join(textwrap.wrap(what, width) + textwrap.wrap(source, width)))


def _axis_label(column: str, label: str) -> str:
    # HEADLINE labels may carry a unit or '(share)'; the axis states its own unit instead.
    return AXES[UNITS[column]].format(label.replace(" (share)", ""))


def _format_axis(ax, column: str) -> None:
    if UNITS[column] == "share":
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.3g}" if abs(v) < 10 else f"{v:,.0f}"))


def _least_span(ax, span: float) -> None:
    """Widen a y axis to at least `span`, so a tiny difference is not blown up to fill the panel."""
    low, high = ax.get_ylim()
    if high - low < span:
        middle = (low + high) / 2
        ax.set_ylim(middle - span / 2, middle + span / 2)


def _figure(title: str, figsize=(10, 5.6)):
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=figsize)
    ax.set_title(title, loc="left", fontweight="bold")
    return fig, ax


def outcome(comparison, column: str, label: str):
    """One outcome over time: median line and 90% band for every scenario."""
    fig, ax = _figure(f"{label.replace(' (share)', '')}: each scenario over time")
    for i, (name, results) in enumerate(zip(comparison.labels, comparison.runs)):
        band_line(ax, results.quantiles(column), name, PALETTE[i % len(PALETTE)], shade=results.replications > 1,
                  ls="-" if i == 0 else (0, (5, 1.5 * i)))
    ax.set_xlabel("Month")
    ax.set_ylabel(_axis_label(column, label))
    _format_axis(ax, column)
    ax.legend(frameon=False, fontsize=10, title="Scenario", title_fontsize=10)
    _note(fig, comparison)
    return fig


def difference(comparison):
    """Paired difference from the baseline over time, one panel per outcome."""
    with plt.rc_context(STYLE | {"font.size": 10, "axes.titlesize": 11}):
        fig, axes = plt.subplots(2, 5, figsize=(15, 8.5), sharex=True)
    fig.suptitle(f"Difference from the baseline ({comparison.labels[0]}), replication by replication",
                 x=0.01, ha="left", fontweight="bold", fontsize=15)
    for ax, (column, label, _) in zip(axes.flat, HEADLINE):
        for i in range(1, len(comparison.runs)):
            # Shares are drawn in percentage points so the axis reads like the briefing text.
            scale = 100.0 if UNITS[column] == "share" else 1.0
            band_line(ax, comparison.difference(column, i) * scale, comparison.labels[i], PALETTE[i % len(PALETTE)],
                      shade=comparison.replications > 1)
        ax.axhline(0, color="#000000", lw=1)
        _least_span(ax, MIN_SPAN.get(UNITS[column], 2.0))
        ax.set_title(textwrap.fill(label.replace(" (share)", ""), 26), loc="left", fontsize=11)
        ax.set_ylabel("Difference" + (" (percentage points)" if UNITS[column] == "share" else f" ({UNITS[column]})"),
                      fontsize=10)
        ax.tick_params(axis="x", labelrotation=45, labelsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("Month")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    # Below the panels, above the source note, where it hides no data.
    fig.legend(handles, [f"{label} minus {comparison.labels[0]}" for label in labels], loc="lower left",
               bbox_to_anchor=(0.01, 0.055), ncol=len(labels), frameon=False, fontsize=10)
    _note(fig, comparison, "Lines: median of the paired difference (scenario replication r minus baseline replication r); "
                           "shading: its 90% interval. Zero line: no difference.")
    return fig


def network_sizes(comparison):
    """Size distribution of organisations at the end of each scenario against its paid band at the end."""
    n = len(comparison.runs)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(n, 1, figsize=(10, 2.4 + 2.2 * n), sharex=True, squeeze=False)
    axes = axes[:, 0]
    axes[0].set_title("Size of networks at the end of each scenario, against the paid band", loc="left", fontweight="bold")
    tables = [r.networks for r in comparison.runs]
    top = max([float(t["patients"].quantile(0.99)) for t in tables if len(t)] + [60_000.0])
    bins = np.linspace(0, top, 41)
    kinds = list(dict.fromkeys(k for r in comparison.runs for k in r.scenario.organisations))
    for ax, name, results in zip(axes, comparison.labels, comparison.runs):
        final = timeline(results.scenario)[-1][1]
        for kind, organisation in final.organisations.items():
            colour = PALETTE[kinds.index(kind) % len(PALETTE)]
            sizes = results.networks.loc[results.networks["type"] == kind, "patients"].clip(upper=top)
            ax.hist(sizes, bins=bins, weights=np.full(len(sizes), 1.0 / results.replications), alpha=0.65,
                    color=colour, label=f"{kind} ({len(sizes) / results.replications:,.0f} per run)")
            if organisation.band is not None:
                ax.axvspan(organisation.band.min_patients, min(organisation.band.max_patients, top), facecolor=colour,
                           alpha=0.12, hatch="//", edgecolor=colour,
                           label=f"{kind} paid band {organisation.band.min_patients:,.0f}-{organisation.band.max_patients:,.0f}")
        ax.set_ylabel("Organisations\n(mean per run)")
        ax.text(0.99, 0.92, name, transform=ax.transAxes, ha="right", va="top", fontweight="bold")
        ax.legend(frameon=False, fontsize=9, loc="upper right", bbox_to_anchor=(1.0, 0.8))
    axes[-1].set_xlabel("Registered patients of member practices")
    axes[-1].xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:,.0f}k"))
    _note(fig, comparison, "Bars: organisations by size at the end of the run (sizes above the 99th percentile "
                           "shown in the last bar); hatched: paid band in force at the end.")
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
            y = np.arange(len(groups)) + offsets[i]
            colour = PALETTE[i % len(PALETTE)]
            ax.errorbar(rows["group_median"], y, xerr=[rows["group_median"] - rows["group_low"],
                        rows["group_high"] - rows["group_median"]], fmt="o", color=colour, ms=7, capsize=3)
            ax.plot(rows["rest_median"], y, "D", mfc="white", mec=colour, ms=7, mew=1.8)
        ax.set_title(label, loc="left", fontsize=12)
        ax.set_xlabel(f"{label} (% of practices)" if measure in ("closed_or_merged", "in_deficit") else f"{label} (%)",
                      fontsize=10)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    # The y axis is shared, so set the group order (top to bottom) once.
    axes.flat[0].set_yticks(np.arange(len(groups)), [GROUPS[g] for g in groups])
    axes.flat[0].invert_yaxis()
    for ax in axes[:, 0]:
        ax.set_ylabel("Practice group")
    handles = [Line2D([], [], color=PALETTE[i % len(PALETTE)], lw=6, label=name) for i, name in enumerate(comparison.labels)]
    handles += [Line2D([], [], color="#000000", marker="o", ls="-", label="the group: median, 90% interval"),
                Line2D([], [], color="#000000", marker="D", mfc="white", ls="none", label="the rest: median")]
    # Below the panels, above the source note, where it hides no data.
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.01, 0.055), ncol=len(handles), frameon=False, fontsize=10)
    _note(fig, comparison, "Dots: median for the group with its 90% interval; hollow diamonds: median for all other "
                           "practices. Deprived: top fifth by deprivation; isolated: top tenth by distance to neighbours.")
    return fig


def comparison_charts(comparison, directory: str | Path | None = None) -> dict:
    """Draw every comparison chart; with a directory, save each as PNG and SVG and close it."""
    figures = {f"outcome_{column}": outcome(comparison, column, label) for column, label, _ in HEADLINE}
    figures.update(difference=difference(comparison), network_sizes=network_sizes(comparison),
                   equity=equity(comparison))
    # Room at the foot for the wrapped source note (and the equity chart's legend).
    feet = {name: 0.11 if name.startswith("outcome_") else 0.08 for name in figures} | {"equity": 0.13, "difference": 0.12}
    return finish(figures, directory, foot=feet)
