"""Where practices are and what they start with, shared by the synthetic England and the
population built from NHS data files: areas, towns and sites, deprivation and need, GP headcounts
from FTE, reserves, attitudes, and neighbours."""
from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from sim.scenario.schema import Scenario, month_number
from sim.state import PracticeState


def area_centres(rng: np.random.Generator, count: int, side_km: float, regions: int) -> tuple[np.ndarray, np.ndarray]:
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


def towns(rng: np.random.Generator, pop, centres: np.ndarray) -> np.ndarray:
    """A few town centres around each area centre, one per share in pop.town_shares:
    (areas, towns, 2) in km."""
    return centres[:, None, :] + rng.normal(0.0, pop.town_spread_km, (centres.shape[0], len(pop.town_shares), 2))


def place(rng: np.random.Generator, pop, centres: np.ndarray, town_xy: np.ndarray, area: np.ndarray,
          away: np.ndarray) -> np.ndarray:
    """Practice sites in km: most around one of their area's towns, those `away` from towns spread
    around the area centre; folded back inside the square of side pop.side_km at its edges
    (folding, unlike clipping, never piles practices onto one spot)."""
    n = area.size
    town_of = rng.choice(len(pop.town_shares), size=n, p=pop.town_shares)
    urban_xy = town_xy[area, town_of] + rng.normal(0.0, pop.urban_spread_km, (n, 2))
    rural_xy = centres[area] + rng.normal(0.0, pop.rural_spread_km, (n, 2))
    xy = np.abs(np.where(away[:, None], rural_xy, urban_xy))
    return np.clip(pop.side_km - np.abs(pop.side_km - xy), 0.0, pop.side_km)


def deprivation_and_need(rng: np.random.Generator, pop, areas: int, area: np.ndarray,
                         rural: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deprivation (0-1) drawn around an area level, lower for rural practices; the need weight
    it gives (GP time per patient) and the funding weight (contract income per patient)."""
    area_deprivation = rng.beta(pop.area_deprivation_alpha, pop.area_deprivation_beta, areas)
    deprivation = np.clip(area_deprivation[area] + rng.normal(0.0, pop.deprivation_sd, area.size)
                          - pop.rural_deprivation_offset * rural, 0.0, 1.0)
    above_mean = deprivation - deprivation.mean()
    return deprivation, 1.0 + pop.need_weight_deprivation * above_mean, 1.0 + pop.funding_weight_deprivation * above_mean


def gp_heads(gp_fte: np.ndarray, partner_share, work, month: int) -> tuple[np.ndarray, np.ndarray]:
    """Partner and salaried GP headcounts that give about this GP FTE (at least one partner) in a
    month (a month_number, for the working time then)."""
    partner_fte, salaried_fte = work.fte_per_head(month)
    mean_fte = partner_share * partner_fte + (1 - partner_share) * salaried_fte
    heads = np.maximum(1, np.round(gp_fte / mean_fte)).astype(np.int64)
    partners = np.clip(np.round(heads * partner_share), 1, heads).astype(np.int64)
    return partners, heads - partners


def reserves(rng: np.random.Generator, scenario: Scenario, list_size: np.ndarray, partners: np.ndarray,
             salaried: np.ndarray, nurse: np.ndarray, direct_care: np.ndarray, admin: np.ndarray) -> np.ndarray:
    """Starting reserves in GBP: the scenario's months of yearly costs times a lognormal spread
    with mean one."""
    money = scenario.money
    partner_fte, salaried_fte = scenario.workforce.fte_per_head(month_number(scenario.start))
    yearly_costs = (partners * partner_fte * money.partner_drawings_per_fte
                    + salaried * salaried_fte * money.salaried_gp_cost_per_fte
                    + nurse * money.nurse_cost_per_fte + direct_care * money.direct_care_cost_per_fte
                    + admin * money.admin_cost_per_fte + list_size * money.premises_per_patient + money.fixed_costs)
    sigma = money.initial_reserve_sigma
    return yearly_costs / 12 * money.initial_reserve_months * rng.lognormal(-sigma ** 2 / 2, sigma, list_size.size)


def nearest_others(tree: cKDTree, xy: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances to and indices of each site's k nearest other sites, nearest first. A site is
    never its own neighbour, even where several practices share one place."""
    n = xy.shape[0]
    distance, index = tree.query(xy, k=min(k + 1, n), workers=-1)  # the same answer, on every core
    distance, index = distance.reshape(n, -1), index.reshape(n, -1)
    others = index != np.arange(n)[:, None]
    order = np.argsort(~others, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(distance, order, 1), np.take_along_axis(index, order, 1)


def neighbours(xy: np.ndarray, wanted: int, far_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Each practice's `wanted` nearest other practices and its distance to the third nearest
    (far_km when there is no other practice)."""
    n = xy.shape[0]
    k = min(wanted, n - 1) if n > 1 else 0
    if k == 0:
        return np.zeros((n, 0), dtype=np.int32), np.full(n, far_km)
    distance, index = nearest_others(cKDTree(xy), xy, max(k, 3))
    return index[:, :k].astype(np.int32), distance[:, min(3, n - 1) - 1]


def practice_state(rng: np.random.Generator, scenario: Scenario, xy: np.ndarray, **fields) -> PracticeState:
    """A PracticeState from sites and drawn or read fields, adding the starting continuity,
    independence and trust (drawn, in that order), neighbours and isolation."""
    n = xy.shape[0]
    pop = scenario.population
    continuity = np.clip(scenario.continuity.initial + rng.normal(0.0, scenario.continuity.initial_sd, n), 0.05, 0.95)
    near, isolation_km = neighbours(xy, scenario.behaviour.neighbours, scenario.population.side_km)
    return PracticeState(
        x_km=xy[:, 0], y_km=xy[:, 1], continuity=continuity,
        independence=rng.beta(pop.independence_alpha, pop.independence_beta, n),
        trust=rng.beta(pop.trust_alpha, pop.trust_beta, n),
        neighbours=near, isolation_km=isolation_km, n_kinds=max(1, len(scenario.organisations)), **fields,
    )
