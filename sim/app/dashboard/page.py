"""The dashboard page: the run's controls and levers on the left; the map and the charts (SVG,
drawn by the browser) on the right; the headline figures, the levers in force and the command
that gives the same numbers below. `gpsim dashboard` serves this module with `solara run` (see
serve.py).

Play draws every month; Run to end steps in a background thread and redraws a few times a
second, so a decade at full size takes seconds."""
from __future__ import annotations

import html
import threading
import time
from typing import TYPE_CHECKING, Any

import ipyvuetify as v
import solara

from sim.app.dashboard import warm
from sim.app.dashboard.controls import app_settings, parse_lever
from sim.app.dashboard.levers import LeverField, input_text, lever_help, lever_text

if TYPE_CHECKING:
    from sim.app.dashboard.board import Dashboard


def new_board() -> Dashboard:
    """The run for a new browser session: the one built while the server started, once; then a
    new one."""
    from sim.app.dashboard.board import Dashboard

    return warm.first_board() or Dashboard(app_settings())


REDRAW_SECONDS = 0.5     # Run to end: redraw at most this often
PLAY_SECONDS = 0.15      # Play: at least this long between months, so each can be seen
REPLICATIONS = [1, 3, 5, 10]
DETAIL_SECONDS = 0.8     # a still run's map gains its hover details after this long

CSS = """
.gpsim-page { font-size: 13px; padding: 8px 12px; max-width: 2400px; }
.gpsim-page h1 { font-size: 19px; margin: 0 0 2px 0; }
.gpsim-status { font-size: 14px; }
.gpsim-controls { width: 300px; min-width: 300px; }
.gpsim-controls .v-input { margin-top: 2px; }
.gpsim-controls .v-messages__message { line-height: 1.25; font-size: 11px; }
.gpsim-pending .v-label, .gpsim-pending input { color: #B45F06 !important; font-weight: 600; }
.gpsim-main { flex: 1 1 600px; min-width: 0; display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; }
.gpsim-map { margin: 0; }
.gpsim-map svg { width: 100%; height: auto; font: 12px sans-serif; }
.gpsim-charts { flex: 1 1 520px; min-width: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 6px 10px; }
.gpsim-chart { margin: 0; }
.gpsim-chart svg { width: 100%; height: auto; font: 12px sans-serif; overflow: visible; }
.gpsim-chart .axis-label { fill: #444; font-size: 11px; }
.gpsim-chart .marker { fill: #555; font-size: 10.5px; }
figcaption { font-weight: bold; font-size: 13.5px; }
.legend { font-size: 11.5px; line-height: 1.35; color: #333; }
.legend span { display: inline-block; margin-right: 10px; white-space: nowrap; }
.legend i { display: inline-block; width: 14px; height: 0; margin: 0 4px 3px 0; vertical-align: middle; border-top: 2px solid; }
.legend i.key-dashed { border-top-style: dashed; opacity: 0.6; }
.legend i.key-box { height: 9px; border: none; opacity: 0.45; margin-bottom: 0; }
.legend i.key-dot { width: 9px; height: 9px; border: none; border-radius: 50%; margin-bottom: 0; }
.gpsim-map .caption { font-size: 11.5px; color: #444; margin: 2px 0 0 0; }
.gpsim-run table { border-collapse: collapse; font-size: 13px; }
.gpsim-run td, .gpsim-run th { padding: 1px 12px 1px 0; text-align: left; }
.gpsim-run td.number { text-align: right; }
.gpsim-run pre { white-space: pre-wrap; word-break: break-all; font-size: 12px; background: #F5F5F5; padding: 6px; }
.gpsim-pending-note { color: #B45F06; font-weight: 600; }
"""

HEADLINE = [("practices", "Practices open", "{:,.0f}"), ("network_coverage_practices", "In a network", "{:.1%}"),
            ("networks", "Organisations", "{:,.0f}"), ("continuity", "Continuity", "{:.1%}"),
            ("gp_turnover_12m", "GP turnover, 12 months", "{:.1%}"),
            ("practices_in_deficit", "Practices in deficit", "{:.1%}"),
            ("closures_12m", "Closed or merged, 12 months", "{:,.0f}")]


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + f"<td>{html.escape(row[0])}</td>" + "".join(f'<td class="number">{html.escape(c)}</td>' for c in row[1:])
                   + "</tr>" for row in rows)
    return f"<table><tr>{cells}</tr>{body}</table>"


@solara.component
def LeverInput(board: Dashboard, field: LeverField, help_text: str, redraw, tick: int):
    """One lever: its value as a number to type or step (arrow keys move by the field's step),
    with its unit, marked while it differs from the run's value.

    The text field is one widget kept for the session and updated in place: the page writes its
    value only when a run starts, never while a person types (rewriting it on every redraw
    would put back a value over the keys that follow)."""
    asked = board.asked.get(field.name)
    pending = asked != board.run.model.levers.get(field.name)

    def typed(value):
        parsed, problem = parse_lever(field, value)
        if problem is None:
            board.asked[field.name] = parsed
            board.errors.pop(field.name, None)
        else:
            board.errors[field.name] = problem
        redraw()

    label = f"{field.label} ({field.unit})" + (" - changed, press Reset" if pending else "")
    if field.months:
        MonthInput(label, asked, field.months, typed, pending, help_text)
    else:
        NumberInput(board, field, asked, typed, label, pending, help_text)


