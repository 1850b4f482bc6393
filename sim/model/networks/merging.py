"""Networks too small to be paid merge, now and then, with the nearest network of their kind."""
from __future__ import annotations

import numpy as np

from sim.model import rates
from sim.model.in_force import InForce
from sim.model.networks.membership import end_network, set_membership
from sim.model.networks.payment import paid_networks
from sim.model.networks.search import AreaNetworks
from sim.model.streams import Streams
from sim.state import NO_NETWORK, Geography, NetworkState, PracticeState


def merge_unpaid_networks(practices: PracticeState, networks: NetworkState, geography: Geography, in_force: InForce,
                          streams: Streams, month: int) -> None:
    """Networks below a paid band's minimum and unpaid merge, at the yearly hazard
    behaviour.network_merge_rate, into the nearest network of their kind (one with room if any)."""
    rate = in_force.behaviour.network_merge_rate
    if networks.count == 0 or rate <= 0:
        return
    monthly = rates.hazard(rate)
    draw = None
    for kind, organisation in enumerate(in_force.organisations()):
        if organisation.band is None or not in_force.is_open(organisation, month):
            continue
        too_small = networks.view("patients") < organisation.band.min_patients
        unpaid = (networks.view("active") & (networks.view("members") > 0) & (networks.view("kind") == kind)
                  & ~paid_networks(networks, in_force, kind, month) & too_small)
        if not unpaid.any():
            continue
        if draw is None:  # the month's draws, one per network slot, made only when needed
            draw = streams.generator("network_merge", month).random(networks.count)
        merging = np.flatnonzero(unpaid & (draw < monthly))
        if merging.size == 0:
            continue
        nearby = AreaNetworks(networks, geography, in_force, kind)
        for slot in merging:
            if not networks.active[slot]:
                continue
            lead = int(networks.lead[slot])
            other = nearby.nearest(lead, with_room_for=networks.patients[slot], excluding=slot)
            if other == NO_NETWORK:
                other = nearby.nearest(lead, with_room_for=None, excluding=slot)
            if other == NO_NETWORK:
                continue
            set_membership(practices, networks, kind, np.flatnonzero(practices.membership[kind] == slot), other)
            end_network(networks, int(slot), month)
