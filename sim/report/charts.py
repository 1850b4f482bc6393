"""Briefing-quality charts of a run: median lines with 90% bands, labelled axes with units, a
source note, and a colour-blind-safe palette (Okabe-Ito)."""
from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import yaml
from matplotlib.ticker import FuncFormatter

from sim.results.outcomes import start_up_months
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


# Published figures a history run is scored against (gpsim validate), drawn over its charts.
TARGETS = Path(__file__).resolve().parents[1] / "data" / "validation_targets.yaml"


def spread_words(replications: int) -> str:
    """What the shading across N replications is: a 90% interval from 3 on, else no interval."""
    return "90% interval" if replications >= 3 else f"5th-95th percentile of only {replications} replication(s)"


def percent_axis(ax, which: str = "y") -> None:
    """Label an axis of shares as percentages with as many decimals as the tick spacing needs
    (25%, 27.5%, 30%; never 0.00% or 57.50%)."""
    axis = ax.yaxis if which == "y" else ax.xaxis

    def label(value: float, _) -> str:
        ticks = np.diff(axis.get_majorticklocs()) * 100
        step = float(ticks.min()) if ticks.size else 1.0
        digits = next((d for d in range(3) if abs(round(step, d) - step) < 1e-6 * max(step, 1e-12)), 2)
        return f"{value * 100:.{digits}f}%"

    axis.set_major_formatter(FuncFormatter(label))


def uncertainty_words(run) -> str:
    """Which uncertainty the intervals of a run or comparison include, as a sentence ('' for one
    replication, which has no interval)."""
    return f"Intervals across replications include {run.interval_includes()}." if run.replications > 1 else ""


def _note(fig, results, what: str = "") -> None:
    many = results.replications > 1
    band = what or (f"Lines: median; shading: {spread_words(results.replications)} across replications." if many else "")
    band = f"{band.strip()} {uncertainty_words(results)}".strip()
    title = results.scenario.title or results.scenario.name
    changed = f" with --set {', '.join(results.overrides)}" if results.overrides else ""
    source = (f"Source: gpsim simulation of a synthetic England, '{title}'{changed}, {results.replications} "
              f"replication(s), seed {results.seed}. Assumptions: docs/ODD.md.")
    # Wrapped to the figure's width (about 14 characters an inch at 9 points) so nothing is cut off.
    width = int(fig.get_figwidth() * 14)
    source_note(fig, "\n".join(textwrap.wrap(band, width) + textwrap.wrap(source, width)))


# Practices in England in April 2013 (sim/data/validation_targets.yaml): published counts are
# drawn only over a run of an England that size, not over a smaller or larger one.
ENGLAND_PRACTICES = 8044
COUNTS = ("practices", "patients", "closures_12m", "additional_roles_fte")


def published(results, columns: tuple[str, ...]) -> dict[str, list[tuple[str, float]]]:
    """Published figures (sim/data/validation_targets.yaml) of these columns within the run's
    months: column -> [(month, value)]; counts only for a run of England's size."""
    months = set(results.timeseries["month"])
    first = results.timeseries.loc[results.timeseries["month"] == min(months), "practices"].median()
    england = abs(first / ENGLAND_PRACTICES - 1) < 0.05
    targets = yaml.safe_load(TARGETS.read_text(encoding="utf-8"))["targets"]
    found: dict[str, list[tuple[str, float]]] = {}
    for target in targets:
        column = target["column"]
        if (target["statistic"] == "value" and column in columns and str(target["month"]) in months
                and (england or column not in COUNTS)):
            found.setdefault(column, []).append((str(target["month"]), float(target["published"])))
    return found


def draw_published(ax, results, column: str, colour: str, label: str) -> bool:
    """Draw the published figures of a column as black-edged diamonds; True when there were any."""
    points = published(results, (column,)).get(column, [])
    if points:
        ax.plot(_months([m for m, _ in points]), [v for _, v in points], "D", color=colour, mec="#000000",
                mew=1.5, ms=8, ls="none", label=f"published: {label}", zorder=5)
    return bool(points)


