"""The interactive dashboard: a Mesa SolaraViz app over the model, for moving a lever and
watching what happens.

`gpsim dashboard` serves this module with `solara run`. The scenario, extra `--set` overrides
and seed reach it through environment variables (see sim/app/commands/dashboard.py). Each lever is a
flat keyword of DashboardModel that becomes a `key.path=value` override of the scenario, applied
exactly as `gpsim run --set` applies it, so a dashboard run with the same scenario, settings and
seed gives the same numbers as replication 0 of `gpsim run`. A lever left at the scenario's value
adds no override at all.

Every chart uses the matplotlib backend: the page must render without reaching any CDN.
"""
from __future__ import annotations

import html
import io
import json
import math
import os
import shlex
import tempfile
import warnings
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import solara

# Solara's hook check flags a line of Mesa's own SolaraViz (a harmless early return); not ours to fix.
warnings.filterwarnings("ignore", message=r".*ComponentsView: `use_state` found despite early return", category=UserWarning)
from mesa.visualization import SolaraViz, solara_viz  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from sim.app.commands.dashboard import (
    ENV_SCENARIO,
    ENV_SEED,
    ENV_SET,
    default_scenario_path,
)
from sim.model.model import GPModel
from sim.report.charts import PALETTE, STYLE
from sim.scenario.loading import load
from sim.scenario.schema import Scenario, month_number, year_month

AREA_GRID = 200  # cells per side of the commissioner-area map
AREA_NEIGHBOURS = 7  # practice sites that vote on each cell's area
NETWORK_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8C564B",
                   "#7F7F7F", "#BCBD22", "#17BECF", "#9467BD", "#F0A0A0"]
NOT_A_MEMBER = "#B0B0B0"


# -- the scenario and its levers ------------------------------------------------------------
def paid_kind(scenario: Scenario) -> str | None:
    """The organisation kind the incentive levers act on: the first with a paid size band, else
    the first of kind 'network', else the first kind; None when the scenario has no kinds."""
    kinds = scenario.organisations
    for name, organisation in kinds.items():
        if organisation.band is not None:
            return name
    for name, organisation in kinds.items():
        if organisation.kind == "network":
            return name
    return next(iter(kinds), None)


def incentive(scenario: Scenario, kind: str) -> float:
    """Network payments of a kind, GBP per patient per year (participation, core and leadership)."""
    pay = scenario.organisations[kind].payments
    return pay.participation_per_weighted_patient + pay.core_per_patient + pay.leadership_per_patient


def supply_field(scenario: Scenario) -> tuple[str, bool]:
    """The workforce field the supply lever sets, and whether it is a national total (which a
    smaller England scales down) rather than a rate per patient."""
    if "new_gps_per_1000_patients" in type(scenario.workforce).model_fields:
        return "new_gps_per_1000_patients", False
    return "new_gps_per_year", True


def lever_defaults(scenario: Scenario) -> dict[str, Any]:
    """Each lever this scenario offers, at the scenario's own value."""
    levers: dict[str, Any] = {"new_gps": getattr(scenario.workforce, supply_field(scenario)[0])}
    if scenario.population.source == "synthetic":
        levers["practices"] = scenario.population.practices
    kind = paid_kind(scenario)
    if kind is not None:
        organisation = scenario.organisations[kind]
        levers["incentive_per_patient"] = incentive(scenario, kind)
        if organisation.band is not None:
            levers["band_min_patients"] = organisation.band.min_patients
            levers["band_max_patients"] = organisation.band.max_patients
        levers["network_opens"] = organisation.opens or scenario.start
        levers["commissioner_push"] = organisation.commissioner_push
    if scenario.additional_roles.start:
        levers["reimbursement_rate"] = scenario.additional_roles.reimbursement_rate
    return levers


def _differs(value: Any, default: Any, tolerance: float = 1e-9) -> bool:
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        return abs(float(value) - float(default)) > tolerance
    return value != default


def _number(value: float) -> str:
    """A number as an override value: integers without a decimal point."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def changed_levers(scenario: Scenario, levers: dict[str, Any], resolution: dict[str, float] | None = None) -> dict[str, Any]:
    """The levers set away from the scenario's value (by more than half their resolution)."""
    defaults, resolution = lever_defaults(scenario), resolution or {}
    return {name: value for name, value in levers.items() if value is not None and name in defaults
            and _differs(value, defaults[name], max(resolution.get(name, 0.0) / 2, 1e-9))}


