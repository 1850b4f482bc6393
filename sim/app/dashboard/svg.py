"""Charts as SVG text: cheap to make every month (a few hundred points), drawn by the browser with
no script and no CDN. Each data line is a <polyline class="data">, each bar a <rect class="data">,
so a test can read what a chart plots; comparison lines are class "compare", bands "band".
Legends are HTML below the chart, so they wrap instead of covering the lines."""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np

WIDTH, HEIGHT = 380, 200  # the viewBox; the chart scales to the width of its column
LEFT, RIGHT, TOP, BOTTOM = 46, 10, 8, 24  # plot margins: room for "100%" and the year labels
GREY = "#888888"
# The Okabe-Ito colours of the report's charts (sim.report.charts.PALETTE, which loads pyplot: the
# page starts faster without it).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


@dataclass
class Line:
    """One series: x in decimal years, y in the chart's units."""
    label: str
    colour: str
    x: np.ndarray
    y: np.ndarray


@dataclass
class Band:
    """A shaded interval (90% of replications) around a line of the same colour."""
    colour: str
    x: np.ndarray
    low: np.ndarray
    high: np.ndarray


@dataclass
class Chart:
    """What one time chart shows. `compare` lines are drawn faint and dashed; `compare_label`
    says in the legend what they are."""
    name: str
    title: str
    ylabel: str
    x_range: tuple[float, float]
    lines: list[Line] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    compare: list[Line] = field(default_factory=list)
    compare_label: str = ""
    percent: bool = False
    y_range: tuple[float, float] | None = None
    marker: tuple[float, str] | None = None   # a dated event: (decimal year, label)
    now: float | None = None                  # months after this are still to come (shaded)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if not math.isfinite(low) or not math.isfinite(high) or high <= low:
        high = low + 1.0
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9) * step
    return [round(first + i * step, 10) for i in range(int((high - first) / step + 1e-9) + 1)]


def _number(value: float, percent: bool) -> str:
    if percent:
        return f"{value:.0%}"
    if abs(value) >= 10_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2g}"


class _Frame:
    """Maps data to the viewBox."""

    def __init__(self, x_range: tuple[float, float], y_range: tuple[float, float]):
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range

    def x(self, values) -> np.ndarray:
        return LEFT + (np.asarray(values, dtype=float) - self.x0) / (self.x1 - self.x0) * (WIDTH - LEFT - RIGHT)

    def y(self, values) -> np.ndarray:
        values = np.clip(np.asarray(values, dtype=float), self.y0, self.y1)
        return HEIGHT - BOTTOM - (values - self.y0) / (self.y1 - self.y0) * (HEIGHT - TOP - BOTTOM)


def _points(xs: np.ndarray, ys: np.ndarray) -> str:
    keep = np.isfinite(xs) & np.isfinite(ys)
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs[keep], ys[keep]))


def _y_range(chart: Chart) -> tuple[float, float]:
    if chart.y_range is not None:
        return chart.y_range
    values = [v for line in [*chart.lines, *chart.compare] for v in np.asarray(line.y, dtype=float)]
    values += [v for band in chart.bands for v in np.asarray(band.high, dtype=float)]
    top = max([v for v in values if math.isfinite(v)] or [1.0])
    return 0.0, (top * 1.1 if top > 0 else 1.0)


def _axes(frame: _Frame, yticks: list[float], xticks: list[float], percent: bool, ylabel: str, year_labels: bool = True) -> list[str]:
    parts = []
    for tick in yticks:
        y = float(frame.y(tick))
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#E4E4E4"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y + 3.5:.1f}" text-anchor="end">{_number(tick, percent)}</text>')
    for tick in xticks:
        x = float(frame.x(tick))
        label = f"{tick:.0f}" if year_labels else html.escape(_number(tick, False))
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">{label}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{HEIGHT - BOTTOM}" y2="{HEIGHT - BOTTOM}" stroke="#999"/>')
    middle = (TOP + HEIGHT - BOTTOM) / 2
    parts.append(f'<text x="10" y="{middle:.1f}" transform="rotate(-90 10 {middle:.1f})" text-anchor="middle" '
                 f'class="axis-label">{html.escape(ylabel)}</text>')
    return parts


def _legend(entries: list[tuple[str, str, str]]) -> str:
    """HTML legend: (colour, style 'line' | 'dashed' | 'box', label)."""
    items = []
    for colour, style, label in entries:
        mark = (f'<i class="key-{style}" style="border-color:{colour};background:{colour if style == "box" else "none"}"></i>')
        items.append(f"<span>{mark}{html.escape(label)}</span>")
    return f'<div class="legend">{"".join(items)}</div>' if items else ""


def _figure(name: str, title: str, svg: list[str], legend: str) -> str:
    body = "".join(svg)
    return (f'<figure class="gpsim-chart" data-chart="{name}"><figcaption>{html.escape(title)}</figcaption>'
            f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="xMidYMid meet" role="img" '
            f'aria-label="{html.escape(title)}">{body}</svg>{legend}</figure>')


