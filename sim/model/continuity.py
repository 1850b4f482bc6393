"""Continuity of care: the share of GP consultations with the patient's usual GP (SLICC-like),
and what a patient survey would report of it.

Each practice's continuity drifts towards what its conditions allow (GP turnover, locum use,
GPs' working time, cross-site working, size) and is diluted when patients arrive from a closed
or merged practice.
"""
from __future__ import annotations

import numpy as np
from scipy.special import betainc

from sim.model.in_force import InForce
from sim.model.networks import Benefits
from sim.model.workforce import gp_fte
from sim.state import PracticeState

REFERENCE_LIST_SIZE = 6000.0  # size at which the size effect is zero


def attainable(practices: PracticeState, in_force: InForce, benefits: Benefits, month: int) -> np.ndarray:
    """Continuity each practice's current conditions allow, 0-1."""
    params = in_force.continuity
    gps = gp_fte(practices, in_force)
    locum_share = np.divide(practices.locum_fte, gps + practices.locum_fte,
                            out=np.zeros(practices.size), where=(gps + practices.locum_fte) > 0)
    doublings = np.log2(np.maximum(practices.list_size, 1.0) / REFERENCE_LIST_SIZE).clip(min=0.0)
    # A patient can see their usual GP only on the days that GP works.
    part_time = working_time_factor(practices, in_force) ** params.part_time_effect
    return (params.ceiling * part_time * np.exp(-params.turnover_effect * practices.turnover_12m(month + 1, moves=True))
            * np.clip(1.0 - params.locum_effect * locum_share, 0.0, 1.0)
            * np.clip(1.0 - params.size_effect * doublings, 0.0, 1.0)
            * (1.0 - benefits.cross_site_cost))


def working_time_factor(practices: PracticeState, in_force: InForce) -> np.ndarray:
    """Each practice's GPs' working time relative to before the change in working time, the
    mean over its partners and salaried GPs (by head)."""
    heads = practices.partners + practices.salaried
    mixed = (practices.partners * in_force.partner_working_time_factor
             + practices.salaried * in_force.salaried_working_time_factor)
    return np.divide(mixed, heads, out=np.full(practices.size, in_force.salaried_working_time_factor), where=heads > 0)


def update(practices: PracticeState, in_force: InForce, benefits: Benefits, month: int) -> None:
    """Move each open practice's continuity a step towards what its conditions allow."""
    step = (attainable(practices, in_force, benefits, month) - practices.continuity) / in_force.continuity.adjustment_months
    practices.continuity = np.clip(practices.continuity + step * practices.open, 0.0, 1.0)


def survey_share(continuity: np.ndarray, in_force: InForce) -> np.ndarray:
    """What the GP Patient Survey would report from a practice's consultation continuity: the
    share of its patients who see their preferred GP 'always or almost always' or 'a lot of the
    time'. Patients' own shares of consultations with the usual GP are taken to vary around the
    practice's share (a beta distribution with mean `continuity`), and a patient answers yes when
    theirs is at least `survey_threshold`."""
    params = in_force.continuity
    mean = np.clip(continuity, 1e-6, 1.0 - 1e-6)
    return 1.0 - betainc(mean * params.survey_concentration, (1.0 - mean) * params.survey_concentration,
                         params.survey_threshold)


def take_in_patients(practices: PracticeState, practice: int, patients: float, continuity_of_moved: float) -> None:
    """Dilute a practice's continuity with patients arriving from elsewhere."""
    before = practices.list_size[practice]
    total = before + patients
    if total > 0:
        practices.continuity[practice] = (practices.continuity[practice] * before + continuity_of_moved * patients) / total
