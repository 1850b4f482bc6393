"""Who gets paid: the size band as a payment rule, and the sizes that follow from it."""
from __future__ import annotations

import numpy as np

from sim.model.in_force import InForce
from sim.scenario.schema import Organisation
from sim.state import NetworkState, PracticeState


def paid_networks(networks: NetworkState, in_force: InForce, kind: int, month: int) -> np.ndarray:
    """Bool over network slots: active networks of this kind that are paid this month."""
    organisation = in_force.organisation(kind)
    result = networks.view("active") & (networks.view("kind") == kind)
    if not in_force.is_open(organisation, month):
        return np.zeros_like(result)
    band = organisation.band
    if band is None:
        return result
    patients = networks.view("patients")
    in_band = (patients >= band.min_patients) & (patients <= band.max_patients)
    # Commissioners' decisions: waive the minimum for a mostly rural network of some size, and
    # agree to pay a network above the maximum that is not far above it.
    rural_waiver = ((patients < band.min_patients) & (patients >= band.rural_floor_share * band.min_patients)
                    & (networks.view("rural_share") > band.rural_waiver_share))
    agreed_above = (patients > band.max_patients) & (patients <= band.max_patients * (1.0 + band.above_max_margin))
    return result & (in_band | rural_waiver | agreed_above)


def paid_members(practices: PracticeState, networks: NetworkState, in_force: InForce, kind: int,
                 month: int) -> np.ndarray:
    """Bool over practice slots: open practices in a paid network of this kind."""
    slot = practices.membership[kind]
    if networks.count == 0:
        return np.zeros(slot.size, dtype=bool)
    paid_network = paid_networks(networks, in_force, kind, month)
    return (slot >= 0) & practices.open & paid_network[np.maximum(slot, 0)]


def capacity(networks: NetworkState, organisation: Organisation, slots: np.ndarray | None = None) -> np.ndarray:
    """Largest list each network of this kind (or just `slots`) takes new members up to
    (patients): see capacity_multiple."""
    target = networks.view("target_patients") if slots is None else networks.target_patients[slots]
    return capacity_multiple(organisation) * target


def capacity_multiple(organisation: Organisation) -> float:
    """How far past its founders' target a network takes new members: not at all where a band
    is paid (founders aimed for a size the band pays, and a practice that joins later finds a
    network with room rather than pushing one out of the band), to twice the target where none is."""
    return 1.0 if organisation.band is not None else 2.0


def smallest_worth_founding(organisation: Organisation) -> float:
    """Below this many patients a would-be founder joins a nearby network instead: the paid
    minimum, or half the natural size where no band is paid."""
    return organisation.band.min_patients if organisation.band is not None else organisation.natural_size_patients / 2
