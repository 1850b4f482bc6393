"""Founding networks: an outsider with no network to join founds one and recruits its nearest
willing neighbours up to the size its founders aim for; and the networks that exist at the start."""
from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from sim.model.in_force import InForce
from sim.model.networks.choice import stake
from sim.model.networks.membership import (
    add_network,
    join_one,
    set_membership,
    update_sizes,
)
from sim.model.networks.payment import smallest_worth_founding
from sim.model.networks.search import AreaNetworks, willing_neighbours
from sim.model.streams import Streams
from sim.state import NO_NETWORK, Geography, NetworkState, PracticeState

_STANDARD_NORMAL = NormalDist()


def target_size(in_force: InForce, kind: int, draw: float, month: int) -> float:
    """Size founders aim for: somewhere in the paid band if the money at stake makes it worth
    aiming for (more likely the more is at stake), else around the kind's natural size.

    The one uniform draw decides both: below the chance of aiming for the band it places the
    target in the band; above it, it places the target on the natural-size distribution."""
    organisation = in_force.organisation(kind)
    aim = band_aim(in_force, kind, month)
    if draw < aim:
        band = organisation.band
        return band.min_patients + draw / aim * (band.max_patients - band.min_patients)
    normal = _STANDARD_NORMAL.inv_cdf(min(max((draw - aim) / (1.0 - aim), 1e-9), 1 - 1e-9))
    return organisation.natural_size_patients * math.exp(organisation.natural_size_sigma * normal)


def band_aim(in_force: InForce, kind: int, month: int) -> float:
    """Chance that founders aim for the paid band: money at stake / (money at stake + the
    money at which half of founders would, behaviour.band_indifference_per_patient)."""
    if in_force.organisation(kind).band is None:
        return 0.0
    at_stake = stake(in_force, kind, month)
    return at_stake / (at_stake + in_force.behaviour.band_indifference_per_patient)


def join_or_found(practices: PracticeState, networks: NetworkState, geography: Geography, in_force: InForce,
                  kind: int, practice: int, accept: np.ndarray, size_draw: float, nearby: AreaNetworks,
                  month: int) -> int:
    """One outsider joins the nearest network with room, or founds one with its willing
    neighbours (or, too small to found, is steered into a network); returns practices placed."""
    organisation = in_force.organisation(kind)
    with_room = nearby.nearest(practice, with_room_for=practices.list_size[practice])
    if with_room != NO_NETWORK:
        join_one(practices, networks, kind, practice, with_room)
        return 1
    target = target_size(in_force, kind, size_draw, month)
    recruits = willing_neighbours(practices, geography, in_force, kind, practice, accept, target)
    founded_size = practices.list_size[practice] + practices.list_size[recruits].sum()
    if founded_size < smallest_worth_founding(organisation):
        # Too small to stand alone (or be paid): the commissioner steers it into a network, one
        # with room if there is one within reach, else the nearest.
        reach = in_force.behaviour.steering_reach
        existing = nearby.nearest(practice, with_room_for=practices.list_size[practice], reach_factor=reach)
        if existing == NO_NETWORK:
            existing = nearby.nearest(practice, with_room_for=None, reach_factor=reach)
        if existing != NO_NETWORK:
            join_one(practices, networks, kind, practice, existing)
            return 1
    slot = add_network(practices, networks, kind=kind, lead=practice, target_patients=target, month=month)
    nearby.add(slot)
    founders = np.concatenate([[practice], recruits]).astype(np.int64)
    # All are outsiders, so nothing leaves another network (set_membership's founding case).
    networks.patients[slot] += practices.list_size[founders].sum()
    networks.members[slot] += founders.size
    practices.membership[kind, founders] = slot
    return founders.size


def form_initial(practices: PracticeState, networks: NetworkState, geography: Geography, in_force: InForce,
                 streams: Streams) -> None:
    """At set-up, create the networks the data name, or found networks of each kind until its
    initial coverage is reached. Networks the data date are as old as their earliest member's
    membership; the rest are given the age of mature organisations."""
    month = 0
    given = practices.starting_networks or {}
    since = practices.starting_network_months or {}
    ages: dict[int, int] = {}
    for kind, organisation in enumerate(in_force.organisations()):
        name = in_force.kinds[kind]
        if name in given:
            ages.update(_networks_from_labels(practices, networks, kind, np.asarray(given[name]), since.get(name), month))
            continue
        if organisation.initial_coverage <= 0:
            continue
        rng = streams.generator(f"initial:{name}")
        wanted = int(round(organisation.initial_coverage * practices.open.sum()))
        accept = np.ones(practices.size, dtype=bool)
        nearby = AreaNetworks(networks, geography, in_force, kind)
        placed = int((practices.membership[kind] >= 0).sum())
        for practice in rng.permutation(practices.size).tolist():
            if practices.membership[kind, practice] >= 0:
                continue
            if placed >= wanted:
                break
            placed += join_or_found(practices, networks, geography, in_force, kind, practice, accept, rng.random(),
                                    nearby, month)
        update_sizes(practices, networks, month)
    networks.view("formed")[:] = -in_force.behaviour.initial_network_age_months
    for slot, age in ages.items():
        networks.formed[slot] = -age


def _networks_from_labels(practices: PracticeState, networks: NetworkState, kind: int, labels: np.ndarray,
                          months_a_member: np.ndarray | None, month: int) -> dict[int, int]:
    """One network per distinct label (>= 0), led by its largest member practice; returns the age
    in months of each network whose members' membership dates are known (the earliest)."""
    ages = {}
    for label in np.unique(labels[labels >= 0]):
        members = np.flatnonzero((labels == label) & practices.open)
        if members.size == 0:
            continue
        lead = int(members[np.argmax(practices.list_size[members])])
        total = float(practices.list_size[members].sum())
        slot = add_network(practices, networks, kind=kind, lead=lead, target_patients=total, month=month)
        set_membership(practices, networks, kind, members, slot)
        if months_a_member is not None and (np.asarray(months_a_member)[members] >= 0).any():
            ages[slot] = int(np.asarray(months_a_member)[members].max())
    update_sizes(practices, networks, month)
    return ages
