"""The dashboard's charts and map as SVG (see svg.py): the national series of a run, its 90% band
across replications and an earlier run to compare, the sizes of networks against the paid band,
and the practices on the map coloured by what matters."""
from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass

import numpy as np

from sim.app.dashboard.model import DashboardModel
from sim.app.dashboard.session import Run, Trace
from sim.app.dashboard.svg import PALETTE, Band, Chart, Line, histogram, time_chart
from sim.model.networks import paid
from sim.scenario.schema import month_number

NONE_COLOUR = "#BBBBBB"
MAP_SIZE = 500  # viewBox units per side of the map


@dataclass(frozen=True)
class Spec:
    """One time chart: which columns it plots (column, legend label) and how."""
    name: str
    title: str
    ylabel: str
    lines: tuple[tuple[str, str], ...]
    percent: bool = False
    full_scale: bool = False   # a share drawn from 0% to 100%, so small moves look small


def time_specs(model: DashboardModel) -> list[Spec]:
    """The time charts, for the organisation kinds of this scenario."""
    paid_kind = model.paid_kind
    coverage = [("network_coverage_practices", "in any organisation")]
    coverage += [(f"coverage_{kind}", f"member of a {kind}") for kind in model.kinds]
    if paid_kind is not None and model.scenario.organisations[paid_kind].band is not None:
        coverage.append((f"paid_coverage_{paid_kind}", f"in a paid {paid_kind}"))
    return [
        Spec("coverage", "Network coverage", "Open practices", tuple(coverage), percent=True, full_scale=True),
        Spec("networks", "Number of networks", "Networks", tuple((f"networks_{kind}", kind) for kind in model.kinds)),
        Spec("continuity", "Continuity of care", "Seen by usual GP", (("continuity", "patients seen by their usual GP"),),
             percent=True, full_scale=True),
        Spec("workforce", "GP turnover and locums", "Share of GPs",
             (("gp_turnover_12m", "GPs who left, last 12 months"), ("locum_share", "locum share of GP FTE, this month")),
             percent=True),
        Spec("deficit", "Practices in deficit", "Open practices", (("practices_in_deficit", "reserves below zero"),),
             percent=True),
        Spec("closures", "Closures and mergers", "Practices, 12 months",
             (("closures_12m", "closed or merged"), ("contracts_handed_back_12m", "of which handed back"))),
    ]


def _marker(model: DashboardModel) -> tuple[float, str] | None:
    """When the paid kind's networks open, if during the run."""
    if model.paid_kind is None:
        return None
    opens = model.organisation(model.kinds.index(model.paid_kind)).opens
    return ((month_number(opens) / 12), f"{model.paid_kind} opens") if opens else None


def time_charts(run: Run, compare: Trace | None = None, compare_label: str = "") -> list[str]:
    """Every time chart of a run as HTML, with its band across replications and an earlier run
    (dashed, labelled `compare_label`)."""
    model = run.model
    x_range = (month_number(model.scenario.start) / 12, month_number(model.scenario.end) / 12)
    now = (model.start_month + model.month) / 12
    shown = []
    for spec in time_specs(model):
        chart = Chart(spec.name, spec.title, spec.ylabel, x_range, percent=spec.percent, marker=_marker(model), now=now,
                      y_range=(0.0, 1.0) if spec.full_scale else None, compare_label=compare_label)
        for i, (column, label) in enumerate(spec.lines):
            colour = PALETTE[i % len(PALETTE)]
            years, median, low, high = run.series(column)
            chart.lines.append(Line(label, colour, years, median))
            if run.replications > 1 and len(years):
                chart.bands.append(Band(colour, years, low, high))
            if compare is not None and column in compare.series:
                chart.compare.append(Line(label, colour, *compare.series[column]))
        shown.append(time_chart(chart))
    return shown


def sizes_chart(model: DashboardModel) -> str:
    """Networks of each kind by registered patients now, against the paid band in force."""
    table = model.network_table()
    band = model.organisation(model.kinds.index(model.paid_kind)).band if model.paid_kind else None
    top = max(float(table["patients"].quantile(0.98)) if len(table) else 0.0, band.max_patients * 1.6 if band else 0.0, 60_000.0)
    groups = [(f"{kind} ({(table['type'] == kind).sum():,})", PALETTE[i % len(PALETTE)],
               table.loc[table["type"] == kind, "patients"].to_numpy()) for i, kind in enumerate(model.kinds)]
    shaded = (band.min_patients, band.max_patients,
              f"paid band {band.min_patients / 1000:,.0f}k-{band.max_patients / 1000:,.0f}k") if band else None
    return histogram("sizes", f"Network sizes, {model.current_month}", "registered patients", groups, top, shaded)


# -- the map ----------------------------------------------------------------------------------
MAP_MODES = {"paid": "Paid or not", "size": "Network size against the band", "deficit": "In deficit",
             "continuity": "Continuity"}
CONTINUITY_SCALE = (0.3, 0.8)  # the colour scale's ends, fixed so colours compare across months and runs


