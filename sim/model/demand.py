"""Demand: the registered population grows, unevenly between practices, and each patient needs more GP
time each year."""
from __future__ import annotations

import numpy as np

from sim.model import rates
from sim.model.in_force import InForce
from sim.model.national import NationalState
from sim.model.streams import Streams
from sim.state import PracticeState


def grow_lists(practices: PracticeState, national: NationalState, in_force: InForce, streams: Streams,
               month: int) -> None:
    """Grow the registered population and the GP time needed per patient. Practices grow
    unevenly, but the unevenness only moves patients between practices: the number registered
    changes by the national growth alone, so no patient is lost or invented."""
    demand = in_force.demand
    noise = streams.normal("list_growth", month)
    national_growth = rates.growth(demand.annual_list_growth)
    growth = national_growth + rates.spread(demand.list_growth_sd) * noise
    lists = practices.list_size[practices.open]
    registered = lists.sum()
    grown = lists * np.maximum(1.0 + growth[practices.open], 1.0 - demand.max_monthly_list_fall)
    if grown.sum() > 0:
        practices.list_size[practices.open] = grown * (registered * (1.0 + national_growth) / grown.sum())
    national.consultation_index *= 1.0 + rates.growth(demand.annual_consultation_growth)


def required_gp_fte(practices: PracticeState, national: NationalState, in_force: InForce) -> np.ndarray:
    """GP FTE each practice needs for its list, need and the year's consultation rate."""
    return _gp_fte_for(practices.need_weight, practices, national, in_force)


def funded_gp_fte(practices: PracticeState, national: NationalState, in_force: InForce) -> np.ndarray:
    """GP posts each practice plans: as many as its need would take, but spread by what the
    contract pays for its list (its funding weight), not by need. The formula pays deprived
    practices little more per patient, so their posts fall short of their need."""
    return _gp_fte_for(practices.funding_weight, practices, national, in_force)


def _gp_fte_for(weight: np.ndarray, practices: PracticeState, national: NationalState, in_force: InForce) -> np.ndarray:
    gp_time = practices.list_size * weight * in_force.workforce.gp_fte_per_1000 / 1000.0 * national.consultation_index
    return np.maximum(gp_time - practices.roles_gp_time_fte, 0.0)


def need_adjusted_list(practices: PracticeState) -> np.ndarray:
    """Registered patients weighted by their need for GP time, scaled so that the open practices'
    total is their registered patients (as need-adjusted populations are published)."""
    weighted = practices.list_size * practices.need_weight * practices.open
    total = weighted.sum()
    return weighted * ((practices.list_size * practices.open).sum() / total if total > 0 else 0.0)