PUBLISHED_NOTE = ("Diamonds: what happened, as published (NHS Digital practice and workforce statistics; sources "
                  "in sim/data/validation_targets.yaml and docs/validation.md); counts only for a run of England's size.")


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


def start_up(ax, results) -> None:
    """Shade the start-up year of a run that draws its own population: its figures are still
    settling from the drawn start, so comparisons give them no verdict."""
    months = start_up_months(results.scenario)
    if months:
        first = pd.Period(results.timeseries["month"].min(), freq="M")
        ax.axvspan(first.to_timestamp(), (first + months).to_timestamp(), facecolor="none", edgecolor="#BBBBBB",
                   hatch="xx", lw=0, label="start-up year (not judged)")


def _policy_marks(ax, results) -> None:
    """Mark when each organisation kind opens and each dated change, so readers see causes; shade
    the start-up year."""
    start_up(ax, results)
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
        # Three staggered rows, so the labels of changes a few months apart do not overprint.
        ax.annotate(", ".join(texts), (x, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -12 - 12 * (row % 3)),
                    textcoords="offset points", fontsize=9, color="#444444")


def _figure(title: str, results, ylabel: str, share: bool = False):
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(10, 5.6))
    ax.set_title(title, loc="left", fontweight="bold")
    ax.set_ylabel(ylabel)
    ax.set_xlabel("Month")
    if share:
        percent_axis(ax)
    return fig, ax


def coverage(results):
    """Share of practices in a network over time, overall and by kind."""
    fig, ax = _figure("Share of practices in a network", results, "Practices in a network (% of open practices)", share=True)
    _band(ax, results, "network_coverage_practices", "Any organisation", PALETTE[0])
    shown = draw_published(ax, results, "network_coverage_practices", PALETTE[0], "in any organisation")
    # Surveys of GPs count people, not practices: the patients' share stands for the GPs' share.
    _band(ax, results, "network_coverage_patients", "Any organisation (share of patients)", PALETTE[7])
    shown |= draw_published(ax, results, "network_coverage_patients", PALETTE[7], "GPs in a collaboration")
    for i, name in enumerate(results.scenario.organisations):
        _band(ax, results, f"coverage_{name}", f"{name}: member", PALETTE[(i + 1) % len(PALETTE)])
        shown |= draw_published(ax, results, f"coverage_{name}", PALETTE[(i + 1) % len(PALETTE)], f"{name} member")
        if results.scenario.organisations[name].band is not None:
            _band(ax, results, f"paid_coverage_{name}", f"{name}: in a paid network", PALETTE[(i + 4) % len(PALETTE)])
    ax.set_ylim(0, 1.05)
    _policy_marks(ax, results)
    _deduplicated_legend(ax, loc="lower right")
    _note(fig, results, _band_words(results) + (PUBLISHED_NOTE if shown else ""))
    return fig


def _band_words(results) -> str:
    return f"Lines: median; shading: {spread_words(results.replications)}. " if results.replications > 1 else ""


def _deduplicated_legend(ax, **options) -> None:
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), **{"fontsize": 10, "frameon": False, **options})


