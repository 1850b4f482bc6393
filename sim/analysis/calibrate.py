"""Calibration of the behavioural parameters no source pins down, against the in-sample targets.

The history run is cut at the targets file's `calibration_ends` (March 2019) and scored only on
the targets marked `fitted`, so every later target stays out of sample. A seeded Optuna TPE
search minimises the sum over those targets of (error / tolerance) squared, where error is the
simulated median minus the published figure. Trials are asked for two at a time and told back in
order, so the search is the same on any number of workers. The first trial is a recorded start
(by default the one the shipped calibration records), so a seed regenerates a calibration.

Two results are written: the best trial (calibrated.yaml: the point the schema's defaults take)
and the ensemble (calibration_ensemble.csv): every trial that puts each fitted target within its
tolerance, the parameter sets the in-sample evidence does not rule out (history matching). The
ensemble is what `--uncertainty parameters` draws from.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.analysis.sweep.backends import LocalBackend
from sim.analysis.validate import SCENARIOS, TargetFile, load_targets, scorecard
from sim.results.run import run
from sim.scenario.calibrated import SEARCH_SPACE, calibrated_defaults, recorded_start
from sim.scenario.errors import InputError
from sim.scenario.loading import resolve
from sim.scenario.schema import PRIORS, month_number
from sim.scenario.yaml_safety import read_yaml

ENSEMBLE_LIMIT = 200   # the best sets at most: enough for intervals, small enough to ship
BATCH = 2              # trials asked for before any is told: fixed, so workers do not change the search


def misfit(card) -> float:
    """Sum over the fitted (in-sample) targets of (simulated median - published) / tolerance, squared."""
    card = card[card["fitted"]] if "fitted" in card else card
    error = (card["simulated_median"] - card["published"]) / card["tolerance"]
    return float(np.sum(error.to_numpy() ** 2))


def in_sample(targets: TargetFile) -> TargetFile:
    """The targets calibration is fitted to (all of them when none is marked)."""
    fitted = [target for target in targets.targets if target.fitted]
    return targets.model_copy(update={"targets": fitted or list(targets.targets)})


def _score(scenario: str, replications: int, overrides: tuple[str, ...], targets: TargetFile) -> list[dict]:
    """One trial in a worker: the history run to the end of calibration, scored (module-level so it pickles)."""
    return scorecard(run(scenario, replications=replications, overrides=overrides), targets).to_dict("records")


def _scenario_and_cut(targets: TargetFile, targets_path) -> tuple[Path, tuple[str, ...]]:
    """The history scenario file and the override that ends it at `calibration_ends`."""
    scenario = (Path(targets_path).parent if targets_path else SCENARIOS) / targets.scenario
    if not scenario.exists():
        scenario = SCENARIOS / targets.scenario
    if targets.calibration_ends is None:
        return scenario, ()
    start = resolve(scenario).scenario.start
    return scenario, (f"months={month_number(targets.calibration_ends) - month_number(start) + 1}",)


def calibrate(trials: int = 600, seed: int = 1, replications: int = 2, targets_path=None,
              space: dict[str, tuple[float, float]] | None = None, fixed: tuple[str, ...] = (),
              workers: int = 1, progress=None, start: dict[str, float] | None = None) -> dict:
    """Search the parameter space; returns the best parameters, their fit, the ensemble and every trial.

    Args:
        trials: number of parameter sets tried.
        seed: seeds the search (the simulation uses the scenario's own seed), so the result is
            reproducible, whatever the number of workers.
        replications: replications of the history run per trial.
        targets_path: targets file (default: the shipped one).
        space: parameters and ranges to search (default: SEARCH_SPACE).
        fixed: extra 'key.path=value' settings held fixed in every trial.
        workers: local worker processes, each running one trial at a time (two are useful).
        progress: called once per trial.
        start: parameter values to try first (those outside the space or its ranges are
            ignored; the rest of the first trial is drawn as any other). Default: the start
            recorded in the shipped calibrated.yaml, so the same seed regenerates the shipped
            calibration, else the priors. `start_point` reads the other choices.
    """
    import optuna

    space = space or SEARCH_SPACE
    targets = load_targets(targets_path)
    fitted = in_sample(targets)
    scenario, cut = _scenario_and_cut(targets, targets_path)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    # A search in this many dimensions needs a good first trial, and each calibration has started
    # from the one before. The start is recorded with the result, so the same start and seed
    # regenerate it, whatever is shipped when it is rerun.
    start = start_point("recorded") if start is None else start
    first = {key: value for key, value in start.items() if key in space and space[key][0] <= value <= space[key][1]}
    if first:
        study.enqueue_trial(first, skip_if_exists=True)
    history = []
    backend = LocalBackend(workers) if workers > 1 else None
    try:
        while len(history) < trials:
            batch = [study.ask() for _ in range(min(BATCH, trials - len(history)))]
            values = [{key: trial.suggest_float(key, low, high) for key, (low, high) in space.items()} for trial in batch]
            jobs = [(str(scenario), replications, tuple(fixed) + cut + tuple(f"{k}={v!r}" for k, v in chosen.items()), fitted)
                    for chosen in values]
            if backend is None:
                cards = [_score(*job) for job in jobs]
            else:
                cards = [future.result() for future in [backend.submit(_score, *job) for job in jobs]]
            for trial, chosen, records in zip(batch, values, cards):
                card = pd.DataFrame(records)
                fit = misfit(card)
                study.tell(trial, fit)
                history.append({"trial": trial.number, "misfit": fit, "targets_passed": int(card["pass"].sum()),
                                "all_passed": bool(card["pass"].all()), **chosen})
                if progress is not None:
                    progress()
    finally:
        if backend is not None:
            backend.close(cancel=True)
    best = {key: round(float(value), 6) for key, value in study.best_params.items()}
    return {"parameters": best, "misfit": float(study.best_value), "trials": history, "start": first,
            "ensemble": ensemble_of(history, space),
            "method": f"Optuna TPE, {trials} trials, seed {seed}, {replications} replication(s) per trial, "
                      f"history to {targets.calibration_ends or 'its end'}, {len(fitted.targets)} fitted targets",
            "targets_version": targets.version}


def start_point(choice: str) -> dict[str, float]:
    """Parameter values for the first trial: 'recorded' (the start recorded in the shipped
    calibrated.yaml, else the priors), 'calibrated' (the shipped calibrated point), 'priors', or
    the path of a calibrated.yaml whose calibrated point is the start."""
    if choice == "recorded":
        return recorded_start() or dict(PRIORS)
    if choice == "calibrated":
        return calibrated_defaults()
    if choice == "priors":
        return dict(PRIORS)
    values = read_yaml(choice, "calibration").get("parameters")
    if not isinstance(values, dict) or not values or not all(
            isinstance(value, (int, float)) and not isinstance(value, bool) for value in values.values()):
        raise InputError(choice, "parameters", "expected a calibrated.yaml's calibrated point, parameter key paths with numbers; "
                                               "found none or a value that is not a number")
    return dict(values)


def ensemble_of(history: list[dict], space: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """The trials that put every fitted target within tolerance, best first (at most
    ENSEMBLE_LIMIT), numbered as sets: the calibration ensemble."""
    trials = pd.DataFrame(history)
    if trials.empty:
        return pd.DataFrame(columns=["set", "trial", "misfit", *space])
    kept = trials[trials["all_passed"]].sort_values(["misfit", "trial"], kind="stable").head(ENSEMBLE_LIMIT)
    kept = kept[["trial", "misfit", *space]].reset_index(drop=True)
    kept[list(space)] = kept[list(space)].round(6)
    kept.insert(0, "set", range(len(kept)))
    return kept


def calibrated_yaml(result: dict) -> str:
    """The calibration result as the text of a calibrated.yaml file."""
    ensemble = result["ensemble"]
    body = {"method": result["method"], "objective": "sum over fitted validation targets of ((simulated median - published) / tolerance)^2",
            "targets_version": result["targets_version"], "misfit": round(result["misfit"], 4),
            "ensemble": {"file": "calibration_ensemble.csv", "sets": int(len(ensemble)),
                         "rule": "every trial with each fitted target within its tolerance, best first"
                                 f" (at most {ENSEMBLE_LIMIT})"},
            "ranges": {key: list(bounds) for key, bounds in SEARCH_SPACE.items() if key in result["parameters"]},
            "start": result["start"],
            "parameters": result["parameters"]}
    return "# Calibrated behavioural parameters (written by gpsim calibrate).\n" + yaml.safe_dump(body, sort_keys=False)