def lever_overrides(scenario: Scenario, levers: dict[str, Any],
                    resolution: dict[str, float] | None = None) -> tuple[list[str], list[str]]:
    """The `key.path=value` overrides that put levers into a scenario, and notes on any lever
    that had to be adjusted. A lever missing, None, or at the scenario's value adds nothing;
    with a resolution (a slider's step) it is at the scenario's value when within half a step,
    as the browser shows a slider's value rounded to its step.

    Args:
        scenario: the scenario as loaded (with any command-line overrides).
        levers: lever values by name, as in lever_defaults.

    Returns:
        (overrides, notes)
    """
    defaults = lever_defaults(scenario)
    wanted = {name: value for name, value in levers.items() if value is not None and name in defaults}
    changed = changed_levers(scenario, levers, resolution)
    overrides: list[str] = []
    notes: list[str] = []
    pop = scenario.population
    fraction = 1.0
    if "practices" in changed:
        practices = int(changed["practices"])
        fraction = practices / pop.practices
        areas = max(1, round(pop.commissioner_areas * fraction))
        overrides += [f"population.practices={practices}",
                      f"population.commissioner_areas={areas}",
                      f"population.regions={min(pop.regions, areas)}",
                      f"population.side_km={_number(round(max(pop.side_km * math.sqrt(fraction), 10.5), 3))}"]
        roles = scenario.additional_roles
        if roles.start and "national_recruits_per_year" in type(roles).model_fields:
            recruits = roles.national_recruits_per_year * fraction
            overrides.append(f"additional_roles.national_recruits_per_year={_number(round(recruits, 3))}")
    field, national = supply_field(scenario)
    supply = float(wanted.get("new_gps", defaults["new_gps"]))
    if "new_gps" in changed or (national and "practices" in changed):
        overrides.append(f"workforce.{field}={_number(round(supply * (fraction if national else 1.0), 6))}")
    kind = paid_kind(scenario)
    if kind is not None:
        prefix = f"organisations.{kind}"
        if "incentive_per_patient" in changed:
            overrides += _split_incentive(scenario, kind, float(changed["incentive_per_patient"]))
        if "band_min_patients" in changed or "band_max_patients" in changed:
            low = float(wanted.get("band_min_patients", defaults["band_min_patients"]))
            high = float(wanted.get("band_max_patients", defaults["band_max_patients"]))
            if high < low:
                notes.append(f"Largest paid network raised to the smallest ({low:,.0f} patients).")
                high = low
            overrides += [f"{prefix}.band.min_patients={_number(low)}", f"{prefix}.band.max_patients={_number(high)}"]
        if "network_opens" in changed:
            overrides.append(f"{prefix}.opens={changed['network_opens']}")
        if "commissioner_push" in changed:
            overrides.append(f"{prefix}.commissioner_push={_number(changed['commissioner_push'])}")
    if "reimbursement_rate" in changed:
        overrides.append(f"additional_roles.reimbursement_rate={_number(changed['reimbursement_rate'])}")
    return overrides, notes


def _split_incentive(scenario: Scenario, kind: str, total: float) -> list[str]:
    """Share a new total of network payments out in the scenario's own proportions."""
    pay = scenario.organisations[kind].payments
    parts = {"participation_per_weighted_patient": pay.participation_per_weighted_patient,
             "core_per_patient": pay.core_per_patient, "leadership_per_patient": pay.leadership_per_patient}
    before = sum(parts.values())
    shares = {name: value / before for name, value in parts.items()} if before > 0 else \
        {"participation_per_weighted_patient": 1.0, "core_per_patient": 0.0, "leadership_per_patient": 0.0}
    return [f"organisations.{kind}.payments.{name}={_number(round(total * share, 6))}" for name, share in shares.items()]


def _seed(value: Any, notes: list[str]) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        seed = int(str(value).strip())
        if seed < 0:
            raise ValueError
        return seed
    except ValueError:
        notes.append(f"Seed '{value}' is not a whole number of at least 0; the scenario's seed is used.")
        return None