def size_histogram(ax, networks: pd.DataFrame, replications: int, bands: dict, kinds: list[str],
                   top: float | None = None) -> float:
    """Outlined histograms of organisation sizes by kind (mean per replication), each kind's paid
    band hatched behind them; sizes of `top` or more are counted in a last bar marked '≥'. Returns top.

    Args:
        ax: the axes.
        networks: networks.csv rows of one run.
        replications: replications in the run.
        bands: kind -> its paid band in force at the end (None: not paid by size).
        kinds: every kind in the order that sets its colour.
        top: the size the last bar starts at (default: the larger of the 99th percentile and 1.2 times the top band).
    """
    if top is None:
        widest = max([b.max_patients for b in bands.values() if b is not None] + [50_000.0])
        top = max(float(networks["patients"].quantile(0.99)) if len(networks) else 0.0, 1.2 * widest)
        top = float(np.ceil(top / 10_000) * 10_000)
    step = top / 40
    bins = np.append(np.arange(0, top + step / 2, step), top + step)
    for kind, band in bands.items():
        colour = PALETTE[kinds.index(kind) % len(PALETTE)]
        sizes = networks.loc[networks["type"] == kind, "patients"].clip(upper=top + step / 2)
        if band is not None:
            ax.axvspan(band.min_patients, min(band.max_patients, top), facecolor=colour, alpha=0.10, hatch="//",
                       edgecolor=colour, lw=0, label=f"{kind} paid band {band.min_patients:,.0f}-{band.max_patients:,.0f}")
        ax.hist(sizes, bins=bins, weights=np.full(len(sizes), 1.0 / max(replications, 1)), histtype="step", lw=2.0,
                color=colour, label=f"{kind} ({len(sizes) / max(replications, 1):,.0f} per run)")
    ax.set_xlim(0, top + step)
    ticks = [t for t in ax.get_xticks() if 0 <= t < 0.92 * top] + [top]  # room for the last bar's label
    ax.set_xticks(ticks, [f"{t / 1000:,.0f}k" for t in ticks[:-1]] + [f"≥{top / 1000:,.0f}k"])
    return top


def network_sizes(results):
    """Size distribution of organisations at the end, against each kind's paid band then."""
    in_force_at_end = timeline(results.scenario)[-1][1]
    fig, ax = _figure("Size of networks at the end of the run, against the paid band", results, "Organisations")
    kinds = list(results.scenario.organisations)
    top = size_histogram(ax, results.networks, results.replications,
                         {k: in_force_at_end.organisations[k].band for k in kinds}, kinds)
    ax.set_xlabel("Registered patients of member practices")
    ax.set_ylabel("Organisations (mean per replication)")
    ax.legend(frameon=False)
    _note(fig, results, f"Outlines: organisations by size at the end of the run, mean per replication; the last bar "
                        f"(≥) counts every organisation of {top / 1000:,.0f}k patients or more. Hatched: paid band.")
    return fig


def continuity(results):
    """Continuity of care over time."""
    fig, ax = _figure("Continuity of care: share of GP consultations with the usual GP", results,
                      "Consultations with usual GP (%)", share=True)
    _band(ax, results, "continuity", "Continuity (patient-weighted)", PALETTE[0])
    shown = draw_published(ax, results, "continuity", PALETTE[0], "continuity")
    _note(fig, results, _band_words(results) + (PUBLISHED_NOTE if shown else ""))
    _policy_marks(ax, results)
    _deduplicated_legend(ax, loc="lower left")
    return fig


def workforce(results):
    """GP turnover and locum share (shares), and GP FTE per 1,000 patients, in two panels."""
    with plt.rc_context(STYLE):
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7.5), sharex=True)
    top.set_title("GP workforce: turnover, locum use and GPs per patient", loc="left", fontweight="bold")
    _band(top, results, "gp_turnover_12m", "GP turnover, last 12 months (leavers / mean headcount)", PALETTE[5])
    _band(top, results, "locum_share", "Locum share of GP FTE", PALETTE[1])
    shown = (draw_published(top, results, "gp_turnover_12m", PALETTE[5], "GP turnover")
             | draw_published(top, results, "locum_share", PALETTE[1], "locum share"))
    top.set_ylabel("Share of GPs (%)")
    top.set_ylim(bottom=0)
    percent_axis(top)
    _band(bottom, results, "gp_fte_per_1000", "GP FTE in post per 1,000 patients", PALETTE[0])
    shown |= draw_published(bottom, results, "gp_fte_per_1000", PALETTE[0], "GP FTE per 1,000")
    bottom.set_ylabel("GP FTE per 1,000 patients")
    bottom.set_xlabel("Month")
    for ax in (top, bottom):
        _policy_marks(ax, results)
        _deduplicated_legend(ax, loc="lower left")
    _note(fig, results, _band_words(results) + (PUBLISHED_NOTE if shown else ""))
    return fig


