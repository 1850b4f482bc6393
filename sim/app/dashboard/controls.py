"""The page's settings: the scenario, overrides and seed `gpsim dashboard` passes through the
environment, the scenarios on offer, the months a network contract may open, and typed lever
values checked."""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from sim.app.commands.dashboard import DEFAULT_SCENARIO, ENV_SCENARIO, ENV_SEED, ENV_SET
from sim.app.dashboard.levers import LeverField
from sim.scenario.loading import SCENARIO_FOLDERS, scenario_file
from sim.scenario.schema import Scenario, month_number, year_month


def app_settings() -> dict[str, Any]:
    """Scenario path, overrides and seed, from the environment `gpsim dashboard` sets."""
    overrides = json.loads(os.environ.get(ENV_SET, "[]") or "[]")
    seed = os.environ.get(ENV_SEED) or None
    return {"scenario_path": os.environ.get(ENV_SCENARIO) or DEFAULT_SCENARIO,
            "overrides": tuple(overrides), "seed": seed}


def month_choices(scenario: Scenario, default: str) -> list[str]:
    """Months a network contract may open: quarterly over the run, plus the scenario's own."""
    first = month_number(scenario.start)
    months = {year_month(first + offset) for offset in range(0, scenario.months, 3)} | {default}
    return sorted(months)


def shipped_scenarios(current: str) -> dict[str, str]:
    """Scenario files the page offers, by path: the shipped scenarios and the one given."""
    found = {str(path.resolve()): path.stem for folder in SCENARIO_FOLDERS[:1] for path in sorted(folder.glob("*.yaml"))}
    current = str(scenario_file(current).resolve())
    if current not in found:
        found[current] = Path(current).stem
    return found


def parse_lever(field: LeverField, text: Any) -> tuple[Any, str | None]:
    """A typed value for a lever: (value, None) or (None, what is wrong, in a few words)."""
    if field.months:
        return (text, None) if text in field.months else (None, "choose a month")
    try:
        value = float(str(text).replace(",", "").replace("£", "").strip())
    except ValueError:
        return None, "type a number"
    if not math.isfinite(value) or not field.low <= value <= field.high:
        return None, f"from {field.low:,g} to {field.high:,g}"
    if field.integer:
        if not value.is_integer():
            return None, "a whole number"
        return int(value), None
    return value, None
