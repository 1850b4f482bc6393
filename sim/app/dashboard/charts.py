"""The dashboard's charts: small matplotlib figures drawn afresh each month (the page must render
without reaching any CDN)."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from sim.app.dashboard.model import DashboardModel
from sim.model.model import GPModel
from sim.model.networks import paid
from sim.report.charts import PALETTE, STYLE
from sim.scenario.schema import month_number

NETWORK_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8C564B",
                   "#7F7F7F", "#BCBD22", "#17BECF", "#9467BD", "#F0A0A0"]
NOT_A_MEMBER = "#B0B0B0"


def _new_figure(width: float, height: float, panels: int = 1, bottom: float = 0.12):
    """A figure with its panels side by side and fixed margins (fast to draw every month)."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    with rc_context({**STYLE, "font.size": 8.5, "axes.titlesize": 10}):
        fig = Figure(figsize=(width, height), dpi=100)
        axes = fig.subplots(1, panels, squeeze=False)[0]
    fig.subplots_adjust(left=0.1, right=0.98, top=0.88, bottom=bottom, wspace=0.4)
    return fig, list(axes)


def _years(months: pd.Series | list[str]) -> np.ndarray:
    """YYYY-MM as decimal years (mid-month), for time axes."""
    return np.array([(month_number(m) + 0.5) / 12 for m in months])


def _series(model: GPModel) -> pd.DataFrame:
    frame = model.datacollector.get_model_vars_dataframe()
    return frame.assign(year=_years(frame["month"])) if len(frame) else frame


def _time_axis(ax, model: DashboardModel, title: str, ylabel: str, share: bool = False) -> None:
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    first, last = month_number(model.scenario.start) / 12, month_number(model.scenario.end) / 12
    ax.set_xlim(first, last)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.set_title(title, loc="left", fontweight="bold")
    ax.set_ylabel(ylabel)
    if share:
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    opens = model.organisation(model.kinds.index(model.paid_kind)).opens if model.paid_kind else None
    if opens:
        at = month_number(opens) / 12
        ax.axvline(at, color="#666666", ls="--", lw=0.9)
        ax.annotate(f"{model.paid_kind} opens", (at, 0.98), xycoords=("data", "axes fraction"), rotation=90,
                    xytext=(-2, 0), textcoords="offset points", ha="right", va="top", fontsize=7, color="#444444")
    now = (model.start_month + model.month) / 12
    ax.axvspan(now, last, color="#F2F2F2", lw=0, zorder=0)  # months still to come


def _line(ax, frame: pd.DataFrame, column: str, label: str, colour: str) -> None:
    if column in frame and len(frame):
        ax.plot(frame["year"], frame[column], color=colour, lw=1.8, label=label,
                marker="o" if len(frame) < 3 else None, ms=3)


def _legend(ax, frame: pd.DataFrame, where: str = "upper left", room: float = 0.45) -> None:
    """A legend, with room made for it above the lines when it sits at the top."""
    if len(frame):
        if where.startswith("upper") and room:
            low, high = ax.get_ylim()
            ax.set_ylim(low, high + (high - low) * room)
        ax.legend(loc=where, fontsize=7.5, frameon=False)


def map_figure(model: DashboardModel, kind: str):
    """Practices on the map, coloured by their network of one kind and sized by list, over the
    commissioner areas (tinted by region, with their borders)."""
    from matplotlib.colors import to_rgb
    from matplotlib.lines import Line2D

    fig, (ax,) = _new_figure(4.7, 5.8)
    fig.subplots_adjust(left=0.02, right=0.98, top=0.94, bottom=0.1)
    (x0, x1), (y0, y1) = model.map_extent()
    areas = model.area_map()
    region_of_area = np.zeros(int(areas.max()) + 1, dtype=int)
    region_of_area[model.practices.area] = model.practices.region
    tints = np.array([to_rgb(c) for c in PALETTE[:7]]) * 0.16 + 0.84
    image = tints[region_of_area[areas] % len(tints)]
    border = np.zeros(areas.shape, dtype=bool)
    border[:, 1:] |= areas[:, 1:] != areas[:, :-1]
    border[1:, :] |= areas[1:, :] != areas[:-1, :]
    image[border] = image[border] * 0.78
    ax.imshow(image, origin="lower", extent=(x0, x1, y0, y1), interpolation="nearest")

    state, index = model.practices, model.kinds.index(kind)
    slot = state.membership[index]
    member = state.open & (slot >= 0)
    paid_network = paid(model, index)
    paid_member = member & paid_network[np.maximum(slot, 0)] if len(paid_network) else np.zeros_like(member)
    unpaid, loose = member & ~paid_member, state.open & ~member
    size = state.list_size / max(float(state.list_size[state.open].mean()), 1.0) * float(np.clip(25_000 / state.size, 3.0, 40.0))
    colours = np.array(NETWORK_COLOURS)[(np.maximum(slot, 0) * 7) % len(NETWORK_COLOURS)]
    ax.scatter(state.x_km[loose], state.y_km[loose], s=size[loose], c=NOT_A_MEMBER, lw=0)
    ax.scatter(state.x_km[unpaid], state.y_km[unpaid], s=size[unpaid], facecolors="none",
               edgecolors=colours[unpaid], linewidths=0.7)
    ax.scatter(state.x_km[paid_member], state.y_km[paid_member], s=size[paid_member], c=colours[paid_member], lw=0)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.set_title(f"Practices by {kind} network, {model.current_month}", loc="left", fontweight="bold")
    ax.set_xlabel(f"{member.sum():,} of {state.open.sum():,} open practices in a {kind} network "
                  f"({paid_member.sum():,} paid). Colour: network; size: list.\n"
                  f"Tinted shapes: commissioner areas, shaded by region.", fontsize=8)
    legend = [Line2D([], [], ls="", marker="o", color=PALETTE[0], label="in a paid network"),
              Line2D([], [], ls="", marker="o", mfc="none", color=PALETTE[0], label="in an unpaid network"),
              Line2D([], [], ls="", marker="o", color=NOT_A_MEMBER, label="not a member")]
    ax.legend(handles=legend, loc="upper right", fontsize=7.5, framealpha=0.9)
    return fig


