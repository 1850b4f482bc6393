"""The starting practices for a scenario, from the source its population section names."""
from __future__ import annotations

import numpy as np

from sim.population.nhs_files import population_from_files
from sim.population.synthetic import synthetic_england
from sim.scenario.schema import Scenario
from sim.state import PracticeState


def build(scenario: Scenario, rng: np.random.Generator) -> PracticeState:
    """The starting practices for a scenario, from the source its population section names."""
    if scenario.population.source == "synthetic":
        return synthetic_england(scenario, rng)
    if scenario.population.source == "nhs_files":
        return population_from_files(scenario, rng)
    raise ValueError(f"unknown population source {scenario.population.source!r}")
