"""Joining and leaving each month: practices that reconsider choose membership; members who
decline leave; outsiders who accept join the nearest network with room, are steered into one,
or found one (founding.py)."""
from __future__ import annotations

import numpy as np

from sim.model.in_force import InForce
from sim.model.networks.choice import Choices
from sim.model.networks.founding import join_or_found
from sim.model.networks.membership import set_membership
from sim.model.networks.payment import capacity, smallest_worth_founding
from sim.model.networks.search import AreaNetworks, nearest_sites
from sim.model.streams import Streams
from sim.state import NO_NETWORK, Geography, NetworkState, PracticeState


def join_leave_and_form(practices: PracticeState, networks: NetworkState, geography: Geography, in_force: InForce,
                        streams: Streams, month: int) -> None:
    """Each kind open this month: practices that reconsider choose membership with the logit
    probability of their utility; members who decline leave, outsiders who accept join the
    nearest network with room or found one with their willing neighbours."""
    behaviour = in_force.behaviour
    for kind, organisation in enumerate(in_force.organisations()):
        if not in_force.is_open(organisation, month) or organisation.provider is not None:
            continue  # integrated providers are procured (providers.py), not joined
        rate = behaviour.decision_rate if organisation.decision_rate is None else organisation.decision_rate
        name = in_force.kinds[kind]
        choices = Choices(practices, geography, in_force, streams, month, kind)
        reconsider = np.flatnonzero(practices.open & (streams.uniform(f"reconsider:{name}", month) < rate))
        choose = choices(reconsider)
        membership = practices.membership[kind]
        member = membership[reconsider] >= 0
        set_membership(practices, networks, kind, reconsider[member & ~choose], NO_NETWORK)
        unplaced = _join_nearest_with_room(practices, networks, in_force, kind, reconsider[~member & choose])
        unplaced = _steer_into_nearest(practices, networks, in_force, kind, unplaced, choices)
        if unplaced.size:
            choices(np.concatenate([geography.area_practices[area] for area in np.unique(practices.area[unplaced])]))
            nearby = AreaNetworks(networks, geography, in_force, kind)
            size_draw = streams.uniform(f"size:{name}", month)
            for practice in unplaced.tolist():
                if membership[practice] < 0:
                    join_or_found(practices, networks, geography, in_force, kind, practice, choices.choose,
                                  size_draw[practice], nearby, month)


def _join_nearest_with_room(practices: PracticeState, networks: NetworkState, in_force: InForce, kind: int,
                            joining: np.ndarray) -> np.ndarray:
    """Place practices in the nearest network of their area, within reach, with room for their
    list (all at once, from the month's opening sizes); returns the practices left unplaced."""
    if joining.size == 0:
        return joining
    room = capacity(networks, in_force.organisation(kind)) - networks.view("patients")
    slots = np.flatnonzero(networks.view("active") & (networks.view("kind") == kind) & (room > 0))
    if slots.size == 0:
        return joining
    distance, candidate = nearest_sites(practices, networks, slots, joining, in_force.behaviour.nearest_networks)
    valid = ((networks.area[candidate] == practices.area[joining][:, None])
             & (distance <= in_force.behaviour.max_network_distance_km)
             & (room[candidate] >= practices.list_size[joining][:, None]))
    placed = valid.any(axis=1)
    chosen = candidate[np.arange(joining.size), valid.argmax(axis=1)]
    # Several practices may pick the same network this month: it admits them in turn (by slot)
    # until one does not fit; the rest go on to the sequential search with up-to-date sizes.
    order = np.lexsort((joining, chosen))
    arriving = np.where(placed, practices.list_size[joining], 0.0)[order]
    group_start = np.r_[True, chosen[order][1:] != chosen[order][:-1]]
    before = np.cumsum(arriving) - arriving
    already = np.maximum.accumulate(np.where(group_start, before, 0.0))
    fits = np.empty(joining.size, dtype=bool)
    fits[order] = (before - already + arriving) <= room[chosen[order]]
    placed &= fits
    set_membership(practices, networks, kind, joining[placed], chosen[placed])
    return joining[~placed]


def _steer_into_nearest(practices: PracticeState, networks: NetworkState, in_force: InForce, kind: int,
                        practices_left: np.ndarray, willing: Choices) -> np.ndarray:
    """Practices whose willing outside neighbours could not make a network worth founding join
    the nearest network of their area instead (all at once); returns those who may found one."""
    slots = np.flatnonzero(networks.view("active") & (networks.view("kind") == kind))
    if practices_left.size == 0 or slots.size == 0:
        return practices_left
    neighbours = practices.neighbours[practices_left]
    outside = practices.open[neighbours] & (practices.membership[kind][neighbours] < 0) & willing(neighbours.ravel()).reshape(neighbours.shape)
    could_gather = practices.list_size[practices_left] + (practices.list_size[neighbours] * outside).sum(axis=1)
    steer = could_gather < smallest_worth_founding(in_force.organisation(kind))
    if not steer.any():
        return practices_left
    chosen = practices_left[steer]
    behaviour = in_force.behaviour
    distance, candidate = nearest_sites(practices, networks, slots, chosen, behaviour.nearest_networks)
    valid = ((networks.area[candidate] == practices.area[chosen][:, None])
             & (distance <= behaviour.max_network_distance_km * behaviour.steering_reach))
    room = capacity(networks, in_force.organisation(kind), candidate) - networks.patients[candidate]
    with_room = valid & (room >= practices.list_size[chosen][:, None])
    # The commissioner steers into the nearest network with room within reach, else the nearest.
    best = np.where(with_room.any(axis=1), with_room.argmax(axis=1), valid.argmax(axis=1))
    placed = valid.any(axis=1)
    set_membership(practices, networks, kind, chosen[placed], candidate[np.arange(chosen.size), best][placed])
    steered = np.zeros(practices_left.size, dtype=bool)
    steered[np.flatnonzero(steer)[placed]] = True
    return practices_left[~steered]