def time_chart(chart: Chart) -> str:
    """A chart of series over time, as an HTML figure holding an SVG."""
    y_range = _y_range(chart)
    frame = _Frame(chart.x_range, y_range)
    yticks = [t for t in nice_ticks(*y_range, count=4) if y_range[0] - 1e-9 <= t <= y_range[1] + 1e-9]
    first, last = chart.x_range
    span = last - first
    step = 1 if span <= 6 else 2 if span <= 12 else 5
    xticks = [float(t) for t in range(math.ceil(first), math.floor(last) + 1) if t % step == 0]
    svg = []
    if chart.now is not None and chart.now < last:
        x = float(frame.x(max(chart.now, first)))
        svg.append(f'<rect class="future" x="{x:.1f}" y="{TOP}" width="{WIDTH - RIGHT - x:.1f}" '
                   f'height="{HEIGHT - TOP - BOTTOM}" fill="#F3F3F3"/>')
    svg += _axes(frame, yticks, xticks, chart.percent, chart.ylabel)
    if chart.marker is not None and first <= chart.marker[0] <= last:
        x = float(frame.x(chart.marker[0]))
        svg.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="#777" stroke-dasharray="4 3"/>')
        svg.append(f'<text x="{x - 3:.1f}" y="{HEIGHT - BOTTOM - 4}" text-anchor="end" class="marker">{html.escape(chart.marker[1])}</text>')
    for band in chart.bands:
        xs, low, high = frame.x(band.x), frame.y(band.low), frame.y(band.high)
        if len(xs) > 1:
            outline = _points(np.concatenate([xs, xs[::-1]]), np.concatenate([high, low[::-1]]))
            svg.append(f'<polygon class="band" points="{outline}" fill="{band.colour}" fill-opacity="0.18" stroke="none"/>')
    for line in chart.compare:
        svg.append(f'<polyline class="compare" points="{_points(frame.x(line.x), frame.y(line.y))}" fill="none" '
                   f'stroke="{line.colour}" stroke-opacity="0.45" stroke-width="1.4" stroke-dasharray="5 3"/>')
    for line in chart.lines:
        points = _points(frame.x(line.x), frame.y(line.y))
        svg.append(f'<polyline class="data" data-series="{html.escape(line.label)}" points="{points}" fill="none" '
                   f'stroke="{line.colour}" stroke-width="1.8"/>')
        if len(line.x) == 1:
            svg.append(f'<circle class="data" cx="{float(frame.x(line.x)[0]):.1f}" cy="{float(frame.y(line.y)[0]):.1f}" '
                       f'r="2.5" fill="{line.colour}"/>')
    entries = [(line.colour, "line", line.label) for line in chart.lines]
    if chart.bands:
        entries.append((GREY, "box", "90% of replications"))
    if chart.compare:
        entries.append((GREY, "dashed", chart.compare_label))
    return _figure(chart.name, chart.title, svg, _legend(entries))


def histogram(name: str, title: str, xlabel: str, groups: list[tuple[str, str, np.ndarray]], top: float,
              band: tuple[float, float, str] | None = None, bins: int = 30) -> str:
    """Counts of values (networks by size) in equal bins from 0 to `top`, one outline per group,
    with an optional shaded band (low, high, label)."""
    edges = np.linspace(0.0, top, bins + 1)
    counts = [np.histogram(np.clip(values, 0, top), bins=edges)[0] for _, _, values in groups]
    highest = max([int(c.max()) for c in counts if len(c)] + [1])
    frame = _Frame((0.0, top), (0.0, highest * 1.1))
    ticks = nice_ticks(0, top, count=5)
    svg = []
    if band is not None:
        x0, x1 = (float(v) for v in frame.x([min(band[0], top), min(band[1], top)]))
        svg.append(f'<rect class="paid-band" x="{x0:.1f}" y="{TOP}" width="{max(x1 - x0, 1):.1f}" '
                   f'height="{HEIGHT - TOP - BOTTOM}" fill="#D55E00" fill-opacity="0.13"/>')
    yticks = [t for t in nice_ticks(0, highest * 1.1, count=4) if float(t).is_integer()]
    svg += _axes(frame, yticks, [t for t in ticks if t <= top], False, "Networks", year_labels=False)
    svg.append(f'<text x="{WIDTH - RIGHT}" y="{TOP + 10}" text-anchor="end" class="axis-label">{html.escape(xlabel)}</text>')
    width = (WIDTH - LEFT - RIGHT) / bins
    for (label, colour, _), count in zip(groups, counts):
        for i, n in enumerate(count):
            if n:
                y = float(frame.y(n))
                svg.append(f'<rect class="data" data-series="{html.escape(label)}" x="{float(frame.x(edges[i])) + 0.5:.1f}" '
                           f'y="{y:.1f}" width="{width - 1:.1f}" height="{HEIGHT - BOTTOM - y:.1f}" '
                           f'fill="{colour}" fill-opacity="0.6"/>')
    entries = [(colour, "box", label) for label, colour, _ in groups]
    if band is not None:
        entries.append(("#F2C9B0", "box", band[2]))
    return _figure(name, title, svg, _legend(entries))
