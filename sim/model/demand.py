"""Demand: registered lists grow unevenly and each patient needs more GP time each year."""
from __future__ import annotations

import numpy as np


def monthly_rate(yearly: float) -> float:
    """Convert a yearly growth rate or hazard to its monthly equivalent."""
    return (1.0 + yearly) ** (1.0 / 12.0) - 1.0


def grow_lists(model) -> None:
    """Grow every open practice's list, the GP time needed per patient, and (in real terms)
    funding per patient and costs."""
    practices, demand = model.practices, model.params.demand
    noise = model.streams.normal("list_growth", model.month)
    growth = monthly_rate(demand.annual_list_growth) + demand.list_growth_sd / np.sqrt(12.0) * noise
    practices.list_size[practices.open] *= np.maximum(1.0 + growth[practices.open], 0.5)
    model.consultation_index *= 1.0 + monthly_rate(demand.annual_consultation_growth)
    model.funding_index *= 1.0 + monthly_rate(model.params.money.annual_funding_growth)
    model.cost_index *= 1.0 + monthly_rate(model.params.money.annual_cost_growth)


def required_gp_fte(model) -> np.ndarray:
    """GP FTE each practice needs for its list, need and the year's consultation rate."""
    practices, params = model.practices, model.params
    need = (practices.list_size * practices.need_weight * params.workforce.gp_fte_per_1000 / 1000.0
            * model.consultation_index)
    return np.maximum(need - params.demand.staff_substitution * practices.roles_fte, 0.0)
