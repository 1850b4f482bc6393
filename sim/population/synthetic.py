"""A synthetic England: practices with places, areas, lists, staff, money and attitudes.

Built from the scenario's population, workforce and money sections alone, with no download.
Areas (commissioner areas) sit on a jittered grid and are grouped into regions; each area has a
few towns where most practices cluster, with rural practices spread around it.

The helpers it uses are shared with the population built from NHS data files (places.py).
"""
from __future__ import annotations

import numpy as np

from sim.population.places import (
    area_centres,
    deprivation_and_need,
    gp_heads,
    place,
    practice_state,
    reserves,
    towns,
)
from sim.scenario.schema import Scenario, month_number
from sim.state import PracticeState


def synthetic_england(scenario: Scenario, rng: np.random.Generator) -> PracticeState:
    """Draw the starting practices for a scenario.

    Args:
        scenario: the scenario (population, workforce and money sections are used).
        rng: the population's own random generator.

    Returns:
        PracticeState with every practice open.
    """
    pop, work = scenario.population, scenario.workforce
    n = pop.practices
    centres, area_region = area_centres(rng, pop.commissioner_areas, pop.side_km, pop.regions)
    area_weight = rng.lognormal(0.0, 0.5, pop.commissioner_areas)
    area = rng.choice(pop.commissioner_areas, size=n, p=area_weight / area_weight.sum()).astype(np.int32)
    town_xy = towns(rng, pop, centres)
    rural = rng.random(n) < pop.rural_share
    xy = place(rng, pop, centres, town_xy, area, rural)

    spread = rng.standard_normal(n)
    sigma = np.where(spread < 0, pop.list_size_sigma_small, pop.list_size_sigma_large)
    list_size = np.exp(spread * sigma) * np.where(rural, 0.8, 1.05)
    list_size = np.clip(list_size * pop.mean_list_size / list_size.mean(), pop.min_list_size, pop.max_list_size)

    deprivation, need_weight, funding_weight = deprivation_and_need(rng, pop, pop.commissioner_areas, area, rural)
    # Practices start with the GP time their income pays for, which follows the funding formula, not need.
    gp_fte = list_size * funding_weight * work.gp_fte_per_1000 / 1000 * rng.uniform(0.85, 1.12, n)
    partner_share = np.clip(rng.normal(work.partner_share, 0.15, n), 0.2, 1.0)
    partners, salaried = gp_heads(gp_fte, partner_share, work, month_number(scenario.start))

    def staff(per_1000: float) -> np.ndarray:
        return list_size * per_1000 / 1000 * rng.uniform(0.85, 1.15, n)

    nurse, direct_care, admin = staff(work.nurse_fte_per_1000), staff(work.direct_care_fte_per_1000), staff(work.admin_fte_per_1000)
    return practice_state(
        rng, scenario, xy, area=area, region=area_region[area], rural=rural, deprivation=deprivation,
        need_weight=need_weight, funding_weight=funding_weight, list_size=list_size, partners=partners, salaried=salaried,
        nurse_fte=nurse,
        direct_care_fte=direct_care, admin_fte=admin,
        reserves=reserves(rng, scenario, list_size, partners, salaried, nurse, direct_care, admin),
    )
