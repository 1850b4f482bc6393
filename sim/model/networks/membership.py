"""Membership bookkeeping: who is in which network, each network's patients and members kept
current, networks added and ended."""
from __future__ import annotations

import numpy as np

from sim.model import kernels
from sim.state import NetworkState, PracticeState


def add_network(practices: PracticeState, networks: NetworkState, kind: int, lead: int, target_patients: float,
                month: int) -> int:
    """Found a network led by a practice, at its site and in its area; returns its slot."""
    return networks.add(kind=kind, formed=month, lead=lead, area=practices.area[lead],
                        target_patients=target_patients,
                        x_km=practices.x_km[lead], y_km=practices.y_km[lead])


def end_network(networks: NetworkState, slot: int, month: int) -> None:
    """Close a network whose members have all gone."""
    networks.patients[slot], networks.members[slot] = 0.0, 0
    networks.active[slot], networks.ended[slot] = False, month


def update_sizes(practices: PracticeState, networks: NetworkState, month: int) -> None:
    """Recount each network's patients, members and rural share; end empty networks."""
    count = networks.count
    if count == 0:
        return
    patients, members, rural_patients = np.zeros(count), np.zeros(count, dtype=np.int64), np.zeros(count)
    kernels.count_members(practices.membership, practices.open, practices.list_size, practices.rural,
                          patients, members, rural_patients)
    networks.view("patients")[:] = patients
    networks.view("members")[:] = members
    networks.view("rural_share")[:] = np.divide(rural_patients, patients, out=np.zeros(count), where=patients > 0)
    emptied = networks.view("active") & (members == 0)
    networks.view("active")[emptied] = False
    networks.view("ended")[emptied] = month


def set_membership(practices: PracticeState, networks: NetworkState, kind: int, members: np.ndarray,
                   slots: np.ndarray | int) -> None:
    """Move practices to network slots (NO_NETWORK to leave), keeping each network's patients
    and member count current without a full recount."""
    members = np.asarray(members, dtype=np.int64)
    old = practices.membership[kind, members]
    lists = practices.list_size[members]
    leaving = old >= 0
    if leaving.any():
        np.subtract.at(networks.patients, old[leaving], lists[leaving])
        np.subtract.at(networks.members, old[leaving], 1)
    if np.ndim(slots) == 0:
        if slots >= 0:  # one network gains them all (founding, joining one by one)
            networks.patients[slots] += lists.sum()
            networks.members[slots] += members.size
    else:
        slots = np.asarray(slots, dtype=np.int64)
        arriving = slots >= 0
        np.add.at(networks.patients, slots[arriving], lists[arriving])
        np.add.at(networks.members, slots[arriving], 1)
    practices.membership[kind, members] = slots


def join_one(practices: PracticeState, networks: NetworkState, kind: int, practice: int, slot: int) -> None:
    """An outsider joins a network (the scalar case of set_membership)."""
    networks.patients[slot] += practices.list_size[practice]
    networks.members[slot] += 1
    practices.membership[kind, practice] = slot