def coverage_figure(model: DashboardModel):
    """Share of practices in a network: any kind, each kind, and the paid kind's paid networks."""
    fig, (ax,) = _new_figure(6.6, 3.0)
    frame = _series(model)
    _line(ax, frame, "network_coverage_practices", "any organisation", PALETTE[0])
    for i, kind in enumerate(model.kinds):
        _line(ax, frame, f"coverage_{kind}", f"{kind}: member", PALETTE[(i + 1) % len(PALETTE)])
    if model.paid_kind is not None:
        _line(ax, frame, f"paid_coverage_{model.paid_kind}", f"{model.paid_kind}: in a paid network", PALETTE[5])
    ax.set_ylim(0, 1.05)
    _time_axis(ax, model, "Network coverage", "Open practices", share=True)
    _legend(ax, frame, "lower right", room=0)
    return fig


def networks_figure(model: DashboardModel):
    """Number of networks of each kind over time, and their sizes now against the paid band."""
    fig, (count, sizes) = _new_figure(6.6, 3.0, panels=2, bottom=0.16)
    frame = _series(model)
    for i, kind in enumerate(model.kinds):
        _line(count, frame, f"networks_{kind}", kind, PALETTE[(i + 1) % len(PALETTE)])
    _time_axis(count, model, "Number of networks", "Networks")
    _legend(count, frame)
    table = model.network_table()
    band = model.organisation(model.kinds.index(model.paid_kind)).band if model.paid_kind else None  # in force now
    top = max(float(table["patients"].quantile(0.98)) if len(table) else 0.0, band.max_patients * 1.6 if band else 0.0, 60_000.0)
    bins = np.linspace(0, top, 31)
    for i, kind in enumerate(model.kinds):
        values = table.loc[table["type"] == kind, "patients"].clip(upper=top)
        sizes.hist(values, bins=bins, histtype="stepfilled", alpha=0.7, color=PALETTE[(i + 1) % len(PALETTE)],
                   label=f"{kind} ({len(values):,})")
    if band is not None:
        sizes.axvspan(band.min_patients, band.max_patients, color=PALETTE[5], alpha=0.15, zorder=0,
                      label=f"paid band {band.min_patients / 1000:,.0f}k-{band.max_patients / 1000:,.0f}k")
    sizes.set_xlim(0, top)
    sizes.xaxis.set_major_formatter(_thousands())
    sizes.set_title(f"Network size, {model.current_month}", loc="left", fontweight="bold")
    sizes.set_xlabel("Registered patients")
    sizes.set_ylabel("Networks")
    sizes.legend(loc="upper right", fontsize=7.5, frameon=False)
    return fig


def _thousands():
    from matplotlib.ticker import FuncFormatter
    return FuncFormatter(lambda v, _: f"{v / 1000:,.0f}k")


def care_figure(model: DashboardModel):
    """Continuity of care and GP turnover over time."""
    fig, (left, right) = _new_figure(5.6, 2.9, panels=2)
    frame = _series(model)
    _line(left, frame, "continuity", "continuity", PALETTE[0])
    _time_axis(left, model, "Continuity of care", "Seen by usual GP", share=True)
    _line(right, frame, "gp_turnover_12m", "GP turnover", PALETTE[5])
    _line(right, frame, "locum_share", "locum share of GP FTE", PALETTE[1])
    _time_axis(right, model, "GP turnover", "Last 12 months", share=True)
    _legend(right, frame)
    return fig


def sustainability_figure(model: DashboardModel):
    """Practices in deficit and practices closing or merging."""
    fig, (left, right) = _new_figure(5.6, 2.9, panels=2)
    frame = _series(model)
    _line(left, frame, "practices_in_deficit", "in deficit", PALETTE[2])
    _time_axis(left, model, "Practices in deficit", "Open practices", share=True)
    _line(right, frame, "closures_12m", "closed or merged", PALETTE[5])
    _line(right, frame, "contracts_handed_back_12m", "of which handed back", PALETTE[3])
    _time_axis(right, model, "Closures and mergers", "Practices, last 12 months")
    _legend(right, frame)
    return fig


def png(fig) -> bytes:
    """A figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
