"""Failure and consolidation: practices merge with a neighbour or hand back their contract.

Ordinary practices merge now and then (small ones and those in mature organisations more
readily); the larger list's contract continues. A practice in distress (understaffed, reserves
overdrawn or partners paid too little) for three months or more ends: it merges with a willing
neighbour or, if none, hands back its contract: its patients are dispersed to the nearest
practices with room, losing their usual GP, its salaried GPs take posts at those practices and
its partners leave general practice. Where no other practice is open to take them, a
new provider takes the contract over (entry.py): a registered patient is never left without a
practice. Where an integrated provider covering the practice steps in (providers.py), it takes
the practice over instead: nothing is handed back.
"""
from __future__ import annotations

import numpy as np

from sim.model import kernels, providers, rates
from sim.model.continuity import take_in_patients
from sim.model.demand import required_gp_fte
from sim.model.entry import take_over
from sim.model.in_force import InForce
from sim.model.national import NationalState
from sim.model.networks import Benefits
from sim.model.streams import Streams
from sim.model.workforce import gp_fte
from sim.state import CLOSED, MERGED, NO_NETWORK, Geography, PracticeState

DISTRESS_MONTHS = 3


def update_distress(practices: PracticeState, national: NationalState, in_force: InForce) -> None:
    """Count consecutive months each practice has been understaffed (too little GP time for its
    list, or almost none at all), overdrawn, or unviable (paying its partners too little)."""
    closure, money = in_force.closure, in_force.money
    available = gp_fte(practices, in_force) + practices.locum_fte + practices.pooled_cover_fte
    needed = required_gp_fte(practices, national, in_force)
    short = (available < closure.min_viable_gp_fte) | (available < closure.understaffed_share * needed)
    overdrawn = practices.reserves < -money.deficit_distress_months * practices.costs
    unviable = practices.partner_earnings < closure.unviable_partner_earnings
    distressed = practices.open & (short | overdrawn | unviable)
    practices.distress_months = np.where(distressed, practices.distress_months + 1, 0)


def close_and_merge(practices: PracticeState, geography: Geography, national: NationalState, in_force: InForce,
                    benefits: Benefits, streams: Streams, month: int) -> None:
    """Draw this month's mergers and closures and carry them out."""
    closure = in_force.closure
    update_distress(practices, national, in_force)
    ratio = (np.where(practices.list_size < closure.small_list_size, closure.small_merger_ratio, 1.0)
             * np.where(benefits.mature_member, closure.network_merger_ratio, 1.0))
    distressed = practices.distress_months >= DISTRESS_MONTHS
    hazard = rates.hazard(closure.merger_rate * ratio) + distressed * closure.distress_rate
    draw = streams.uniform("closure", month)
    choice = streams.uniform("closure_route", month)
    for practice in np.flatnonzero(practices.open & (draw < hazard)):
        if not practices.open[practice]:  # absorbed this month by a larger practice drawn before it
            continue
        partner = _merger_partner(practices, geography, in_force, int(practice))
        if partner is not None and (not distressed[practice] or choice[practice] < closure.distressed_merger_share):
            absorbed, continuing = sorted((int(practice), partner), key=lambda slot: practices.list_size[slot])
            merge(practices, national, absorbed, continuing, month)
        elif distressed[practice] and not providers.step_in(practices, national, in_force, streams, int(practice), month):
            close(practices, geography, national, in_force, int(practice), month)


