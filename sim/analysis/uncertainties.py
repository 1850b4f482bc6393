"""The model definition for exploratory modelling: each behavioural and policy parameter's
plausible range with its source (sim/data/uncertainties.yaml), and a ready EMA Workbench model.

    import sim
    sim.uncertainties()                      # key path -> low, high, kind, source
    model = sim.ema_model(overrides={"population.scale": 0.1})
    from ema_workbench import perform_experiments
    experiments, outcomes = perform_experiments(model, scenarios=16)

The ranges are separate from the schema's validation limits, which only refuse nonsense.
"""
from __future__ import annotations

from typing import Any

import yaml

from sim.analysis.evaluate import DEFAULT_SCENARIO, OUTCOMES, evaluate
from sim.results.parameter_sets import uncertainty_mode
from sim.scenario.errors import InputError
from sim.scenario.loading import dotted_paths, resolve
from sim.scenario.shipped import data_file


def uncertainties(scenario_file: Any = DEFAULT_SCENARIO) -> dict[str, dict[str, Any]]:
    """The plausible ranges of the parameters the scenario has (a policy of an organisation kind
    it lacks is left out): key path -> {"low", "high", "kind" (real or integer), "source",
    "default" (the scenario's value)}."""
    ranges = yaml.safe_load(data_file("uncertainties.yaml").read_text(encoding="utf-8"))["parameters"]
    values = dotted_paths(resolve(scenario_file).scenario.model_dump(mode="json"))
    return {key: {**entry, "default": values[key]} for key, entry in ranges.items() if key in values}


def ema_model(scenario_file: Any = DEFAULT_SCENARIO, *, parameters: list[str] | None = None,
              outcomes: list[str] | None = None, overrides: dict[str, Any] | None = None,
              seed: int | None = None, name: str = "gpsim", uncertainty: str | None = None):
    """An EMA Workbench Model of one replication of the scenario (needs ema_workbench).

    Args:
        scenario_file: the base scenario (a shipped scenario's name, a file, a dict).
        parameters: key paths of uncertainties() to vary (default: all of them).
        outcomes: names from sim.outcomes() (default: all of them).
        overrides: fields fixed for every experiment, e.g. {"population.scale": 0.1}.
        seed: root seed for every experiment (default: the scenario's: common random numbers).
        name: the model's name in the workbench.
        uncertainty: 'parameters' or 'stochastic', as sim.evaluate takes it (default: its rule);
            under 'parameters' a varied calibrated parameter keeps the experiment's value.

    Parameters are named by key path with `__` for each dot (behaviour__peer_weight).
    """
    try:
        from ema_workbench import (
            Constant,
            IntegerParameter,
            Model,
            RealParameter,
            ScalarOutcome,
        )
    except ImportError:
        raise ImportError("sim.ema_model needs the EMA Workbench: pip install 'ema_workbench>=2.5,<2.6'") from None
    ranges = uncertainties(resolve(scenario_file, overrides or {}))
    chosen = list(ranges) if parameters is None else list(parameters)
    for key in chosen:
        if key not in ranges:
            raise InputError("parameters", key, f"expected one of the uncertainties ({', '.join(ranges)}); found '{key}'")
    names = list(OUTCOMES) if outcomes is None else list(outcomes)
    model = Model(name, function=evaluate)
    model.uncertainties = [(IntegerParameter if ranges[key]["kind"] == "integer" else RealParameter)(
        key.replace(".", "__"), ranges[key]["low"], ranges[key]["high"]) for key in chosen]
    model.outcomes = [ScalarOutcome(outcome) for outcome in names]
    fixed = {"scenario_file": scenario_file, "outcomes": names, "overrides": dict(overrides or {})}
    if seed is not None:
        fixed["seed"] = int(seed)
    if uncertainty is not None:
        fixed["uncertainty"] = uncertainty_mode(uncertainty, resolve(scenario_file).scenario)
    model.constants = [Constant(key, value) for key, value in fixed.items()]
    return model
