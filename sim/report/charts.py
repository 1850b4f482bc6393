"""Briefing-quality charts of a run: median lines with 90% bands, labelled axes with units, a
source note, and a colour-blind-safe palette (Okabe-Ito)."""
from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from sim.scenario.loading import timeline

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
STYLE = {"font.size": 12, "axes.titlesize": 14, "axes.titleweight": "bold", "axes.spines.top": False,
         "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3, "figure.dpi": 100}


def source_note(fig, text: str) -> None:
    """Write the source and assumptions note in small grey type at the foot of a figure.

    Args:
        fig: the matplotlib figure.
        text: the note, one or two lines.
    """
    fig.text(0.01, 0.01, text, fontsize=9, color="#444444", ha="left", va="bottom")


def _note(fig, results) -> None:
    many = results.replications > 1
    band = "Lines: median; shading: 90% interval across replications.\n" if many else ""
    source_note(fig, f"{band}Source: gpsim simulation of a synthetic England, scenario '{results.scenario.name}', "
                f"{results.replications} replication(s), seed {results.seed}. Assumptions: docs/ODD.md.")


def _months(index) -> pd.DatetimeIndex:
    return pd.to_datetime(pd.Index(index), format="%Y-%m")


def band_line(ax, q: pd.DataFrame, label: str, colour: str, shade: bool = True, **style) -> None:
    """Draw a median line with its shaded 90% band over months.

    Args:
        ax: the axes to draw on.
        q: a frame indexed by 'YYYY-MM' month with columns median, low and high.
        label: legend label of the line.
        colour: line and band colour.
        shade: draw the band (off when there is a single replication).
        style: further line options, e.g. ls="--".
    """
    x = _months(q.index)
    ax.plot(x, q["median"], color=colour, lw=2.2, label=label, **style)
    if shade:
        ax.fill_between(x, q["low"], q["high"], color=colour, alpha=0.2, lw=0)


def _band(ax, results, column: str, label: str, colour: str, scale: float = 1.0) -> None:
    band_line(ax, results.quantiles(column) * scale, label, colour, shade=results.replications > 1)


def _policy_marks(ax, results) -> None:
    """Mark when each organisation kind opens and each dated change, so readers see causes."""
    marks: dict[str, list[str]] = {}
    for name, organisation in results.scenario.organisations.items():
        if organisation.opens:
            marks.setdefault(organisation.opens, []).append(f"{name} opens")
    if results.scenario.additional_roles.start:
        marks.setdefault(results.scenario.additional_roles.start, []).append("additional roles")
    for change in results.scenario.changes:
        marks.setdefault(change.date, []).append("change")
    for row, (when, texts) in enumerate(sorted(marks.items())):
        x = pd.to_datetime(when, format="%Y-%m")
        ax.axvline(x, color="#666666", ls="--", lw=1)
        ax.annotate(", ".join(texts), (x, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -12 - 12 * (row % 2)),
                    textcoords="offset points", fontsize=9, color="#444444")


def _figure(title: str, results, ylabel: str, share: bool = False):
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(10, 5.6))
    ax.set_title(title, loc="left", fontweight="bold")
    ax.set_ylabel(ylabel)
    ax.set_xlabel("Month")
    if share:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    _note(fig, results)
    return fig, ax


def coverage(results):
    """Share of practices in a network over time, overall and by kind."""
    fig, ax = _figure("Share of practices in a network", results, "Practices in a network (% of open practices)", share=True)
    _band(ax, results, "network_coverage_practices", "Any organisation", PALETTE[0])
    for i, name in enumerate(results.scenario.organisations):
        _band(ax, results, f"coverage_{name}", f"{name}: member", PALETTE[(i + 1) % len(PALETTE)])
        if results.scenario.organisations[name].band is not None:
            _band(ax, results, f"paid_coverage_{name}", f"{name}: in a paid network", PALETTE[(i + 4) % len(PALETTE)])
    ax.set_ylim(0, 1.05)
    _policy_marks(ax, results)
    ax.legend(loc="lower right", frameon=False)
    return fig