class DashboardModel(GPModel):
    """The model as the dashboard runs it: a scenario file plus flat keyword levers.

    Every lever is None or a value; a value that differs from the scenario's becomes a scenario
    override (see lever_overrides), so the run is the same as `gpsim run SCENARIO --set ...
    --seed SEED` (replication 0). The model stops itself at the end of the scenario.

    Args:
        scenario_path: the scenario YAML file.
        overrides: `key.path=value` overrides applied first, as with `gpsim run --set`.
        seed: root seed (None or blank: the scenario's).
        practices: practices at the start of a synthetic England; fewer make a smaller England
            for speed, with commissioner areas, regions and distances scaled to keep practices
            per area and their spacing (and any national staff supply scaled with them).
        incentive_per_patient: network payments (participation, core and leadership) of the
            paid kind, GBP per patient per year, shared out in the scenario's proportions.
        band_min_patients, band_max_patients: the paid kind's size band.
        network_opens: YYYY-MM from which the paid kind's networks may form and be paid.
        reimbursement_rate: share of additional-role costs reimbursed (0-1).
        commissioner_push: the paid kind's commissioner encouragement (0-1).
        new_gps: supply of new GPs, in the units of the scenario's workforce field (see
            supply_field: per 1,000 patients a year, or a national total a year).
    """

    def __init__(self, scenario_path: str | os.PathLike | None = None, overrides: tuple[str, ...] | list[str] = (),
                 seed: int | str | None = None, practices: int | None = None,
                 incentive_per_patient: float | None = None, band_min_patients: float | None = None,
                 band_max_patients: float | None = None, network_opens: str | None = None,
                 reimbursement_rate: float | None = None, commissioner_push: float | None = None,
                 new_gps: float | None = None):
        self.scenario_path = str(scenario_path or default_scenario_path())
        base = load(self.scenario_path, list(overrides))
        levers = {"practices": practices, "incentive_per_patient": incentive_per_patient,
                  "band_min_patients": band_min_patients, "band_max_patients": band_max_patients,
                  "network_opens": network_opens, "reimbursement_rate": reimbursement_rate,
                  "commissioner_push": commissioner_push, "new_gps": new_gps}
        steps = {name: control["step"] for name, control in lever_controls(base).items() if "step" in control}
        extra, self.notes = lever_overrides(base, levers, steps)
        self.lever_defaults = lever_defaults(base)
        self.levers = {**self.lever_defaults, **changed_levers(base, levers, steps)}  # the values in force
        self.settings = [*overrides, *extra]
        scenario = load(self.scenario_path, self.settings) if extra else base
        super().__init__(scenario, replication=0, seed=_seed(seed, self.notes))
        self.paid_kind = paid_kind(scenario)
        self.running = True
        self._areas: np.ndarray | None = None

    def _wrapped_step(self, *args: Any, **kwargs: Any) -> None:
        """Mesa's step (which counts steps): after the scenario's last month the model has
        stopped, and further steps change nothing, the count included."""
        if self.month >= self.scenario.months:
            self.running = False
            return
        super()._wrapped_step(*args, **kwargs)
        self.running = self.month < self.scenario.months

    @property
    def current_month(self) -> str:
        """The month just simulated, YYYY-MM (the month before the start if none yet)."""
        return year_month(self.start_month + self.month - 1)

    def command(self) -> str:
        """The `gpsim run` command that gives the same numbers as replication 0."""
        path = Path(self.scenario_path).resolve()
        shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
        words = ["gpsim", "run", str(shown), "--seed", str(self.root_seed), "--replications", "1"]
        for setting in self.settings:
            words += ["--set", setting]
        return shlex.join(words)

    def map_extent(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The square (km) the map shows: every practice site with a small margin."""
        x, y = self.practices.x_km, self.practices.y_km
        half = max(float(np.ptp(x)), float(np.ptp(y)), 1.0) * 0.52
        cx, cy = (float(x.min()) + float(x.max())) / 2, (float(y.min()) + float(y.max())) / 2
        return (cx - half, cx + half), (cy - half, cy + half)

    def area_map(self) -> np.ndarray:
        """Commissioner area of every cell of a grid over the country: the area most of the
        cell's nearest practice sites belong to. Sites never move, so this is made once."""
        if self._areas is None:
            (x0, x1), (y0, y1) = self.map_extent()
            xx, yy = np.meshgrid(x0 + (np.arange(AREA_GRID) + 0.5) * (x1 - x0) / AREA_GRID,
                                 y0 + (np.arange(AREA_GRID) + 0.5) * (y1 - y0) / AREA_GRID)
            k = min(AREA_NEIGHBOURS, self.practices.size)
            _, nearest = self.tree.query(np.column_stack([xx.ravel(), yy.ravel()]), k=k)
            labels = self.practices.area[nearest.reshape(-1, k)]
            votes = (labels[:, :, None] == labels[:, None, :]).sum(axis=2)  # ties go to the nearest
            self._areas = labels[np.arange(len(labels)), votes.argmax(axis=1)].reshape(AREA_GRID, AREA_GRID)
        return self._areas

    def results(self):
        """The run so far as Results, the same object `gpsim run` writes."""
        from sim.app.api import Results

        snapshots = [self.practice_table()] if self.snapshots else []
        last = year_month(self.start_month + self.month - 1)
        if not self.snapshots or self.snapshots[-1]["month"][0] != last:
            snapshots.append(self.snapshot().assign(month=last))
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        scenario = self.scenario.model_copy(update={"seed": self.root_seed, "replications": 1})
        return Results(scenario=scenario, seed=self.root_seed, timeseries=self.timeseries(),
                       networks=self.network_table(), practices=pd.concat(snapshots, ignore_index=True),
                       started=now, finished=now, seconds=0.0, source=self.scenario_path,
                       overrides=list(self.settings))

    def results_zip(self, charts: bool = True) -> bytes:
        """The run so far as a zipped results folder, laid out as `gpsim run` writes it, with
        the equivalent command in command.txt."""
        results = self.results()
        with tempfile.TemporaryDirectory() as work:
            folder = results.save(Path(work) / "run", charts=charts)
            (folder / "command.txt").write_text(self.command() + "\n", encoding="utf-8")
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(folder.rglob("*")):
                    if path.is_file():
                        archive.write(path, f"{self.scenario.name}/{path.relative_to(folder).as_posix()}")
        return buffer.getvalue()


# -- settings passed by `gpsim dashboard` ---------------------------------------------------
def app_settings() -> dict[str, Any]:
    """Scenario path, overrides and seed, from the environment `gpsim dashboard` sets."""
    overrides = json.loads(os.environ.get(ENV_SET, "[]") or "[]")
    seed = os.environ.get(ENV_SEED) or None
    return {"scenario_path": os.environ.get(ENV_SCENARIO) or str(default_scenario_path()),
            "overrides": tuple(overrides), "seed": seed}


def _slider(label: str, value: float, low: float, high: float, step: float, integer: bool = False) -> dict:
    """A slider that starts at the scenario's value. The browser keeps a slider on its grid
    (min + k * step): whole-number sliders move their minimum onto the value's grid; others take
    a finer step where one puts the value on the grid, and otherwise show it to the nearest step
    (DashboardModel counts a lever within half a step of the scenario's value as unchanged)."""
    if integer:
        low = value - math.floor((value - min(low, value)) / step) * step
        high = low + math.floor((max(high, value) - low) / step) * step
        return {"type": "SliderInt", "label": label, "value": int(value), "min": int(low), "max": int(high), "step": int(step)}
    step = next((s for s in (step, step / 10, step / 100)
                 if math.isclose(round((value - low) / s) * s, value - low, abs_tol=1e-9)), step)
    high = low + math.floor((max(high, value) - low) / step + 1e-9) * step
    return {"type": "SliderFloat", "label": label, "value": round(float(value), 9), "min": round(float(low), 9) + 0.0,
            "max": round(high, 9), "step": step}


def month_choices(scenario: Scenario, default: str) -> list[str]:
    """Months a network contract may open: quarterly over the run, plus the scenario's own."""
    first = month_number(scenario.start)
    months = {year_month(first + offset) for offset in range(0, scenario.months, 3)} | {default}
    return sorted(months)


def lever_labels(scenario: Scenario) -> dict[str, str]:
    """What each lever is, in full, with its unit."""
    kind = paid_kind(scenario)
    field, national = supply_field(scenario)
    return {"incentive_per_patient": f"Incentive: {kind} payments, GBP per patient a year",
            "band_min_patients": f"Paid size band of {kind}: smallest network, patients",
            "band_max_patients": f"Paid size band of {kind}: largest network, patients",
            "network_opens": f"Start date: {kind} networks open",
            "reimbursement_rate": "Additional roles: share of cost reimbursed",
            "commissioner_push": f"Commissioner support for {kind} (0-1)",
            "new_gps": "Workforce supply: new GPs a year" + (" (England)" if national else " per 1,000 patients"),
            "practices": "Practices at the start (fewer: a smaller England)"}


def lever_controls(scenario: Scenario) -> dict[str, dict]:
    """A SolaraViz control for each lever the scenario offers, at the scenario's value, with a
    short label (the run panel lists every lever in full)."""
    defaults = lever_defaults(scenario)
    controls: dict[str, dict] = {}
    if "incentive_per_patient" in defaults:
        value = defaults["incentive_per_patient"]
        controls["incentive_per_patient"] = _slider("Incentive £/patient", value, 0.0, max(10.0, 3 * value), 0.05)
    if "band_min_patients" in defaults:
        low, high = defaults["band_min_patients"], defaults["band_max_patients"]
        top = max(200_000.0, 2 * high)
        controls["band_min_patients"] = _slider("Band min", low, 0, top, 5000, integer=True)
        controls["band_max_patients"] = _slider("Band max", high, 0, top, 5000, integer=True)
    if "network_opens" in defaults:
        controls["network_opens"] = {"type": "Select", "label": lever_labels(scenario)["network_opens"],
                                     "value": defaults["network_opens"],
                                     "values": month_choices(scenario, defaults["network_opens"])}
    if "reimbursement_rate" in defaults:
        controls["reimbursement_rate"] = _slider("Roles reimbursed", defaults["reimbursement_rate"], 0.0, 1.0, 0.05)
    if "commissioner_push" in defaults:
        controls["commissioner_push"] = _slider("Commissioner push", defaults["commissioner_push"], 0.0, 1.0, 0.05)
    supply = defaults["new_gps"]
    if supply_field(scenario)[1]:
        controls["new_gps"] = _slider("New GPs a year", supply, 0, max(6000, 2 * supply), 100, integer=True)
    else:
        controls["new_gps"] = _slider("New GPs /1,000", supply, 0.0, max(0.15, 2 * supply), 0.002)
    if "practices" in defaults:
        practices = defaults["practices"]
        controls["practices"] = _slider("Practices", practices, min(practices, 100), practices,
                                        100 if practices >= 2000 else 10, integer=True)
    return controls


def model_params(settings: dict[str, Any]) -> dict[str, Any]:
    """SolaraViz model parameters: the fixed settings, the seed, and a control for each lever."""
    scenario = load(settings["scenario_path"], list(settings["overrides"]))
    return {"scenario_path": settings["scenario_path"], "overrides": settings["overrides"],
            "seed": {"type": "InputText", "label": "Seed", "value": str(settings["seed"] or scenario.seed)},
            **lever_controls(scenario)}


# -- charts: small matplotlib figures, drawn afresh each month ---------------------------------
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

    from sim.model.networks import paid

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


# -- components -------------------------------------------------------------------------------
CSS = """
.gpsim-figure img { max-width: 100%; height: auto; }
.gpsim-run table { border-collapse: collapse; font-size: 13px; }
.gpsim-run td, .gpsim-run th { padding: 1px 10px 1px 0; text-align: left; }
.gpsim-run td.number { text-align: right; }
.gpsim-run pre { white-space: pre-wrap; word-break: break-all; font-size: 12px; background: #F5F5F5; padding: 6px; }
"""


def png(fig) -> bytes:
    """A figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


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


@solara.component
def CoverageChart(model: DashboardModel):
    """Network coverage over time."""
    update_counter.get()
    _show("coverage", model, lambda: coverage_figure(model))


@solara.component
def NetworksChart(model: DashboardModel):
    """Number and size of networks against the incentive band."""
    update_counter.get()
    _show("networks", model, lambda: networks_figure(model))


@solara.component
def CareChart(model: DashboardModel):
    """Continuity and GP turnover."""
    update_counter.get()
    _show("care", model, lambda: care_figure(model))


@solara.component
def SustainabilityChart(model: DashboardModel):
    """Practices in deficit and closures."""
    update_counter.get()
    _show("sustainability", model, lambda: sustainability_figure(model))


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
            f"<b>{model.current_month}</b>: month {model.month} of {model.scenario.months}, seed {model.root_seed}. "
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
        if model.month:
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
