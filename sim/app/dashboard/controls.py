"""The page's controls: a slider or choice for each lever at the scenario's value, and the
settings (scenario, overrides, seed) that `gpsim dashboard` passes through the environment."""
from __future__ import annotations

import json
import math
import os
from typing import Any

from sim.app.commands.dashboard import DEFAULT_SCENARIO, ENV_SCENARIO, ENV_SEED, ENV_SET
from sim.app.dashboard.levers import lever_defaults, lever_labels, supply_field
from sim.scenario.loading import resolve
from sim.scenario.schema import Scenario, month_number, year_month


def app_settings() -> dict[str, Any]:
    """Scenario path, overrides and seed, from the environment `gpsim dashboard` sets."""
    overrides = json.loads(os.environ.get(ENV_SET, "[]") or "[]")
    seed = os.environ.get(ENV_SEED) or None
    return {"scenario_path": os.environ.get(ENV_SCENARIO) or DEFAULT_SCENARIO,
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
    scenario = resolve(settings["scenario_path"], list(settings["overrides"])).scenario
    return {"scenario_path": settings["scenario_path"], "overrides": settings["overrides"],
            "seed": {"type": "InputText", "label": "Seed", "value": str(settings["seed"] or scenario.seed)},
            **lever_controls(scenario)}