def sustainability(results):
    """Practices open, practices closing or merging (a count), and practices in deficit (a
    share), each in its own panel."""
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(3, 1, figsize=(10, 9.5), sharex=True)
    axes[0].set_title("Sustainability: practices open, closing and in deficit", loc="left", fontweight="bold")
    _band(axes[0], results, "practices", "Practices open", PALETTE[0])
    shown = draw_published(axes[0], results, "practices", PALETTE[0], "practices open")
    axes[0].set_ylabel("Practices open")
    axes[0].yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    _band(axes[1], results, "closures_12m", "Closed or merged in the last 12 months", PALETTE[5])
    shown |= draw_published(axes[1], results, "closures_12m", PALETTE[5], "closed or merged")
    axes[1].set_ylabel("Practices a year")
    axes[1].yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    _band(axes[2], results, "practices_in_deficit", "In deficit (negative reserves)", PALETTE[2])
    axes[2].set_ylabel("Share of practices (%)")
    axes[2].set_ylim(bottom=0)
    percent_axis(axes[2])
    axes[2].set_xlabel("Month")
    for ax in axes:
        _policy_marks(ax, results)
        _deduplicated_legend(ax, loc="best", fontsize=9, frameon=True, framealpha=0.85, edgecolor="none")
    _note(fig, results, _band_words(results) + (PUBLISHED_NOTE if shown else ""))
    return fig


def providers(results):
    """Integrated providers: the share of patients each kind covers, and contracts handed back
    against practices taken over (a count), in two panels."""
    kinds = [c[len("patient_coverage_"):] for c in results.timeseries.columns if c.startswith("patient_coverage_")]
    with plt.rc_context(STYLE):
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7.5), sharex=True)
    top.set_title("Integrated providers: coverage, and practices taken over instead of handed back", loc="left",
                  fontweight="bold")
    for i, kind in enumerate(kinds):
        _band(top, results, f"patient_coverage_{kind}", f"Patients covered by a {kind.replace('_', '-')} provider",
              PALETTE[i % len(PALETTE)])
    top.set_ylabel("Share of patients (%)")
    top.set_ylim(0, 1.05)
    percent_axis(top)
    _band(bottom, results, "contracts_handed_back_12m", "Contracts handed back, last 12 months", PALETTE[5])
    _band(bottom, results, "practices_taken_over_12m", "Practices taken over by a provider, last 12 months", PALETTE[0])
    bottom.set_ylabel("Practices a year")
    bottom.set_ylim(bottom=0)
    bottom.set_xlabel("Month")
    for ax in (top, bottom):
        _policy_marks(ax, results)
        _deduplicated_legend(ax, loc="best", fontsize=9, frameon=True, framealpha=0.85, edgecolor="none")
    _note(fig, results, _band_words(results))
    return fig


CHARTS = {"coverage": coverage, "network_sizes": network_sizes, "continuity": continuity,
          "workforce": workforce, "sustainability": sustainability}


def standard_charts(results, directory: str | Path | None = None) -> dict:
    """Draw every standard chart (and, in a scenario with integrated providers, theirs); with a
    directory, save each as PNG and SVG and close it."""
    feet = {"coverage": 0.1, "network_sizes": 0.1, "continuity": 0.1, "workforce": 0.08, "sustainability": 0.065,
            "providers": 0.08}
    charts = dict(CHARTS, providers=providers) if "practices_taken_over_12m" in results.timeseries.columns else CHARTS
    return finish({name: draw(results) for name, draw in charts.items()}, directory, foot=feet)


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