@solara.component
def MonthInput(label: str, asked: str, months: tuple[str, ...], typed, pending: bool, help_text: str):
    solara.Select(label=label, value=asked, values=list(months), on_value=typed, classes=["gpsim-pending"] if pending else [])
    solara.Text(help_text, style={"font-size": "11px", "color": "#555"})


@solara.component
def NumberInput(board: Dashboard, field: LeverField, asked: Any, typed, label: str, pending: bool, help_text: str):
    """The text field of a number lever (see LeverInput)."""
    widget, shown = solara.use_memo(lambda: (v.TextField(
        type="number", dense=True, persistent_hint=True, v_model=input_text(asked),
        attributes={"step": str(field.step), "min": str(field.low), "max": str(field.high)}), {"run": board.run}), [])

    def listen():
        def changed(change):
            typed(change["new"])
        widget.observe(changed, "v_model")
        return lambda: widget.unobserve(changed, "v_model")

    solara.use_effect(listen, [])
    if shown["run"] is not board.run:   # Reset: show the value the new run has
        shown["run"] = board.run
        widget.v_model = input_text(asked)
    widget.label = label
    widget.hint = board.errors.get(field.name) or help_text
    widget.error = field.name in board.errors
    widget.class_ = "gpsim-pending" if pending else ""
    solara.Column(children=[widget], gap="0px")


@solara.component
def Layout(children=()):
    """The page as it is, with no app bar and no inner scroll area: the browser scrolls it."""
    solara.Column(children=list(children), style={"min-height": "100vh"})


@solara.component
def Page():
    """The dashboard page: one run per browser session."""
    from sim.app.dashboard.charts import MAP_MODES

    board = solara.use_memo(new_board, [])
    # Bumped to redraw: the run itself lives in `board`, so the components take the count as a
    # prop (reacton redraws a child only when its props change).
    tick, set_tick = solara.use_state(0)
    mode, set_mode = solara.use_state("stopped")   # stopped | play | to_end
    map_mode, set_map_mode = solara.use_state("paid")

    def redraw():
        set_tick(lambda tick: tick + 1)

    def advance(cancel: threading.Event):
        """Play or Run to end, in a background thread until the end, Pause or Reset."""
        if mode == "stopped":
            return
        drawn, run = time.monotonic(), board.run
        while run.running and not cancel.is_set():
            board.step(run)
            if mode == "play":
                redraw()
                time.sleep(max(0.0, PLAY_SECONDS - (time.monotonic() - drawn)))
                drawn = time.monotonic()
            elif time.monotonic() - drawn > REDRAW_SECONDS:
                redraw()
                drawn = time.monotonic()
        if not cancel.is_set():
            set_mode("stopped")
        redraw()   # the month a Pause caught in progress

    solara.use_thread(advance, dependencies=[mode, board.run], intrusive_cancel=False)
    run = board.run
    model = run.model
    busy = mode != "stopped"
    # The map's hover details (about 2 MB at full size) come a moment after the month is shown,
    # once the run stands still: a Step shows its month at once.
    now = (id(run), model.months_run)
    detailed, set_detailed = solara.use_state(None)

    def add_details(cancel: threading.Event):
        if not busy and detailed != now and not cancel.wait(DETAIL_SECONDS):
            set_detailed(now)

    solara.use_thread(add_details, dependencies=[now, busy, detailed], intrusive_cancel=False)
    charts, map_html = board.views(map_mode, detail=not busy and detailed == now)
    solara.Style(CSS)
    solara.Title(f"gpsim: {model.scenario.title or model.scenario.name}")
    with solara.Column(classes=["gpsim-page"], gap="6px"):
        solara.HTML(tag="h1", unsafe_innerHTML=html.escape(f"gpsim: {model.scenario.title or model.scenario.name}"))
        solara.HTML(tag="div", classes=["gpsim-status"], unsafe_innerHTML=(
            f"<b>{model.current_month}</b>: month {model.months_run} of {model.scenario.months}; "
            f"{run.replications} replication{'s' if run.replications > 1 else ''} (median"
            f"{' and 90% band: random variation only, at the calibrated parameters' if run.replications > 1 else ''}), "
            f"seed {model.root_seed}. "
            + ("Running..." if busy else "Finished." if not run.running else "")))
        with solara.Row(gap="16px", style={"align-items": "flex-start", "flex-wrap": "nowrap"}):
            with solara.Column(classes=["gpsim-controls"], gap="4px"):
                Controls(board, mode, set_mode, redraw, tick)
            with solara.Column(classes=["gpsim-main"], gap="0px", style={"flex-direction": "row"}):
                with solara.Column(gap="2px", style={"flex": "1 1 440px", "min-width": "320px", "max-width": "620px"}):
                    solara.ToggleButtonsSingle(value=map_mode, values=list(MAP_MODES), on_value=set_map_mode, dense=True)
                    solara.HTML(tag="div", unsafe_innerHTML=map_html)
                solara.HTML(tag="div", classes=["gpsim-charts"], unsafe_innerHTML="".join(charts))
        RunPanel(board, tick)


