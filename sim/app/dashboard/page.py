"""The dashboard page: the run's controls and levers on the left; the map and the charts (SVG,
drawn by the browser) on the right; the headline figures, the levers in force and the command
that gives the same numbers below. `gpsim dashboard` serves this module with `solara run`.

Play draws every month; Run to end steps in a background thread and redraws a few times a
second, so a decade at full size takes seconds."""
from __future__ import annotations

import html
import threading
import time
from typing import Any

import solara

from sim.app.dashboard.charts import (
    MAP_MODES,
    map_view,
    sizes_chart,
    time_charts,
    time_specs,
)
from sim.app.dashboard.controls import (
    app_settings,
    month_choices,
    parse_lever,
    shipped_scenarios,
)
from sim.app.dashboard.levers import LeverField, lever_fields, lever_help
from sim.app.dashboard.session import Run, Trace, what_changed
from sim.scenario.loading import scenario_file

REDRAW_SECONDS = 0.5     # Run to end: redraw at most this often
PLAY_SECONDS = 0.15      # Play: at least this long between months, so each can be seen
REPLICATIONS = [1, 3, 5, 10]

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


class Dashboard:
    """One browser session: the run, the settings asked for the next run (shown as pending until
    Reset), and the earlier run or pinned baseline it is compared with."""

    def __init__(self, settings: dict[str, Any]):
        self.given = settings
        self.scenarios = shipped_scenarios(settings["scenario_path"])
        self.given_path = self.path = str(scenario_file(settings["scenario_path"]).resolve())
        self.lock = threading.Lock()
        self.replications, self.seed = 1, settings["seed"]
        self.previous: Trace | None = None
        self.pinned: Trace | None = None
        self.run = self._new_run({})
        self.asked = dict(self.run.model.levers)
        self.errors: dict[str, str] = {}

    @property
    def overrides(self) -> tuple[str, ...]:
        """`gpsim dashboard --set` holds for the scenario it was given with."""
        return self.given["overrides"] if self.path == self.given_path else ()

    def _new_run(self, levers: dict[str, Any]) -> Run:
        return Run(self.path, self.overrides, self.seed, levers, self.replications)

    @property
    def fields(self) -> list[LeverField]:
        scenario = self.run.model.scenario
        return lever_fields(scenario, tuple(month_choices(scenario, self.run.model.lever_defaults.get("network_opens", scenario.start))))

    def pending(self) -> list[str]:
        """Settings asked for that the run does not have yet."""
        now = self.run.settings
        waiting = [f"{field.label} {_lever_text(self.asked.get(field.name), field)}" for field in self.fields
                   if self.asked.get(field.name) != now.levers.get(field.name)]
        if self.replications != now.replications:
            waiting.append(f"replications {self.replications}")
        if self.seed not in (None, "") and str(self.seed).strip() != str(now.seed):
            waiting.append(f"seed {self.seed}")
        return waiting

    def reset(self) -> None:
        """A new run with the settings asked for; the old one (if it ran) becomes the comparison."""
        old = self.run
        changed = {name: value for name, value in self.asked.items() if value != old.model.lever_defaults.get(name)}
        new = self._new_run(changed)
        with self.lock:
            if old.model.months_run and old.settings.period == new.settings.period:
                self.previous = old.trace(self.columns())
            elif old.settings.period != new.settings.period:
                self.previous = None
            self.run = new
            self.asked = dict(new.model.levers)
            self.errors = {}

    def choose_scenario(self, path: str) -> None:
        self.path = path
        self.asked, self.pinned = {}, None
        self.reset()

    def columns(self) -> list[str]:
        return [column for spec in time_specs(self.run.model) for column, _ in spec.lines]

    def pin(self) -> None:
        with self.lock:
            self.pinned = self.run.trace(self.columns())

    def comparison(self) -> tuple[Trace | None, str]:
        """The run the charts compare with (pinned, else the previous) and its legend label."""
        trace = self.pinned or self.previous
        if trace is None or trace.settings.period != self.run.settings.period:
            return None, ""
        return trace, what_changed(trace.settings, self.run.settings, self.fields, "pinned" if self.pinned else "before")

    def step(self) -> None:
        with self.lock:
            self.run.step()

    def views(self, map_mode: str, detail: bool) -> tuple[list[str], str]:
        """The charts and the map as HTML."""
        with self.lock:
            charts = time_charts(self.run, *self.comparison())
            charts.insert(2, sizes_chart(self.run.model))
            return charts, map_view(self.run.model, map_mode, detail)


