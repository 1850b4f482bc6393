"""The dashboard page: one chart component per figure, the run panel, and their places on the
grid. `gpsim dashboard` serves this module with `solara run`."""
from __future__ import annotations

import html
from typing import Any

import solara
from mesa.visualization import SolaraViz, solara_viz
from mesa.visualization.utils import update_counter

from sim.app.dashboard.charts import (
    care_figure,
    coverage_figure,
    map_figure,
    networks_figure,
    png,
    sustainability_figure,
)
from sim.app.dashboard.controls import app_settings, model_params
from sim.app.dashboard.levers import lever_labels
from sim.app.dashboard.model import DashboardModel

CSS = """
.gpsim-figure img { max-width: 100%; height: auto; }
.gpsim-run table { border-collapse: collapse; font-size: 13px; }
.gpsim-run td, .gpsim-run th { padding: 1px 10px 1px 0; text-align: left; }
.gpsim-run td.number { text-align: right; }
.gpsim-run pre { white-space: pre-wrap; word-break: break-all; font-size: 12px; background: #F5F5F5; padding: 6px; }
"""


def _show(name: str, model: DashboardModel, draw, *keys) -> None:
    """A chart, drawn once per model and month (and any other keys it depends on)."""
    image = solara.use_memo(lambda: png(draw()), [model, model.month, *keys])
    with solara.Column(classes=["gpsim-figure", f"gpsim-{name}"], gap="0px"):
        solara.Image(image, format="png")


@solara.component
def MapView(model: DashboardModel):
    """The map, with a choice of which kind of organisation colours it."""
    update_counter.get()
    first = model.paid_kind or (model.kinds[0] if model.kinds else None)
    kind, set_kind = solara.use_state(first)
    if first is None:
        solara.Warning("This scenario has no organisations to map.")
        return
    kind = kind if kind in model.kinds else first
    solara.Style(CSS)
    with solara.Column(gap="4px"):
        if len(model.kinds) > 1:
            solara.ToggleButtonsSingle(value=kind, values=model.kinds, on_value=set_kind, dense=True)
        _show("map", model, lambda: map_figure(model, kind), kind)


def _chart(name: str, figure, description: str):
    """A page component showing one of the run's charts, redrawn as the model steps."""
    @solara.component
    def Chart(model: DashboardModel):
        update_counter.get()
        _show(name, model, lambda: figure(model))
    Chart.__doc__ = description
    return Chart


CoverageChart = _chart("coverage", coverage_figure, "Network coverage over time.")
NetworksChart = _chart("networks", networks_figure, "Number and size of networks against the incentive band.")
CareChart = _chart("care", care_figure, "Continuity and GP turnover.")
SustainabilityChart = _chart("sustainability", sustainability_figure, "Practices in deficit and closures.")


HEADLINE = [("practices", "Practices open", "{:,.0f}"), ("network_coverage_practices", "In a network", "{:.1%}"),
            ("networks", "Organisations", "{:,.0f}"), ("continuity", "Continuity", "{:.1%}"),
            ("gp_turnover_12m", "GP turnover, 12 months", "{:.1%}"),
            ("practices_in_deficit", "Practices in deficit", "{:.1%}"),
            ("closures_12m", "Closed or merged, 12 months", "{:,.0f}")]


def _lever_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + f"<td>{html.escape(row[0])}</td>" + "".join(f'<td class="number">{html.escape(c)}</td>' for c in row[1:])
                   + "</tr>" for row in rows)
    return f"<table><tr>{cells}</tr>{body}</table>"


@solara.component
def RunPanel(model: DashboardModel):
    """Where the run stands: headline figures, the levers in force, the equivalent command and
    the download of the results so far."""
    update_counter.get()
    frame = model.datacollector.get_model_vars_dataframe()
    labels = lever_labels(model.scenario)
    solara.Style(CSS)
    with solara.Column(classes=["gpsim-run"], gap="6px"):
        solara.HTML(tag="div", unsafe_innerHTML=(
            f"<b>{html.escape(model.scenario.title or model.scenario.name)}</b><br>"
            f"<b>{model.current_month}</b>: month {model.months_run} of {model.scenario.months}, seed {model.root_seed}. "
            "Move a lever, then press <b>Reset</b> to start a new run with it."))
        with solara.Columns([1, 1.4]):
            if len(frame):
                last = frame.iloc[-1]
                solara.HTML(tag="div", unsafe_innerHTML=_table(
                    [(label, fmt.format(last[column])) for column, label, fmt in HEADLINE], ("Now", model.current_month)))
            else:
                solara.Text("Press Step or play to run the first month.")
            rows = [(labels[name], _lever_text(model.levers[name]), _lever_text(model.lever_defaults[name]))
                    for name in model.lever_defaults]
            solara.HTML(tag="div", unsafe_innerHTML=_table(rows, ("Lever", "This run", "Scenario")))
        for note in model.notes:
            solara.Warning(note, dense=True)
        solara.HTML(tag="div", unsafe_innerHTML="The same numbers from the command line:")
        solara.Preformatted(model.command())
        if model.months_run:
            name = f"{model.scenario.name}-{model.current_month}"
            with solara.Row():
                solara.FileDownload(lambda: model.results_zip(charts=False), filename=f"{name}.zip",
                                    label="Download results so far (zip)")
                solara.FileDownload(lambda: model.results_zip(charts=True), filename=f"{name}-charts.zip",
                                    label="With charts (slower)")


COMPONENTS = [(MapView, 0), (CoverageChart, 0), (NetworksChart, 0), (CareChart, 0), (SustainabilityChart, 0),
              (RunPanel, 0)]
# Grid places (12 columns, rows of 30 px) for COMPONENTS, in order: the map beside coverage and
# networks, then care and sustainability, then the run panel across the page.
LAYOUT = [dict(x=0, y=0, w=5, h=16), dict(x=5, y=0, w=7, h=8), dict(x=5, y=8, w=7, h=8),
          dict(x=0, y=16, w=6, h=8), dict(x=6, y=16, w=6, h=8), dict(x=0, y=24, w=12, h=11)]


def grid_layout(count: int) -> list[dict]:
    """Places of the dashboard's components on SolaraViz's draggable grid."""
    if count != len(LAYOUT):
        return _mesa_grid_layout(count)
    return [{"i": i, "moved": False, **place} for i, place in enumerate(LAYOUT)]


_mesa_grid_layout = solara_viz.make_initial_grid_layout
solara_viz.make_initial_grid_layout = grid_layout  # SolaraViz takes no layout argument in Mesa 3.3


@solara.component
def Page():
    """The dashboard page: one model per browser session."""
    settings = solara.use_memo(app_settings, [])
    params = solara.use_memo(lambda: model_params(settings), [])
    model = solara.use_memo(lambda: DashboardModel(**{name: (value["value"] if isinstance(value, dict) else value)
                                                      for name, value in params.items()}), [])
    SolaraViz(model, components=list(COMPONENTS), model_params=params, name=f"gpsim: {model.scenario.title or model.scenario.name}",
              play_interval=150)
