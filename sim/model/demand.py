"""Demand: registered lists grow unevenly and each patient needs more GP time each year."""
from __future__ import annotations

import numpy as np

from sim.model import rates
from sim.model.in_force import InForce
from sim.model.national import NationalState
from sim.model.streams import Streams
from sim.state import PracticeState


def grow_lists(practices: PracticeState, national: NationalState, in_force: InForce, streams: Streams,
               month: int) -> None:
    """Grow every open practice's list, the GP time needed per patient, and (in real terms)
    funding per patient and costs."""
    demand, money = in_force.demand, in_force.money
    noise = streams.normal("list_growth", month)
    growth = rates.growth(demand.annual_list_growth) + rates.spread(demand.list_growth_sd) * noise
    practices.list_size[practices.open] *= np.maximum(1.0 + growth[practices.open], 1.0 - demand.max_monthly_list_fall)
    national.consultation_index *= 1.0 + rates.growth(demand.annual_consultation_growth)
    national.funding_index *= 1.0 + rates.growth(money.annual_funding_growth)
    national.cost_index *= 1.0 + rates.growth(money.annual_cost_growth)


def required_gp_fte(practices: PracticeState, national: NationalState, in_force: InForce) -> np.ndarray:
    """GP FTE each practice needs for its list, need and the year's consultation rate."""
    need = (practices.list_size * practices.need_weight * in_force.workforce.gp_fte_per_1000 / 1000.0
            * national.consultation_index)
    return np.maximum(need - in_force.demand.staff_substitution * practices.roles_fte, 0.0)