def _lever_text(value: Any, field: LeverField | None = None) -> str:
    if isinstance(value, float):
        if field is not None and field.unit.startswith("£"):
            return f"£{value:,.2f}" if round(value, 2) == round(value, 6) else f"£{value:,.3f}"
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def input_text(value: Any) -> str:
    """A lever's value as the text of its input: exact enough that leaving it as shown changes
    nothing (no thousands separators, which a number input refuses)."""
    return f"{value:.10g}" if isinstance(value, float) else str(value)


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + f"<td>{html.escape(row[0])}</td>" + "".join(f'<td class="number">{html.escape(c)}</td>' for c in row[1:])
                   + "</tr>" for row in rows)
    return f"<table><tr>{cells}</tr>{body}</table>"


@solara.component
def LeverInput(board: Dashboard, field: LeverField, help_text: str, redraw, tick: int):
    """One lever: its value as a number to type or step (arrow keys move by the field's step),
    with its unit, marked while it differs from the run's value. The page sends the field its
    text once a run (sending back each value typed would race the keys that follow it)."""
    asked = board.asked.get(field.name)
    pending = asked != board.run.model.levers.get(field.name)
    first_text = solara.use_memo(lambda: input_text(asked), [board.run])

    def typed(value):
        parsed, problem = parse_lever(field, value)
        if problem is None:
            board.asked[field.name] = parsed
            board.errors.pop(field.name, None)
        else:
            board.errors[field.name] = problem
        redraw()

    label = f"{field.label} ({field.unit})" + (" - changed, press Reset" if pending else "")
    classes = ["gpsim-pending"] if pending else []
    if field.months:
        solara.Select(label=label, value=asked, values=list(field.months), on_value=typed, classes=classes)
        solara.Text(help_text, style={"font-size": "11px", "color": "#555"})
        return
    solara.v.TextField(label=label, v_model=first_text, on_v_model=typed, type="number", dense=True,
                       attributes={"step": str(field.step), "min": str(field.low), "max": str(field.high)},
                       hint=board.errors.get(field.name) or help_text, persistent_hint=True,
                       error=field.name in board.errors, class_=" ".join(classes))


@solara.component
def Layout(children=()):
    """The page as it is, with no app bar and no inner scroll area: the browser scrolls it."""
    solara.Column(children=list(children), style={"min-height": "100vh"})


@solara.component
def Page():
    """The dashboard page: one run per browser session."""
    board = solara.use_memo(lambda: Dashboard(app_settings()), [])
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
        drawn = time.monotonic()
        while board.run.running and not cancel.is_set():
            board.step()
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
    charts, map_html = board.views(map_mode, detail=not busy)
    solara.Style(CSS)
    solara.Title(f"gpsim: {model.scenario.title or model.scenario.name}")
    with solara.Column(classes=["gpsim-page"], gap="6px"):
        solara.HTML(tag="h1", unsafe_innerHTML=html.escape(f"gpsim: {model.scenario.title or model.scenario.name}"))
        solara.HTML(tag="div", classes=["gpsim-status"], unsafe_innerHTML=(
            f"<b>{model.current_month}</b>: month {model.months_run} of {model.scenario.months}; "
            f"{run.replications} replication{'s' if run.replications > 1 else ''} (median"
            f"{' and 90% band' if run.replications > 1 else ''}), seed {model.root_seed}. "
            + ("Running..." if busy else "Finished." if not run.running else "")))
        with solara.Row(gap="16px", style={"align-items": "flex-start", "flex-wrap": "nowrap"}):
            with solara.Column(classes=["gpsim-controls"], gap="4px"):
                Controls(board, mode, set_mode, redraw, tick)
            with solara.Column(classes=["gpsim-main"], gap="0px", style={"flex-direction": "row"}):
                with solara.Column(gap="2px", style={"flex": "0 1 440px", "min-width": "320px"}):
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
        if mode == "play":
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

    solara.Select(label="Replications (more: a 90% band; slower)", value=str(board.replications),
                  values=[str(n) for n in REPLICATIONS], on_value=replications)
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
                     _lever_text(model.levers[name], fields.get(name)), _lever_text(model.lever_defaults[name], fields.get(name)))
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

