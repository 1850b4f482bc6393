"""The choice of membership: a logit utility of money, peers, commissioner push, pressure,
independence and trust, and each practice's yes or no against its own draw."""
from __future__ import annotations

import numpy as np
from scipy.special import expit

from sim.model.in_force import InForce
from sim.model.streams import Streams
from sim.state import Geography, PracticeState


def members_watched(practices: PracticeState, geography: Geography, kind: int) -> np.ndarray:
    """How many of the practices each practice watches are members of this kind (as floats),
    updated from the practices whose membership changed since the kind was last counted."""
    inside = practices.membership[kind] >= 0
    if kind not in geography.watched_members:
        counts = geography.watching @ inside.astype(float)
    else:
        before, counts = geography.watched_members[kind]
        changed = np.flatnonzero(inside != before)
        if changed.size:
            start, stop = geography.watched_by.indptr[changed], geography.watched_by.indptr[changed + 1]
            length = stop - start
            position = np.repeat(start - (np.cumsum(length) - length), length) + np.arange(length.sum())
            change = np.repeat(np.where(inside[changed], 1.0, -1.0), length)
            counts = counts + np.bincount(geography.watched_by.indices[position], weights=change, minlength=inside.size)
    geography.watched_members[kind] = (inside, counts)
    return counts


def money_value(in_force: InForce, kind: int, month: int) -> float:
    """GBP per patient per year a practice expects from membership of this kind: its payments,
    and the reimbursed roles that come with it, less what the membership's duties cost it."""
    pay = in_force.organisation(kind).payments
    return stake(in_force, kind, month) - pay.obligations_per_patient


def stake(in_force: InForce, kind: int, month: int) -> float:
    """GBP per patient per year that membership of a paid organisation of this kind brings: the
    payments, and what the additional roles its entitlement (or the entitlement the contract
    announces, if higher) buys are worth to the median
    network beyond the part of their cost it pays itself (as in roles.planned_spend)."""
    pay = in_force.organisation(kind).payments
    value = pay.participation_per_weighted_patient + pay.core_per_patient + pay.leadership_per_patient + pay.support_per_patient
    roles = in_force.additional_roles
    rate = in_force.reimbursement_rate(month)
    if roles.employer == in_force.kinds[kind] and rate > 0:
        expected = max(roles.entitlement_per_weighted_patient, roles.announced_entitlement_per_weighted_patient)
        value += expected * max(roles.top_up_valuation_median - (1.0 - rate), 0.0)
    return value


def joining_utility(practices: PracticeState, geography: Geography, in_force: InForce, kind: int, month: int,
                    who: np.ndarray | None = None, watched: np.ndarray | None = None) -> np.ndarray:
    """Logit utility of being a member of this kind, for every practice slot (or those in `who`).

    Args:
        practices, geography, in_force, month: the state, its geography, the parameters in force, the month.
        kind: organisation kind index.
        who: practice slots to work out (default all).
        watched: members of the kind among each practice's watched neighbours, if counted already.
    """
    behaviour = in_force.behaviour
    organisation = in_force.organisation(kind)
    who = slice(None) if who is None else who
    peers = practices.neighbours.shape[1]
    watched = members_watched(practices, geography, kind) if watched is None else watched
    peer_share = watched[who] / peers if peers else np.zeros(practices.size)[who]
    pressure = np.clip(practices.workload[who] - 1.0, 0.0, 1.0) + (practices.reserves[who] < 0)
    other_kinds = False
    for other in range(len(in_force.kinds)):
        if other != kind:
            other_kinds = (practices.membership[other][who] >= 0) | other_kinds
    independence = practices.fixed(("independence", behaviour.independence_weight), lambda: behaviour.independence_weight * practices.independence)
    distrust = practices.fixed(("distrust", behaviour.distrust_weight), lambda: behaviour.distrust_weight * (1.0 - practices.trust))
    return (behaviour.intercept + behaviour.money_weight * money_value(in_force, kind, month)
            + behaviour.peer_weight * peer_share + behaviour.commissioner_weight * organisation.commissioner_push
            + behaviour.pressure_weight * pressure + behaviour.prior_collaboration_weight * other_kinds
            - independence[who] - distrust[who])


class Choices:
    """Whether each practice would choose membership of a kind this month: the logit probability
    of its utility, with memberships as the month's decisions began, against its own draw.
    Worked out only for the practices asked about (those reconsidering, and the neighbours of
    would-be founders), which is the same answer as working it out for all.

    Args:
        practices, geography, in_force, streams, month: the state and what the choice reads.
        kind: organisation kind index.
    """

    def __init__(self, practices: PracticeState, geography: Geography, in_force: InForce, streams: Streams,
                 month: int, kind: int):
        self.practices, self.geography, self.in_force, self.streams = practices, geography, in_force, streams
        self.month, self.kind = month, kind
        self.event = f"choose:{in_force.kinds[kind]}"
        self.watched = members_watched(practices, geography, kind)
        self.known = np.zeros(practices.size, dtype=bool)
        self.choose = np.zeros(practices.size, dtype=bool)

    def __call__(self, who: np.ndarray) -> np.ndarray:
        new = who[~self.known[who]]
        if new.size:
            utility = joining_utility(self.practices, self.geography, self.in_force, self.kind, self.month, new, self.watched)
            self.choose[new] = self.streams.uniform_of(self.event, self.month, new) < expit(utility)
            self.known[new] = True
        return self.choose[who]