@solara.component
def Controls(board: Dashboard, mode: str, set_mode, redraw, tick: int):
    """Run buttons, scenario, replications, comparison and the levers."""
    run = board.run
    busy = mode != "stopped"

    def reset():
        set_mode("stopped")
        board.reset()
        redraw()

    def step():
        board.step()
        redraw()

    with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
        solara.Button("Reset", on_click=reset, color="primary" if board.pending() else None)
        solara.Button("Step", on_click=step, disabled=busy or not run.running)
        if busy:
            solara.Button("Pause", on_click=lambda: set_mode("stopped"))
        else:
            solara.Button("Play", on_click=lambda: set_mode("play"), disabled=busy or not run.running)
        solara.Button("Run to end", on_click=lambda: set_mode("to_end"), disabled=busy or not run.running)
    solara.Text("Step: one month. Play: month by month. Run to end: fastest. Reset: start again with the settings below.",
                style={"font-size": "11px", "color": "#555"})
    pending = board.pending()
    if pending:
        solara.HTML(tag="div", classes=["gpsim-pending-note"],
                    unsafe_innerHTML=html.escape(f"Changed, not yet run: {', '.join(pending)}. Press Reset."))
    names = {name: path for path, name in board.scenarios.items()}

    def choose(name):
        set_mode("stopped")
        board.choose_scenario(names[name])
        redraw()

    solara.Select(label="Scenario (starts a new run)", value=board.scenarios[board.path], values=list(names), on_value=choose)

    def replications(value):
        board.replications = int(value)
        redraw()

    solara.Text("Replications (more: the median and a 90% band; slower)", style={"font-size": "12px", "color": "#555"})
    solara.ToggleButtonsSingle(value=str(board.replications), values=[str(n) for n in REPLICATIONS], on_value=replications,
                               dense=True, classes=["gpsim-replications"])
    with solara.Row(gap="4px"):
        solara.Button("Pin as baseline", on_click=lambda: (board.pin(), redraw()), small=True, disabled=not run.model.months_run)
        if board.pinned is not None:
            solara.Button("Unpin", on_click=lambda: (setattr(board, "pinned", None), redraw()), small=True)
    solara.Text("After Reset the earlier run stays on the charts as a dashed line.", style={"font-size": "11px", "color": "#555"})
    helps = lever_help(run.model.scenario)
    for field in board.fields:
        LeverInput(board, field, helps[field.name], redraw, tick).key(f"{board.path}:{field.name}")

    def seed(value):
        board.seed = value
        redraw()

    solara.InputText("Seed (whole number)", value=str(board.seed if board.seed not in (None, "") else run.model.root_seed),
                     on_value=seed, continuous_update=False)


@solara.component
def RunPanel(board: Dashboard, tick: int):
    """Headline figures, the levers in force, the equivalent command and the download."""
    run = board.run
    model = run.model
    frame = model.datacollector.model_vars
    fields = {field.name: field for field in board.fields}
    with solara.Column(classes=["gpsim-run"], gap="6px"):
        with solara.Row(gap="40px", style={"flex-wrap": "wrap"}):
            if frame["month"]:
                rows = [(label, fmt.format(run.series(column)[1][-1])) for column, label, fmt in HEADLINE]
                solara.HTML(tag="div", unsafe_innerHTML=_table(rows, ("Now (median)", model.current_month)))
            rows = [(fields[name].label + f" ({fields[name].unit})" if name in fields else name,
                     lever_text(model.levers[name], fields.get(name)), lever_text(model.lever_defaults[name], fields.get(name)))
                    for name in model.lever_defaults]
            solara.HTML(tag="div", unsafe_innerHTML=_table(rows, ("Lever", "This run", "Scenario")))
        for note in model.notes:
            solara.Warning(note, dense=True)
        solara.HTML(tag="div", unsafe_innerHTML="The same numbers from the command line:")
        solara.Preformatted(run.command())
        if model.months_run:
            name = f"{model.scenario.name}-{model.current_month}"
            with solara.Row():
                solara.FileDownload(lambda: run.results_zip(charts=False), filename=f"{name}.zip",
                                    label="Download results so far (zip)")
                solara.FileDownload(lambda: run.results_zip(charts=True), filename=f"{name}-charts.zip",
                                    label="With charts (slower)")

