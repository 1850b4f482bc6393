"""Charts of a response atlas: for each lever, every headline outcome against the lever's level,
median with its 90% band across replications, and the expected and observed direction."""
from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter, PercentFormatter

from sim.report.charts import PALETTE, STYLE, finish, source_note

AGREES = {"yes": "#009E73", "no": "#D55E00", "": "#444444"}
COLUMNS = 4


def _level_text(level: float, relative: bool) -> str:
    return f"x{level:g}" if relative else f"{level:,.6g}"


def _number(value: float, _position=None) -> str:
    """A tick label: thousands with separators, smaller numbers to four significant figures."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"


def _least_span(ax, spec) -> None:
    """Widen a y axis to at least a few resolutions (shares: two percentage points), so a flat
    line is drawn flat rather than as magnified noise; a share's axis stays at or below 100%."""
    low, high = ax.get_ylim()
    span = max(high - low, spec.resolution * 4, 0.02 if spec.unit == "share" else 0.0)
    middle = (low + high) / 2
    low, high = middle - span / 2, middle + span / 2
    if spec.unit == "share" and high > 1.0:
        low, high = low - (high - 1.002), 1.002
    ax.set_ylim(low, high)


def lever_chart(atlas, lever):
    """One lever: a panel per headline outcome, against the lever's level.

    Args:
        atlas: the atlas (its table, outcomes, scenario, seed and replications are read).
        lever: the Lever to draw.
    """
    table = atlas.table[atlas.table["lever"] == lever.name]
    outcomes = list(dict.fromkeys(table["outcome"]))
    rows = -(-len(outcomes) // COLUMNS)
    with plt.rc_context({**STYLE, "font.size": 11, "axes.titlesize": 12}):
        fig, axes = plt.subplots(rows, COLUMNS, figsize=(17, 4.1 * rows + 1.3), squeeze=False)
    fig.suptitle(f"{lever.label}: how each headline outcome responds", x=0.01, ha="left", fontweight="bold", fontsize=15)
    positions = list(range(len(lever.levels)))
    for ax, outcome in zip(axes.flat, outcomes):
        rows_of = table[table["outcome"] == outcome].set_index("level").loc[list(lever.levels)]
        spec = atlas.outcomes[outcome]
        ax.fill_between(positions, rows_of["low"], rows_of["high"], color=PALETTE[0], alpha=0.2, lw=0)
        ax.plot(positions, rows_of["median"], color=PALETTE[0], lw=2.2, marker="o")
        ax.set_title(spec.label, loc="left", pad=20)
        ax.set_xticks(positions, [_level_text(level, lever.relative) for level in lever.levels])
        ax.set_xlabel(f"{lever.name} ({lever.unit})", fontsize=10)
        if spec.unit == "share":
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        else:
            ax.yaxis.set_major_formatter(FuncFormatter(_number))
            ax.set_ylabel(spec.unit)
        _least_span(ax, spec)
        first = rows_of.iloc[0]
        words = f"expected {first['expected']}, observed {first['observed']}" if first["expected"] else f"observed {first['observed']}"
        ax.text(0, 1.02, words, transform=ax.transAxes, ha="left", va="bottom", fontsize=10,
                color=AGREES[first["agrees"]], fontweight="bold" if first["agrees"] == "no" else "normal")
    for ax in list(axes.flat)[len(outcomes):]:
        ax.set_visible(False)
    levels = ", ".join(_level_text(level, lever.relative) for level in lever.levels)
    note = (f"Lines: median; shading: 90% interval across replications. Levels: {levels} ({lever.unit}); keys: "
            f"{', '.join(lever.keys)}. Direction: green agrees with the evidence, orange does not, grey has no stated "
            f"expectation (docs/responses.md). Source: gpsim, scenario '{atlas.scenario.name}', {atlas.replications} "
            f"replication(s) per level, seed {atlas.seed} for every level (common random numbers).")
    source_note(fig, "\n".join(textwrap.wrap(note, int(fig.get_figwidth() * 15))))
    return fig


def response_charts(atlas, directory: str | Path | None = None) -> dict:
    """One chart per lever of an atlas; with a directory, saved as PNG and SVG as <lever>.png."""
    figures = {lever.name: lever_chart(atlas, lever) for lever in atlas.levers}
    return finish(figures, directory, foot=0.09)