def _area_picture(model: DashboardModel) -> str:
    """The commissioner areas, tinted by region with their borders, as a PNG data URI (made
    once per model: sites never move)."""
    if getattr(model, "_area_picture", None) is None:
        from matplotlib.colors import to_rgb
        from matplotlib.image import imsave

        areas = model.area_map()
        region_of_area = np.zeros(int(areas.max()) + 1, dtype=int)
        region_of_area[model.practices.area] = model.practices.region
        tints = np.array([to_rgb(c) for c in PALETTE[:7]]) * 0.12 + 0.88
        image = tints[region_of_area[areas] % len(tints)]
        border = np.zeros(areas.shape, dtype=bool)
        border[:, 1:] |= areas[:, 1:] != areas[:, :-1]
        border[1:, :] |= areas[1:, :] != areas[:-1, :]
        image[border] = image[border] * 0.85
        buffer = io.BytesIO()
        imsave(buffer, image[::-1], format="png")
        model._area_picture = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return model._area_picture


def _network_patients(model: DashboardModel) -> np.ndarray:
    """Patients of each practice's network of the paid kind, else of its largest other
    organisation; 0 for a practice in none."""
    state, patients = model.practices, model.networks.patients
    sizes = np.zeros(state.size)
    order = sorted(range(len(model.kinds)), key=lambda k: model.kinds[k] == model.paid_kind)  # the paid kind last: it wins
    for kind in order:
        slot = state.membership[kind]
        member = slot >= 0
        sizes[member] = patients[slot[member]]
    return sizes


def _continuity_colour(values: np.ndarray, shades: int = 50) -> np.ndarray:
    """Continuity on a fixed viridis scale (CONTINUITY_SCALE), in `shades` steps."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    low, high = CONTINUITY_SCALE
    palette = np.array([to_hex(c) for c in colormaps["viridis"](np.linspace(0, 1, shades))])
    return palette[np.round(np.clip((values - low) / (high - low), 0, 1) * (shades - 1)).astype(int)]


def map_classes(model: DashboardModel, mode: str) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Colour of every practice slot, and the legend (colour, label) for a colouring mode."""
    state = model.practices
    kind = model.paid_kind
    if mode == "continuity":
        low, high = CONTINUITY_SCALE
        return _continuity_colour(state.continuity), [(c, f"{v:.0%}") for c, v in
                                                       zip(_continuity_colour(np.linspace(low, high, 6)), np.linspace(low, high, 6))]
    if mode == "deficit":
        legend = [("#D55E00", "in deficit: reserves below zero"), ("#9CC7E4", "reserves zero or above")]
        return np.where(state.reserves < 0, legend[0][0], legend[1][0]), legend
    any_member = (state.membership >= 0).any(axis=0)
    colours = np.full(state.size, NONE_COLOUR, dtype=object)
    if mode == "size":
        band = model.organisation(model.kinds.index(kind)).band if kind is not None else None
        if band is None:
            return colours, [(NONE_COLOUR, "this scenario has no paid size band")]
        sizes = _network_patients(model)
        legend = [("#E69F00", f"network below {band.min_patients:,.0f} patients"),
                  ("#009E73", f"within the band, {band.min_patients:,.0f}-{band.max_patients:,.0f}"),
                  ("#CC79A7", f"above {band.max_patients:,.0f}"), (NONE_COLOUR, "in no organisation")]
        colours[any_member & (sizes < band.min_patients)] = legend[0][0]
        colours[any_member & (sizes >= band.min_patients) & (sizes <= band.max_patients)] = legend[1][0]
        colours[any_member & (sizes > band.max_patients)] = legend[2][0]
        return colours, legend
    others = [name for name in model.kinds if name != kind]
    legend = []
    if kind is not None:
        index = model.kinds.index(kind)
        slot = state.membership[index]
        member = slot >= 0
        paid_slots = paid(model, index)
        paid_member = member & (paid_slots[np.maximum(slot, 0)] if len(paid_slots) else False)
        has_band = model.scenario.organisations[kind].band is not None
        legend = [("#0072B2", f"in a paid {kind}" if has_band else f"in a {kind}"),
                  ("#E69F00", f"in a {kind} not paid (outside the band or not yet open)")][:2 if has_band else 1]
        colours[member & ~paid_member] = legend[-1][0]
        colours[paid_member] = legend[0][0]
        any_member = any_member & ~member
    if others:
        legend.append(("#009E73", f"in a {' or '.join(others)} only" if kind else f"in a {' or '.join(others)}"))
        colours[any_member] = legend[-1][0]
    legend.append((NONE_COLOUR, "in no organisation"))
    return colours, legend