def _nearest_open(practices: PracticeState, geography: Geography, practice: int,
                  within_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Open practices near a practice, nearest first (from the neighbour index built at set-up)."""
    index, distance = geography.nearest[practice], geography.nearest_km[practice]
    keep = practices.open[index] & (distance <= within_km)
    if not keep.any() and index.size < practices.size - 1:
        distance, index = geography.tree.query([practices.x_km[practice], practices.y_km[practice]], k=practices.size)
        keep = practices.open[index] & (index != practice) & (distance <= within_km)
    return index[keep], distance[keep]


def _merger_partner(practices: PracticeState, geography: Geography, in_force: InForce, practice: int) -> int | None:
    """The nearest open, undistressed neighbour, preferring one that shares an organisation."""
    within_km = in_force.closure.merger_distance_km
    searched = practices.open, practices.distress_months, practices.membership, practices.size
    partner = kernels.merger_partner(practice, geography.nearest[practice], geography.nearest_km[practice], within_km,
                                     *searched)
    if partner == kernels.SEARCH_ALL:  # none of the nearest practices will do: search them all, nearest first
        distance, index = geography.tree.query([practices.x_km[practice], practices.y_km[practice]], k=practices.size)
        others = index != practice
        partner = kernels.merger_partner(practice, index[others], distance[others], within_km, *searched)
    return None if partner < 0 else int(partner)


def _end(practices: PracticeState, national: NationalState, practice: int, status: int, month: int) -> None:
    practices.open[practice] = False
    practices.status[practice] = status
    practices.ended_month[practice] = month
    practices.membership[:, practice] = NO_NETWORK
    for attribute in ("list_size", "locum_fte", "roles_fte", "roles_gp_time_fte", "roles_cost_gbp", "pooled_cover_fte", "nurse_fte",
                      "direct_care_fte", "admin_fte", "reserves", "income", "costs"):
        getattr(practices, attribute)[practice] = 0.0
    practices.partners[practice] = practices.salaried[practice] = 0
    national.record_ending(month, status)


def merge(practices: PracticeState, national: NationalState, practice: int, partner: int, month: int) -> None:
    """Merge a practice into a partner: its list, staff and reserves move; the site stays. The
    caller passes the smaller of the two as `practice`: the larger list's contract continues,
    as when practices merge in England, so the practice counted as lost is the smaller one."""
    moved = practices.list_size[practice]
    take_in_patients(practices, partner, moved, practices.continuity[practice])
    practices.list_size[partner] += moved
    for attribute in ("partners", "salaried", "nurse_fte", "direct_care_fte", "admin_fte", "reserves"):
        getattr(practices, attribute)[partner] += getattr(practices, attribute)[practice]
    _end(practices, national, practice, MERGED, month)


def close(practices: PracticeState, geography: Geography, national: NationalState, in_force: InForce, practice: int,
          month: int) -> None:
    """Hand back a contract: patients are dispersed to the nearest practices with room."""
    patients = practices.list_size[practice]
    receivers, _ = _nearest_open(practices, geography, practice, np.inf)
    receivers = receivers[: in_force.closure.receiving_practices]
    if not receivers.size:  # nowhere for the patients to go: the commissioner lets the contract anew
        take_over(practices, national, practice, month)
        return
    national.ledger["written_off"] += practices.reserves[practice]
    # The partners who hand the contract back leave general practice; the salaried GPs take posts
    # at the practices that take the patients, in proportion to the patients each takes.
    salaried = int(practices.salaried[practice])
    practices.add_leavers(month, practice, int(practices.partners[practice]), movers=salaried)
    work = in_force.workforce
    in_post = practices.gp_fte(in_force.partner_fte_per_head, in_force.salaried_fte_per_head, receivers)
    room = (np.maximum(in_post * 1000.0 / work.gp_fte_per_1000 - practices.list_size[receivers], 0.0)
            + in_force.closure.receiving_room_patients)
    shares = patients * room / room.sum()
    practices.salaried[receivers] += _in_proportion(salaried, room / room.sum())
    for receiver, share in zip(receivers, shares):
        take_in_patients(practices, int(receiver), share, in_force.continuity.moved_patient_continuity)
        practices.list_size[receiver] += share
    national.record_displaced(month, patients, patients)
    _end(practices, national, practice, CLOSED, month)


def _in_proportion(total: int, shares: np.ndarray) -> np.ndarray:
    """Whole numbers summing to total, in proportion to shares (largest remainders first)."""
    exact = total * shares
    whole = np.floor(exact).astype(np.int64)
    extra = total - int(whole.sum())
    if extra > 0:
        whole[np.argsort(-(exact - whole), kind="stable")[:extra]] += 1
    return whole
