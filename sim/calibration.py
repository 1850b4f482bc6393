"""Calibration of the behavioural parameters no source pins down, against the validation targets.

A seeded Optuna TPE search minimises the sum over targets of (error / tolerance) squared, where
error is the simulated median minus the published figure. The result is written as
calibrated.yaml; the shipped copy, sim/data/calibrated.yaml, supplies the schema's defaults for
these parameters, so the defaults are the calibrated values.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

CALIBRATED_FILE = Path(__file__).resolve().parent / "data" / "calibrated.yaml"

# Parameter key path -> (low, high): the search range.
SEARCH_SPACE: dict[str, tuple[float, float]] = {
    "behaviour.intercept": (-2.0, 2.0),
    "behaviour.peer_weight": (0.0, 4.0),
    "behaviour.independence_weight": (0.0, 4.0),
    "workforce.leaving_rate": (0.04, 0.10),
    "workforce.workload_elasticity": (0.5, 3.0),
    "workforce.partner_retirement_rate": (0.01, 0.05),
    "workforce.partner_to_salaried_rate": (0.0, 0.03),
    "workforce.new_gp_partner_share": (0.1, 0.6),
    "workforce.new_gps_per_1000_patients": (0.04, 0.065),
    "workforce.locum_cover": (0.2, 0.8),
    "continuity.turnover_effect": (0.5, 3.0),
    "continuity.locum_effect": (0.0, 2.0),
    "closure.merger_rate": (0.003, 0.012),
    "closure.small_merger_ratio": (1.0, 4.0),
}


def calibrated_defaults(path: Path = CALIBRATED_FILE) -> dict[str, float]:
    """The calibrated parameter values by key path (empty if the file is absent)."""
    if not path.is_file():
        return {}
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")).get("parameters", {}))


def misfit(card) -> float:
    """Sum over targets of (simulated median - published) / tolerance, squared."""
    error = (card["simulated_median"] - card["published"]) / card["tolerance"]
    return float(np.sum(error.to_numpy() ** 2))


def calibrate(trials: int = 120, seed: int = 1, replications: int = 2, targets_path=None,
              space: dict[str, tuple[float, float]] | None = None, fixed: tuple[str, ...] = (), progress=None) -> dict:
    """Search the parameter space; returns the best parameters, their fit and every trial.

    Args:
        trials: number of parameter sets tried.
        seed: seeds the search (the simulation uses the scenario's own seed), so the result is reproducible.
        replications: replications of the history run per trial.
        targets_path: targets file (default: the shipped one).
        space: parameters and ranges to search (default: SEARCH_SPACE).
        fixed: extra 'key.path=value' settings held fixed in every trial.
        progress: called once per trial.
    """
    import optuna

    from .results import run
    from .validation import SCENARIOS, load_targets, scorecard

    space = space or SEARCH_SPACE
    targets = load_targets(targets_path)
    scenario = (Path(targets_path).parent if targets_path else SCENARIOS) / targets.scenario
    if not scenario.exists():
        scenario = SCENARIOS / targets.scenario
    history = []

    def objective(trial) -> float:
        values = {key: trial.suggest_float(key, low, high) for key, (low, high) in space.items()}
        overrides = tuple(fixed) + tuple(f"{key}={value!r}" for key, value in values.items())
        results = run(scenario, replications=replications, overrides=overrides)
        card = scorecard(results, targets)
        fit = misfit(card)
        history.append({"trial": trial.number, "misfit": fit, "targets_passed": int(card["pass"].sum()), **values})
        if progress is not None:
            progress()
        return fit

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=trials)
    best = {key: round(float(value), 6) for key, value in study.best_params.items()}
    return {"parameters": best, "misfit": float(study.best_value), "trials": history,
            "method": f"Optuna TPE, {trials} trials, seed {seed}, {replications} replication(s) per trial",
            "targets_version": targets.version}


def calibrated_yaml(result: dict) -> str:
    """The calibration result as the text of a calibrated.yaml file."""
    body = {"method": result["method"], "objective": "sum over validation targets of ((simulated median - published) / tolerance)^2",
            "targets_version": result["targets_version"], "misfit": round(result["misfit"], 4),
            "ranges": {key: list(bounds) for key, bounds in SEARCH_SPACE.items() if key in result["parameters"]},
            "parameters": result["parameters"]}
    return "# Calibrated behavioural parameters (written by gpsim calibrate).\n" + yaml.safe_dump(body, sort_keys=False)