def network_sizes(results):
    """Size distribution of organisations at the end, against each kind's paid band then."""
    in_force_at_end = timeline(results.scenario)[-1][1]
    fig, ax = _figure("Size of networks at the end of the run, against the paid band", results, "Organisations")
    table = results.networks
    top = max(float(table["patients"].quantile(0.99)) if len(table) else 1.0, 60_000.0)
    bins = np.linspace(0, top, 41)
    for i, name in enumerate(results.scenario.organisations):
        sizes = table.loc[table["type"] == name, "patients"].clip(upper=top)
        weights = np.full(len(sizes), 1.0 / max(results.replications, 1))
        ax.hist(sizes, bins=bins, weights=weights, alpha=0.6, color=PALETTE[i % len(PALETTE)],
                label=f"{name} ({len(sizes) / max(results.replications, 1):,.0f} per run)")
        band = in_force_at_end.organisations[name].band
        if band is not None:
            ax.axvspan(band.min_patients, band.max_patients, color=PALETTE[i % len(PALETTE)], alpha=0.12,
                       label=f"{name} paid band {band.min_patients:,.0f}-{band.max_patients:,.0f}")
    ax.set_xlabel("Registered patients of member practices")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v / 1000:,.0f}k"))
    ax.set_ylabel("Organisations (mean per replication)")
    ax.legend(frameon=False)
    return fig


def continuity(results):
    """Continuity of care over time."""
    fig, ax = _figure("Continuity of care: share of GP consultations with the usual GP", results,
                      "Consultations with usual GP (%)", share=True)
    _band(ax, results, "continuity", "Continuity (patient-weighted)", PALETTE[0])
    _policy_marks(ax, results)
    ax.legend(loc="lower left", frameon=False)
    return fig


def workforce(results):
    """GP turnover, locum share and GP FTE per 1,000 patients."""
    fig, ax = _figure("GP workforce: turnover and locum use", results, "Share (%)", share=True)
    _band(ax, results, "gp_turnover_12m", "GP turnover, last 12 months (leavers / mean headcount)", PALETTE[5])
    _band(ax, results, "locum_share", "Locum share of GP FTE", PALETTE[1])
    right = ax.twinx()
    _band(right, results, "gp_fte_per_1000", "GP FTE per 1,000 patients (right axis)", PALETTE[0])
    right.set_ylabel("GP FTE per 1,000 patients")
    right.grid(False)
    lines = ax.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", frameon=False, fontsize=10)
    _policy_marks(ax, results)
    return fig


def sustainability(results):
    """Practices open, and practices closing or in deficit, in two panels."""
    with plt.rc_context(STYLE):
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7.5), sharex=True)
    top.set_title("Sustainability: practices open, closing and in deficit", loc="left", fontweight="bold")
    _band(top, results, "practices", "Practices open", PALETTE[0])
    top.set_ylabel("Practices open")
    _band(bottom, results, "closures_12m", "Closed or merged in the last 12 months", PALETTE[5])
    _band(bottom, results, "practices_in_deficit", "In deficit (negative reserves), per 1,000 practices", PALETTE[2], scale=1000.0)
    bottom.set_ylabel("Practices")
    bottom.set_xlabel("Month")
    for ax in (top, bottom):
        _policy_marks(ax, results)
        ax.legend(loc="lower left", frameon=False, fontsize=10)
    _note(fig, results)
    return fig


CHARTS = {"coverage": coverage, "network_sizes": network_sizes, "continuity": continuity,
          "workforce": workforce, "sustainability": sustainability}


def standard_charts(results, directory: str | Path | None = None) -> dict:
    """Draw every standard chart; with a directory, save each as PNG and SVG and close it."""
    return finish({name: draw(results) for name, draw in CHARTS.items()}, directory)


def finish(figures: dict, directory: str | Path | None = None, foot: float | dict = 0.06) -> dict:
    """Lay out figures above their source note; with a directory, save each as PNG and SVG and close it.

    Args:
        figures: chart name -> matplotlib figure.
        directory: folder to save into, or None to return the figures themselves.
        foot: share of the figure height kept free for the source note (or chart name -> share).

    Returns:
        chart name -> saved PNG path (with a directory) or the figure (without).
    """
    done = {}
    for name, fig in figures.items():
        fig.tight_layout(rect=(0, foot[name] if isinstance(foot, dict) else foot, 1, 1))
        if directory is None:
            done[name] = fig
            continue
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        fig.savefig(folder / f"{name}.png", dpi=150)
        # No date in the SVG, so the same results give the same bytes.
        fig.savefig(folder / f"{name}.svg", metadata={"Date": None})
        plt.close(fig)
        done[name] = folder / f"{name}.png"
    return done
