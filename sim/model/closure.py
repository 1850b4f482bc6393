"""Failure and consolidation: practices merge with a neighbour or hand back their contract.

Ordinary practices merge now and then (small ones and those in mature organisations more
readily). A practice in distress (too little GP time, or reserves overdrawn) for three months
or more ends: it merges with a willing neighbour or, if none, hands back its contract and its
patients are dispersed to the nearest practices with room, losing their usual GP.
"""
from __future__ import annotations

import numpy as np

from sim.model import kernels
from sim.model.continuity import take_in_patients
from sim.model.networks import Benefits
from sim.model.workforce import gp_fte, monthly_hazard
from sim.state import CLOSED, MERGED, NO_NETWORK

DISTRESS_MONTHS = 3


def update_distress(model) -> None:
    """Count consecutive months each practice has been short of GPs or overdrawn."""
    practices, closure, money = model.practices, model.params.closure, model.params.money
    short = gp_fte(model) + practices.locum_fte < closure.min_viable_gp_fte
    overdrawn = practices.reserves < -money.deficit_distress_months * practices.costs
    distressed = practices.open & (short | overdrawn)
    practices.distress_months = np.where(distressed, practices.distress_months + 1, 0)


def close_and_merge(model, benefits: Benefits) -> None:
    """Draw this month's mergers and closures and carry them out."""
    practices, closure = model.practices, model.params.closure
    update_distress(model)
    ratio = (np.where(practices.list_size < closure.small_list_size, closure.small_merger_ratio, 1.0)
             * np.where(benefits.mature_member, closure.network_merger_ratio, 1.0))
    distressed = practices.distress_months >= DISTRESS_MONTHS
    hazard = monthly_hazard(closure.merger_rate * ratio) + distressed * closure.distress_rate
    draw = model.streams.uniform("closure", model.month)
    choice = model.streams.uniform("closure_route", model.month)
    for practice in np.flatnonzero(practices.open & (draw < hazard)):
        partner = _merger_partner(model, int(practice))
        if partner is not None and (not distressed[practice] or choice[practice] < 0.5):
            merge(model, int(practice), partner)
        elif distressed[practice]:
            close(model, int(practice))


def _nearest_open(model, practice: int, within_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Open practices near a practice, nearest first (from the neighbour index built at set-up)."""
    practices = model.practices
    index, distance = model.nearest[practice], model.nearest_km[practice]
    keep = practices.open[index] & (distance <= within_km)
    if not keep.any() and index.size < practices.size - 1:
        distance, index = model.tree.query([practices.x_km[practice], practices.y_km[practice]], k=practices.size)
        keep = practices.open[index] & (index != practice) & (distance <= within_km)
    return index[keep], distance[keep]


def _merger_partner(model, practice: int) -> int | None:
    """The nearest open, undistressed neighbour, preferring one that shares an organisation."""
    practices, within_km = model.practices, model.params.closure.merger_distance_km
    searched = practices.open, practices.distress_months, practices.membership, practices.size
    partner = kernels.merger_partner(practice, model.nearest[practice], model.nearest_km[practice], within_km, *searched)
    if partner == kernels.SEARCH_ALL:  # none of the nearest practices will do: search them all, nearest first
        distance, index = model.tree.query([practices.x_km[practice], practices.y_km[practice]], k=practices.size)
        others = index != practice
        partner = kernels.merger_partner(practice, index[others], distance[others], within_km, *searched)
    return None if partner < 0 else int(partner)


def _end(model, practice: int, status: int) -> None:
    practices = model.practices
    practices.open[practice] = False
    practices.status[practice] = status
    practices.ended_month[practice] = model.month
    practices.membership[:, practice] = NO_NETWORK
    for attribute in ("list_size", "locum_fte", "roles_fte", "pooled_cover_fte", "nurse_fte",
                      "direct_care_fte", "admin_fte", "reserves", "income", "costs"):
        getattr(practices, attribute)[practice] = 0.0
    practices.partners[practice] = practices.salaried[practice] = 0
    model.record_ending(practice, status)


def merge(model, practice: int, partner: int) -> None:
    """Merge a practice into a partner: its list, staff and reserves move; the site stays."""
    practices = model.practices
    moved = practices.list_size[practice]
    take_in_patients(model, partner, moved, practices.continuity[practice])
    practices.list_size[partner] += moved
    for attribute in ("partners", "salaried", "nurse_fte", "direct_care_fte", "admin_fte", "reserves"):
        getattr(practices, attribute)[partner] += getattr(practices, attribute)[practice]
    _end(model, practice, MERGED)


def close(model, practice: int) -> None:
    """Hand back a contract: patients are dispersed to the nearest practices with room."""
    practices, params = model.practices, model.params
    patients = practices.list_size[practice]
    receivers, _ = _nearest_open(model, practice, np.inf)
    receivers = receivers[: params.closure.receiving_practices]
    model.ledger["written_off"] += practices.reserves[practice]
    practices.add_leavers(model.month, practice, practices.partners[practice] + practices.salaried[practice])
    if receivers.size:
        work = params.workforce
        in_post = practices.gp_fte(work.partner_fte_per_head, work.salaried_fte_per_head, receivers)
        room = np.maximum(in_post * 1000.0 / work.gp_fte_per_1000 - practices.list_size[receivers], 0.0) + 100.0
        shares = patients * room / room.sum()
        for receiver, share in zip(receivers, shares):
            take_in_patients(model, int(receiver), share, params.continuity.moved_patient_continuity)
            practices.list_size[receiver] += share
    # With no practice left to take them, the patients are displaced and no longer registered.
    model.record_displaced(patients, patients)
    _end(model, practice, CLOSED)
