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

from sim.analysis.validate import SCENARIOS, load_targets, scorecard
from sim.results.run import run
from sim.scenario.calibrated import SEARCH_SPACE, calibrated_defaults


def misfit(card) -> float:
    """Sum over the fitted (in-sample) targets of (simulated median - published) / tolerance, squared."""
    card = card[card["fitted"]] if "fitted" in card else card
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
    # The first trial is the shipped values (where inside the ranges), so a search never ends
    # worse than where it started.
    shipped = {key: value for key, value in calibrated_defaults().items()
               if key in space and space[key][0] <= value <= space[key][1]}
    if shipped:
        study.enqueue_trial(shipped, skip_if_exists=True)
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
