"""Entry: new practices where demand is unmet.

Two routes, both commissioners' (they must keep every registered patient with a practice):
- A contract handed back where no other practice can take the patients passes to a new provider,
  who takes over the list, its salaried GPs and staff (the outgoing partners leave, their
  overdraft is written off).
- A new practice opens at a vacant site (one whose practice closed or merged) where the nearest
  open practices' lists have grown large: it takes patients from them, in proportion to their
  lists, and starts with its contract holder as its one partner; recruitment fills the rest.
Moving patients never changes how many are registered.
"""
from __future__ import annotations

import numpy as np

from sim.model import rates
from sim.model.in_force import InForce
from sim.model.national import NationalState
from sim.model.streams import Streams
from sim.state import CLOSED, OPEN, Geography, PracticeState


def take_over(practices: PracticeState, national: NationalState, practice: int, month: int) -> None:
    """A new provider takes over a handed-back contract and its whole list."""
    practices.add_leavers(month, practice, int(practices.partners[practice]))
    national.ledger["written_off"] += practices.reserves[practice]
    practices.partners[practice] = 1
    practices.reserves[practice] = 0.0
    practices.distress_months[practice] = 0
    national.record_ending(month, CLOSED)  # counted as a contract handed back and a new one let
    national.record_opening(month)


def nearest_open(practices: PracticeState, geography: Geography, sites: np.ndarray, count: int) -> np.ndarray:
    """(sites, count) the nearest open practices to each site, nearest first; -1 where fewer are open
    among the site's neighbours."""
    neighbours = geography.nearest[sites]
    is_open = practices.open[neighbours]
    rank = np.cumsum(is_open, axis=1)
    chosen = np.full((sites.size, count), -1, dtype=np.int64)
    for position in range(count):
        column = np.argmax(is_open & (rank == position + 1), axis=1)
        found = (is_open & (rank == position + 1)).any(axis=1)
        chosen[found, position] = neighbours[found, column[found]]
    return chosen


def open_practices(practices: PracticeState, geography: Geography, national: NationalState, in_force: InForce,
                   streams: Streams, month: int) -> None:
    """Open new practices at vacant sites whose nearest open practices' mean list is above the
    underserved list size, each at the yearly entry rate."""
    entry = in_force.entry
    vacant = np.flatnonzero(~practices.open)
    if entry.rate <= 0 or vacant.size == 0 or geography.nearest.shape[1] == 0:
        return
    draw = streams.uniform_of("entry", month, vacant)
    candidates = vacant[draw < rates.hazard(entry.rate)]
    for site in candidates.tolist():
        donors = nearest_open(practices, geography, np.array([site]), entry.neighbours)[0]
        donors = donors[donors >= 0]
        if donors.size == 0 or practices.list_size[donors].mean() <= entry.underserved_list_size:
            continue
        _open(practices, national, in_force, site, donors, month)


def _open(practices: PracticeState, national: NationalState, in_force: InForce, site: int, donors: np.ndarray,
          month: int) -> None:
    entry, work = in_force.entry, in_force.workforce
    donor_lists = practices.list_size[donors]
    moved = donor_lists * min(entry.new_list_size / donor_lists.sum(), entry.max_donor_share)
    practices.list_size[donors] -= moved
    practices.open[site] = True
    practices.status[site] = OPEN
    practices.ended_month[site] = -1
    practices.continuity[site] = in_force.continuity.moved_patient_continuity
    practices.list_size[site] = moved.sum()
    practices.partners[site], practices.salaried[site] = 1, 0
    practices.nurse_fte[site] = moved.sum() * work.nurse_fte_per_1000 / 1000.0
    practices.direct_care_fte[site] = moved.sum() * work.direct_care_fte_per_1000 / 1000.0
    practices.admin_fte[site] = moved.sum() * work.admin_fte_per_1000 / 1000.0
    practices.reserves[site] = 0.0
    practices.distress_months[site] = 0
    practices.workload[site] = 1.0
    practices.leavers_12m[site] -= practices.leavers_by_month[:, site].sum()
    practices.leavers_by_month[:, site] = 0
    practices.movers_12m[site] -= practices.movers_by_month[:, site].sum()
    practices.movers_by_month[:, site] = 0
    practices.heads_12m[site] += 12 - practices.heads_by_month[:, site].sum()
    practices.heads_by_month[:, site] = 1
    national.record_opening(month)
