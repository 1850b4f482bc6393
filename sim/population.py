"""A synthetic England: practices with places, areas, lists, staff, money and attitudes.

Built from the scenario's population, workforce and money sections alone, with no download.
Areas (commissioner areas) sit on a jittered grid and are grouped into regions; each area has a
few towns where most practices cluster, with rural practices spread around it.
"""
from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from .schema import Scenario
from .state import PracticeState


def _areas(rng: np.random.Generator, count: int, side_km: float, regions: int) -> tuple[np.ndarray, np.ndarray]:
    """Area centres on a jittered grid over the square, and each area's region."""
    per_side = int(np.ceil(np.sqrt(count)))
    cells = rng.permutation(per_side * per_side)[:count]
    cell_km = side_km / per_side
    centres = np.column_stack([(cells % per_side + 0.5), (cells // per_side + 0.5)]) * cell_km
    centres += rng.uniform(-0.3, 0.3, centres.shape) * cell_km
    # Regions: contiguous strips of areas ordered north to south, then west to east.
    strips = max(1, int(round(np.sqrt(regions))))
    strip = np.minimum((centres[:, 1] / side_km * strips).astype(int), strips - 1)
    order = np.lexsort((centres[:, 0], strip))
    region = np.empty(count, dtype=np.int32)
    region[order] = np.arange(count) * regions // count
    return centres, region


def synthetic_england(scenario: Scenario, rng: np.random.Generator) -> PracticeState:
    """Draw the starting practices for a scenario.

    Args:
        scenario: the scenario (population, workforce and money sections are used).
        rng: the population's own random generator.

    Returns:
        PracticeState with every practice open.
    """
    pop, work, money = scenario.population, scenario.workforce, scenario.money
    n = pop.practices
    centres, area_region = _areas(rng, pop.commissioner_areas, pop.side_km, pop.regions)
    area_weight = rng.lognormal(0.0, 0.5, pop.commissioner_areas)
    area = rng.choice(pop.commissioner_areas, size=n, p=area_weight / area_weight.sum()).astype(np.int32)
    towns = centres[:, None, :] + rng.normal(0.0, 6.0, (pop.commissioner_areas, 3, 2))
    rural = rng.random(n) < pop.rural_share
    town_of = rng.choice(3, size=n, p=[0.6, 0.25, 0.15])
    urban_xy = towns[area, town_of] + rng.normal(0.0, pop.urban_spread_km, (n, 2))
    rural_xy = centres[area] + rng.normal(0.0, pop.rural_spread_km, (n, 2))
    xy = np.clip(np.where(rural[:, None], rural_xy, urban_xy), 0.0, pop.side_km)

    mu = np.log(pop.mean_list_size) - pop.list_size_sigma ** 2 / 2
    list_size = rng.lognormal(mu, pop.list_size_sigma, n) * np.where(rural, 0.8, 1.05)
    list_size = np.clip(list_size * pop.mean_list_size / list_size.mean(), pop.min_list_size, pop.max_list_size)

    area_deprivation = rng.beta(2.0, 2.5, pop.commissioner_areas)
    deprivation = np.clip(area_deprivation[area] + rng.normal(0.0, 0.15, n) - 0.12 * rural, 0.0, 1.0)
    need_weight = 1.0 + pop.need_weight_deprivation * (deprivation - deprivation.mean())

    gp_fte = list_size * need_weight * work.gp_fte_per_1000 / 1000 * rng.uniform(0.85, 1.12, n)
    partner_share = np.clip(rng.normal(work.partner_share, 0.15, n), 0.2, 1.0)
    mean_fte = partner_share * work.partner_fte_per_head + (1 - partner_share) * work.salaried_fte_per_head
    heads = np.maximum(1, np.round(gp_fte / mean_fte)).astype(np.int64)
    partners = np.clip(np.round(heads * partner_share), 1, heads).astype(np.int64)
    salaried = heads - partners

    def staff(per_1000: float) -> np.ndarray:
        return list_size * per_1000 / 1000 * rng.uniform(0.85, 1.15, n)

    nurse, direct_care, admin = staff(work.nurse_fte_per_1000), staff(work.direct_care_fte_per_1000), staff(work.admin_fte_per_1000)
    yearly_costs = (partners * work.partner_fte_per_head * money.partner_drawings_per_fte
                    + salaried * work.salaried_fte_per_head * money.salaried_gp_cost_per_fte
                    + nurse * money.nurse_cost_per_fte + direct_care * money.direct_care_cost_per_fte
                    + admin * money.admin_cost_per_fte + list_size * money.premises_per_patient + money.fixed_costs)
    reserves = yearly_costs / 12 * money.initial_reserve_months * rng.lognormal(-0.125, 0.5, n)

    continuity = np.clip(scenario.continuity.initial + rng.normal(0.0, 0.06, n), 0.05, 0.95)
    tree = cKDTree(xy)
    k = min(scenario.behaviour.neighbours, n - 1) if n > 1 else 0
    if k > 0:
        distance, index = tree.query(xy, k=max(k, 3) + 1)
        neighbours = index[:, 1:k + 1].astype(np.int32)
        isolation_km = distance[:, min(3, n - 1)]
    else:
        neighbours, isolation_km = np.zeros((n, 0), dtype=np.int32), np.full(n, pop.side_km)
    return PracticeState(
        x_km=xy[:, 0], y_km=xy[:, 1], area=area, region=area_region[area], rural=rural,
        deprivation=deprivation, need_weight=need_weight, list_size=list_size,
        partners=partners, salaried=salaried, nurse_fte=nurse, direct_care_fte=direct_care, admin_fte=admin,
        reserves=reserves, continuity=continuity,
        independence=rng.beta(2.0, 3.0, n), trust=rng.beta(3.0, 2.0, n),
        neighbours=neighbours, isolation_km=isolation_km, n_kinds=max(1, len(scenario.organisations)),
    )


def build(scenario: Scenario, rng: np.random.Generator) -> PracticeState:
    """The starting practices for a scenario, from the source its population section names."""
    if scenario.population.source == "synthetic":
        return synthetic_england(scenario, rng)
    raise ValueError(f"unknown population source {scenario.population.source!r}")