def _inspect_text(model: DashboardModel, practice: int, network_sizes: np.ndarray) -> str:
    """What hovering over a practice shows: list, staff, networks, reserves, continuity."""
    state = model.practices
    networks = "; ".join(f"{kind} #{state.membership[k, practice]}" for k, kind in enumerate(model.kinds)
                         if state.membership[k, practice] >= 0) or "no network"
    return (f"Practice {practice}: {state.list_size[practice]:,.0f} patients\n"
            f"GPs: {state.partners[practice]} partners, {state.salaried[practice]} salaried; "
            f"nurses {state.nurse_fte[practice]:.1f}, other clinical {state.direct_care_fte[practice]:.1f}, "
            f"admin {state.admin_fte[practice]:.1f} FTE\n"
            f"Network: {networks} ({network_sizes[practice]:,.0f} patients)\n"
            f"Reserves: £{state.reserves[practice]:,.0f}; continuity {state.continuity[practice]:.0%}")


def _scale_bar(km_per_unit: float) -> str:
    """A distance scale of a round number of km, about a fifth of the map wide."""
    target = MAP_SIZE / 5 * km_per_unit
    length = next(n for n in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 10_000) if n >= target * 0.6)
    width, y = length / km_per_unit, MAP_SIZE - 12
    return (f'<g class="scale"><line x1="12" x2="{12 + width:.1f}" y1="{y}" y2="{y}" stroke="#333" stroke-width="2"/>'
            f'<text x="{12 + width / 2:.1f}" y="{y - 5}" text-anchor="middle">{length:,} km</text></g>')


def _radius(list_size, spacing: float, mean_list: float):
    return 0.33 * spacing * np.sqrt(np.asarray(list_size, dtype=float) / mean_list)


def map_view(model: DashboardModel, mode: str = "paid", detail: bool = True) -> str:
    """The practices as an SVG map over the commissioner areas, coloured by `mode` (MAP_MODES),
    sized by list, with a legend, a distance and list-size scale, and (with `detail`) a
    description of each practice shown on hover."""
    state = model.practices
    (x0, x1), (y0, _y1) = model.map_extent()
    scale = MAP_SIZE / (x1 - x0)
    open_ = np.flatnonzero(state.open)
    xs, ys = (state.x_km[open_] - x0) * scale, MAP_SIZE - (state.y_km[open_] - y0) * scale
    spacing = MAP_SIZE / np.sqrt(max(state.size, 1))
    mean_list = max(float(state.list_size[open_].mean()) if len(open_) else 1.0, 1.0)
    radii = _radius(state.list_size[open_], spacing, mean_list)
    colours, legend = map_classes(model, mode)
    sizes = _network_patients(model) if detail else None
    dots = []
    for colour in dict.fromkeys(colours[open_]):
        chosen = np.flatnonzero(colours[open_] == colour)
        circles = []
        for i in chosen:
            tip = f"<title>{html.escape(_inspect_text(model, int(open_[i]), sizes))}</title>" if detail else ""
            circles.append(f'<circle class="practice" cx="{xs[i]:.1f}" cy="{ys[i]:.1f}" r="{radii[i]:.2f}">{tip}</circle>')
        dots.append(f'<g fill="{colour}" fill-opacity="0.9">{"".join(circles)}</g>')
    keys = [(5_000, MAP_SIZE - 72), (15_000, MAP_SIZE - 52)]
    size_key = "".join(f'<circle cx="20" cy="{y}" r="{float(_radius(n, spacing, mean_list)):.2f}" fill="none" stroke="#333"/>'
                       f'<text x="30" y="{y + 4}">{n:,} patients</text>' for n, y in keys)
    size_key = f'<rect x="4" y="{MAP_SIZE - 88}" width="120" height="84" fill="white" fill-opacity="0.8"/>' + size_key
    svg = (f'<svg viewBox="0 0 {MAP_SIZE} {MAP_SIZE}" role="img" aria-label="Map of practices">'
           f'<image href="{_area_picture(model)}" x="0" y="0" width="{MAP_SIZE}" height="{MAP_SIZE}" preserveAspectRatio="none"/>'
           f'{"".join(dots)}<g class="size-key">{size_key}</g>{_scale_bar(1 / scale)}</svg>')
    keys_html = "".join(f'<span><i class="key-dot" style="background:{c}"></i>{html.escape(label)}</span>' for c, label in legend)
    synthetic = model.scenario.population.source == "synthetic" or not model.scenario.population.coordinates
    where = ("Synthetic geography: practice sites, commissioner areas (tinted by region) and distances are generated, "
             "not real places." if synthetic else "Practice sites from the scenario's coordinates file.")
    member = int((state.membership[:, open_] >= 0).any(axis=0).sum())
    caption = (f"{len(open_):,} open practices, {member:,} in an organisation. Colour: {MAP_MODES[mode].lower()}; "
               f"size: list. {'Hover over a practice for its details. ' if detail else ''}{where}")
    return (f'<figure class="gpsim-map" data-mode="{mode}"><figcaption>Practices, {model.current_month}: '
            f'{html.escape(MAP_MODES[mode].lower())}</figcaption>{svg}<div class="legend">{keys_html}</div>'
            f'<p class="caption">{html.escape(caption)}</p></figure>')
