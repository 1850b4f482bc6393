"""Calibrated parameter values, as data: the shipped sim/data/calibrated.yaml supplies the
schema's defaults for the parameters calibration fits, and SEARCH_SPACE gives the range each is
searched over (shown in the parameter reference). `gpsim calibrate` writes a new file."""
from __future__ import annotations

import csv
from pathlib import Path

import yaml

from sim.scenario.shipped import data_file

CALIBRATED_FILE = data_file("calibrated.yaml")

# Parameter key path -> (low, high): the search range.
SEARCH_SPACE: dict[str, tuple[float, float]] = {
    "behaviour.intercept": (-2.0, 2.0),
    "behaviour.peer_weight": (0.0, 4.0),
    "behaviour.independence_weight": (0.0, 4.0),
    "workforce.leaving_rate": (0.04, 0.10),
    "workforce.moving_rate": (0.0, 0.08),
    "workforce.workload_elasticity": (0.5, 3.0),
    "workforce.leaving_rate_change": (0.0, 0.15),
    "workforce.partner_share": (0.68, 0.85),
    "workforce.partner_retirement_rate": (0.005, 0.05),
    "workforce.partner_to_salaried_rate": (0.0, 0.03),
    "workforce.new_gp_partner_share": (0.1, 0.6),
    "workforce.new_gps_per_1000_patients": (0.04, 0.065),
    "workforce.locum_cover": (0.2, 0.8),
    "continuity.turnover_effect": (0.5, 3.0),
    "continuity.locum_effect": (0.0, 2.0),
    "closure.merger_rate": (0.003, 0.025),
    "closure.small_merger_ratio": (1.0, 4.0),
}


def calibrated_defaults(path: Path = CALIBRATED_FILE) -> dict[str, float]:
    """The calibrated parameter values by key path (a missing file is an error: gpsim never runs
    on the uncalibrated priors without saying so)."""
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")).get("parameters", {}))


def recorded_start(path: Path = CALIBRATED_FILE) -> dict[str, float] | None:
    """The parameter values the search that wrote a calibrated.yaml tried first (its `start`
    block), by key path; None where the file records none."""
    start = yaml.safe_load(path.read_text(encoding="utf-8")).get("start")
    return None if start is None else dict(start)


def ensemble(path: Path | None = None) -> list[dict[str, float]]:
    """The calibration ensemble: parameter sets (key path -> value) consistent with the in-sample
    targets, in the order `gpsim calibrate` wrote them (sim/data/calibration_ensemble.csv; the
    columns 'set', 'trial' and 'misfit' describe a set and are not parameters)."""
    path = path or data_file("calibration_ensemble.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [{key: float(value) for key, value in row.items() if key not in ("set", "trial", "misfit")} for row in rows]
