"""Joining and forming networks, who gets paid, maturity, and what membership brings.

A practice outside an organisation of some kind weighs joining it each month (a logit utility of
money, peers, commissioner push, pressure, independence and trust). When it acts it joins a
nearby network that is still recruiting, or founds one and recruits its nearest willing
neighbours in its commissioner area until the size its founders aim for. The size band is a
payment rule, not a constraint: networks outside it form, and are paid only by waiver.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree
from scipy.special import expit

from sim.model import kernels
from sim.scenario.schema import Organisation
from sim.state import NO_NETWORK

INITIAL_AGE_MONTHS = 36  # organisations that exist at the start are taken to be mature
NEAREST_NETWORKS = 8     # networks a joining practice looks at
_STANDARD_NORMAL = NormalDist()
STEERING_REACH = 2.0     # commissioners place a practice too small to be paid in a network this much farther away


@dataclass
class Benefits:
    """What each practice gets from its memberships this month (arrays over practice slots)."""

    staff_support: np.ndarray      # proportional cut in GP leaving hazard
    leader_burnout: np.ndarray     # extra partner leaving hazard for founders of young networks
    pooled_cover: np.ndarray       # share of missing GP time covered by the network's rota
    back_office_saving: np.ndarray # GBP per patient per year
    cross_site_cost: np.ndarray    # share of continuity lost to cross-site working
    mature_member: np.ndarray      # bool: in a network past its workforce ramp


def is_open(model, organisation: Organisation) -> bool:
    """Whether practices may form and join this kind of organisation this month."""
    return organisation.opens is None or model.month >= model.month_of(organisation.opens)


def watching(neighbours: np.ndarray) -> sparse.csr_matrix:
    """Which practices each practice watches (its nearest neighbours at the start), as a sparse
    0/1 matrix, so counting members among them is one product."""
    practices, peers = neighbours.shape
    return sparse.csr_matrix((np.ones(practices * peers), neighbours.ravel(), np.arange(0, practices * peers + 1, peers)),
                             shape=(practices, practices))


def members_watched(model, kind: int) -> np.ndarray:
    """How many of the practices each practice watches are members of this kind (as floats),
    updated from the practices whose membership changed since the kind was last counted."""
    inside = model.practices.membership[kind] >= 0
    if kind not in model.watched_members:
        counts = model.watching @ inside.astype(float)
    else:
        before, counts = model.watched_members[kind]
        changed = np.flatnonzero(inside != before)
        if changed.size:
            start, stop = model.watched_by.indptr[changed], model.watched_by.indptr[changed + 1]
            length = stop - start
            position = np.repeat(start - (np.cumsum(length) - length), length) + np.arange(length.sum())
            change = np.repeat(np.where(inside[changed], 1.0, -1.0), length)
            counts = counts + np.bincount(model.watched_by.indices[position], weights=change, minlength=inside.size)
    model.watched_members[kind] = (inside, counts)
    return counts


def update_sizes(model) -> None:
    """Recount each network's patients, members and rural share; end empty networks."""
    practices, networks = model.practices, model.networks
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
    networks.view("ended")[emptied] = model.month
    for slot in np.flatnonzero(emptied):
        model.end_network(int(slot))


def set_membership(model, kind: int, members: np.ndarray, slots: np.ndarray | int) -> None:
    """Move practices to network slots (NO_NETWORK to leave), keeping each network's patients
    and member count current without a full recount."""
    practices, networks = model.practices, model.networks
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


def paid(model, kind: int) -> np.ndarray:
    """Bool over network slots: active networks of this kind that are paid this month."""
    networks = model.networks
    organisation = model.organisation(kind)
    result = networks.view("active") & (networks.view("kind") == kind)
    if not is_open(model, organisation):
        return np.zeros_like(result)
    band = organisation.band
    if band is None:
        return result
    patients, draw = networks.view("patients"), networks.view("waiver_draw")
    in_band = (patients >= band.min_patients) & (patients <= band.max_patients)
    rural_waiver = (patients < band.min_patients) & (networks.view("rural_share") > 0.5) & (draw < band.rural_waiver)
    agreed_above = (patients > band.max_patients) & (draw < band.above_max_agreement)
    return result & (in_band | rural_waiver | agreed_above)


def paid_members(model, kind: int) -> np.ndarray:
    """Bool over practice slots: open practices in a paid network of this kind."""
    slot = model.practices.membership[kind]
    if model.networks.count == 0:
        return np.zeros(slot.size, dtype=bool)
    paid_network = paid(model, kind)
    return (slot >= 0) & model.practices.open & paid_network[np.maximum(slot, 0)]


def membership_benefits(model) -> Benefits:
    """Workforce, money and continuity effects of each practice's memberships, with maturity."""
    practices, networks = model.practices, model.networks
    n = practices.size
    staff, burnout, cover, saving, cross_site = (np.zeros(n) for _ in range(5))
    mature = np.zeros(n, dtype=bool)
    for kind, organisation in enumerate(model.organisations()):
        if not (networks.view("active") & (networks.view("kind") == kind)).any():
            continue  # no members, so nothing to add
        kernels.add_benefits(model.month, practices.membership[kind], practices.open, networks.formed, networks.patients,
                             networks.lead, kernels.benefit_terms(organisation), staff, burnout, cover, saving,
                             cross_site, mature)
    return Benefits(np.minimum(staff, 0.9), burnout, cover, saving, np.minimum(cross_site, 0.9), mature)


def money_value(model, kind: int) -> float:
    """GBP per patient per year a practice expects from joining this kind of organisation."""
    organisation = model.organisation(kind)
    pay = organisation.payments
    value = pay.participation_per_weighted_patient + pay.core_per_patient + pay.leadership_per_patient + pay.support_per_patient
    roles = model.params.additional_roles
    if model.roles_active() and roles.employer == model.kinds[kind]:
        value += roles.reimbursement_rate * roles.cost_per_fte * roles.target_fte_per_1000 / 1000
    return value


def joining_utility(model, kind: int, who: np.ndarray | None = None, watched: np.ndarray | None = None) -> np.ndarray:
    """Logit utility of being a member of this kind, for every practice slot (or those in `who`).

    Args:
        watched: members of the kind among each practice's watched neighbours, if counted already.
    """
    practices, behaviour = model.practices, model.params.behaviour
    organisation = model.organisation(kind)
    who = slice(None) if who is None else who
    peers = practices.neighbours.shape[1]
    watched = members_watched(model, kind) if watched is None else watched
    peer_share = watched[who] / peers if peers else np.zeros(practices.size)[who]
    pressure = np.clip(practices.workload[who] - 1.0, 0.0, 1.0) + (practices.reserves[who] < 0)
    other_kinds = False
    for other in range(len(model.kinds)):
        if other != kind:
            other_kinds = (practices.membership[other][who] >= 0) | other_kinds
    independence = model.fixed(("independence", behaviour.independence_weight), lambda: behaviour.independence_weight * practices.independence)
    distrust = model.fixed(("distrust", behaviour.distrust_weight), lambda: behaviour.distrust_weight * (1.0 - practices.trust))
    return (behaviour.intercept + behaviour.money_weight * money_value(model, kind)
            + behaviour.peer_weight * peer_share + behaviour.commissioner_weight * organisation.commissioner_push
            + behaviour.pressure_weight * pressure + behaviour.prior_collaboration_weight * other_kinds
            - independence[who] - distrust[who])


class _Choices:
    """Whether each practice would choose membership of a kind this month: the logit probability
    of its utility, with memberships as the month's decisions began, against its own draw.
    Worked out only for the practices asked about (those reconsidering, and the neighbours of
    would-be founders), which is the same answer as working it out for all."""

    def __init__(self, model, kind: int):
        self.model, self.kind = model, kind
        self.event = f"choose:{model.kinds[kind]}"
        self.watched = members_watched(model, kind)
        self.known = np.zeros(model.practices.size, dtype=bool)
        self.choose = np.zeros(model.practices.size, dtype=bool)

    def __call__(self, who: np.ndarray) -> np.ndarray:
        new = who[~self.known[who]]
        if new.size:
            utility = joining_utility(self.model, self.kind, new, self.watched)
            self.choose[new] = self.model.streams.uniform_of(self.event, self.model.month, new) < expit(utility)
            self.known[new] = True
        return self.choose[who]


def join_leave_and_form(model) -> None:
    """Each kind open this month: practices that reconsider choose membership with the logit
    probability of their utility; members who decline leave, outsiders who accept join the
    nearest network with room or found one with their willing neighbours."""
    practices, behaviour = model.practices, model.params.behaviour
    for kind, organisation in enumerate(model.organisations()):
        if not is_open(model, organisation):
            continue
        rate = behaviour.decision_rate if organisation.decision_rate is None else organisation.decision_rate
        name = model.kinds[kind]
        choices = _Choices(model, kind)
        reconsider = np.flatnonzero(practices.open & (model.streams.uniform(f"reconsider:{name}", model.month) < rate))
        choose = choices(reconsider)
        membership = practices.membership[kind]
        member = membership[reconsider] >= 0
        set_membership(model, kind, reconsider[member & ~choose], NO_NETWORK)
        unplaced = _join_nearest_with_room(model, kind, reconsider[~member & choose])
        unplaced = _steer_into_nearest(model, kind, unplaced, choices)
        if unplaced.size:
            choices(np.concatenate([model.area_practices[area] for area in np.unique(practices.area[unplaced])]))
            nearby = _AreaNetworks(model, kind)
            size_draw = model.streams.uniform(f"size:{name}", model.month)
            for practice in unplaced.tolist():
                if membership[practice] < 0:
                    _join_or_found(model, kind, practice, choices.choose, size_draw[practice], nearby)


def capacity(model, kind: int, slots: np.ndarray | None = None) -> np.ndarray:
    """Largest list each network of this kind (or just `slots`) takes new members up to
    (patients): the top of the paid band, or twice its founders' target where no band is paid."""
    target = model.networks.view("target_patients") if slots is None else model.networks.target_patients[slots]
    band = model.organisation(kind).band
    return np.maximum(target, band.max_patients) if band is not None else 2.0 * target


def smallest_worth_founding(organisation: Organisation) -> float:
    """Below this many patients a would-be founder joins a nearby network instead: the paid
    minimum, or half the natural size where no band is paid."""
    return organisation.band.min_patients if organisation.band is not None else organisation.natural_size_patients / 2


def _join_nearest_with_room(model, kind: int, joining: np.ndarray) -> np.ndarray:
    """Place practices in the nearest network of their area, within reach, with room for their
    list (all at once, from the month's opening sizes); returns the practices left unplaced."""
    networks, practices = model.networks, model.practices
    if joining.size == 0:
        return joining
    room = capacity(model, kind) - networks.view("patients")
    slots = np.flatnonzero(networks.view("active") & (networks.view("kind") == kind) & (room > 0))
    if slots.size == 0:
        return joining
    distance, candidate = _nearest_sites(model, slots, joining)
    valid = ((networks.area[candidate] == practices.area[joining][:, None])
             & (distance <= model.params.behaviour.max_network_distance_km)
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
    set_membership(model, kind, joining[placed], chosen[placed])
    return joining[~placed]


def _nearest_sites(model, slots: np.ndarray, practices_asking: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """km to, and slots of, the NEAREST_NETWORKS networks among `slots` nearest each practice
    asking, nearest first: from a scan of their sites (faster than building a spatial index for
    each search of a few hundred sites), or from the index where sites tie."""
    networks, practices = model.networks, model.practices
    k = min(NEAREST_NETWORKS, slots.size)
    x, y = practices.x_km[practices_asking], practices.y_km[practices_asking]
    distance, index, tied = kernels.nearest_sites(networks.x_km[slots], networks.y_km[slots], x, y, k)
    if not tied:  # with sites at equal distance the tree's order among them is its own: ask it
        return distance, slots[index]
    tree = cKDTree(np.column_stack([networks.x_km[slots], networks.y_km[slots]]))
    distance, index = tree.query(np.column_stack([x, y]), k=k)
    return distance.reshape(x.size, -1), slots[index.reshape(x.size, -1)]


def _steer_into_nearest(model, kind: int, practices_left: np.ndarray, willing) -> np.ndarray:
    """Practices whose willing outside neighbours could not make a network worth founding join
    the nearest network of their area instead (all at once); returns those who may found one."""
    practices, networks = model.practices, model.networks
    slots = np.flatnonzero(networks.view("active") & (networks.view("kind") == kind))
    if practices_left.size == 0 or slots.size == 0:
        return practices_left
    neighbours = practices.neighbours[practices_left]
    outside = practices.open[neighbours] & (practices.membership[kind][neighbours] < 0) & willing(neighbours.ravel()).reshape(neighbours.shape)
    could_gather = practices.list_size[practices_left] + (practices.list_size[neighbours] * outside).sum(axis=1)
    steer = could_gather < smallest_worth_founding(model.organisation(kind))
    if not steer.any():
        return practices_left
    chosen = practices_left[steer]
    distance, candidate = _nearest_sites(model, slots, chosen)
    valid = ((networks.area[candidate] == practices.area[chosen][:, None])
             & (distance <= model.params.behaviour.max_network_distance_km * STEERING_REACH))
    placed = valid.any(axis=1)
    set_membership(model, kind, chosen[placed], candidate[np.arange(chosen.size), valid.argmax(axis=1)][placed])
    steered = np.zeros(practices_left.size, dtype=bool)
    steered[np.flatnonzero(steer)[placed]] = True
    return practices_left[~steered]


class AreaDistances:
    """Distances between practices of the same commissioner area (sites do not move), and each
    practice's area neighbours nearest first: the space founders and joiners search.

    Args:
        x_km, y_km: practice sites.
        area_practices: the practice slots of each area, in slot order.
    """

    def __init__(self, x_km: np.ndarray, y_km: np.ndarray, area_practices: list[np.ndarray]):
        self.area = np.zeros(x_km.size, dtype=np.int64)
        self.position = np.zeros(x_km.size, dtype=np.int64)   # place within its area's list
        self.members, self.km, self.nearest_first = area_practices, [], []
        for area, members in enumerate(area_practices):
            self.area[members], self.position[members] = area, np.arange(members.size)
            x, y = x_km[members], y_km[members]
            km = np.hypot(x[None, :] - x[:, None], y[None, :] - y[:, None])
            ranking = km.copy()
            np.fill_diagonal(ranking, -1.0)  # the practice itself first, then dropped
            self.km.append(km)
            self.nearest_first.append(np.argsort(ranking, axis=1, kind="stable")[:, 1:].astype(np.int32))

    def row(self, practice: int) -> np.ndarray:
        """km from a practice to every practice of its area, in the area's slot order."""
        return self.km[self.area[practice]][self.position[practice]]

    def others_by_distance(self, practice: int) -> tuple[list[int], list[float]]:
        """The other practices of its area, nearest first (ties in slot order), and their km."""
        area, position = self.area[practice], self.position[practice]
        order = self.nearest_first[area][position]
        return self.members[area][order].tolist(), self.km[area][position][order].tolist()


class _AreaNetworks:
    """Active networks of one kind by commissioner area, kept current as networks are founded."""

    def __init__(self, model, kind: int):
        networks = model.networks
        self.model, self.kind = model, kind
        slots = np.flatnonzero(networks.view("active") & (networks.view("kind") == kind))
        self.slots = slots[np.argsort(networks.area[slots], kind="stable")]
        self.bounds = np.searchsorted(networks.area[self.slots], np.arange(len(model.area_practices) + 1))
        self.by_area: dict[int, list[int]] = {}
        band = model.organisation(kind).band
        self.capacity_floor = band.max_patients if band is not None else None

    def _of_area(self, area: int) -> list[int]:
        if area not in self.by_area:
            self.by_area[area] = self.slots[self.bounds[area]:self.bounds[area + 1]].tolist()
        return self.by_area[area]

    def add(self, slot: int) -> None:
        self._of_area(int(self.model.networks.area[slot])).append(slot)

    def nearest(self, practice: int, with_room_for: float | None, reach_factor: float = 1.0,
                excluding: int = NO_NETWORK) -> int:
        """The nearest network in the practice's area within reach (times reach_factor), ties
        to the older; with_room_for requires room for that many more patients. NO_NETWORK if none."""
        model = self.model
        networks, distances = model.networks, model.area_distances
        active, members, patients, target, lead = (networks.active, networks.members, networks.patients,
                                                   networks.target_patients, networks.lead)
        km, position = distances.row(practice), distances.position
        reach = model.params.behaviour.max_network_distance_km * reach_factor
        candidates = self._of_area(int(distances.area[practice]))
        floor = math.nan if self.capacity_floor is None else float(self.capacity_floor)  # capacity()'s rule
        return int(kernels.nearest_network(np.array(candidates, dtype=np.int64), excluding, active, members, patients,
                                           target, lead, km, position, reach, with_room_for is not None,
                                           float(with_room_for or 0.0), floor))


def _target_size(organisation: Organisation, draw: float) -> float:
    """Size founders aim for: somewhere in the paid band, or around the kind's natural size."""
    if organisation.band is not None and (organisation.payments.participation_per_weighted_patient
                                          + organisation.payments.core_per_patient) > 0:
        return organisation.band.min_patients + draw * (organisation.band.max_patients - organisation.band.min_patients)
    normal = _STANDARD_NORMAL.inv_cdf(min(max(draw, 1e-9), 1 - 1e-9))
    return organisation.natural_size_patients * math.exp(organisation.natural_size_sigma * normal)


def _join_or_found(model, kind: int, practice: int, accept: np.ndarray, size_draw: float,
                   nearby: _AreaNetworks) -> int:
    """One outsider joins the nearest network with room, or founds one with its willing
    neighbours (or, too small to found, is steered into a network); returns practices placed."""
    practices = model.practices
    organisation = model.organisation(kind)
    with_room = nearby.nearest(practice, with_room_for=practices.list_size[practice])
    if with_room != NO_NETWORK:
        _join_one(model, kind, practice, with_room)
        return 1
    target = _target_size(organisation, size_draw)
    recruits = _willing_neighbours(model, kind, practice, accept, target)
    founded_size = practices.list_size[practice] + practices.list_size[recruits].sum()
    if founded_size < smallest_worth_founding(organisation):
        existing = nearby.nearest(practice, with_room_for=None, reach_factor=STEERING_REACH)
        if existing != NO_NETWORK:  # too small to stand alone (or be paid): the commissioner steers it into a network
            _join_one(model, kind, practice, existing)
            return 1
    slot = model.add_network(kind=kind, lead=practice, target_patients=target, waiver_draw=size_draw)
    nearby.add(slot)
    founders = np.concatenate([[practice], recruits]).astype(np.int64)
    # All are outsiders, so nothing leaves another network (set_membership's founding case).
    model.networks.patients[slot] += practices.list_size[founders].sum()
    model.networks.members[slot] += founders.size
    practices.membership[kind, founders] = slot
    return founders.size


def _willing_neighbours(model, kind: int, practice: int, accept: np.ndarray, target: float) -> np.ndarray:
    """Nearest willing outsiders in the same area whose lists take the founder up to the target."""
    practices = model.practices
    needed = target - practices.list_size[practice]
    if needed <= 0:
        return np.zeros(0, dtype=np.int64)
    reach = model.params.behaviour.max_network_distance_km
    is_open, membership, list_size = practices.open, practices.membership[kind], practices.list_size
    distances = model.area_distances
    area, position = distances.area[practice], distances.position[practice]
    taken, running, before = kernels.willing_neighbours(
        distances.members[area], distances.nearest_first[area][position], distances.km[area][position], reach,
        is_open, membership, accept, list_size, needed)
    taken = taken.tolist()
    band = model.organisation(kind).band
    if band is not None and len(taken) >= 2 and running - needed > band.max_patients - target \
            and before + list_size[practice] >= band.min_patients:
        taken.pop()  # stop short rather than overshoot the paid band
    return np.array(taken, dtype=np.int64)


def _join_one(model, kind: int, practice: int, slot: int) -> None:
    """An outsider joins a network (the scalar case of set_membership)."""
    model.networks.patients[slot] += model.practices.list_size[practice]
    model.networks.members[slot] += 1
    model.practices.membership[kind, practice] = slot


def merge_unpaid_networks(model) -> None:
    """Networks outside a paid band merge, now and then, with the nearest network of their kind."""
    networks, practices = model.networks, model.practices
    rate = model.params.behaviour.network_merge_rate
    if networks.count == 0 or rate <= 0:
        return
    monthly = 1.0 - np.exp(-rate / 12.0)  # rate is a yearly hazard
    draw = None
    for kind, organisation in enumerate(model.organisations()):
        if organisation.band is None or not is_open(model, organisation):
            continue
        too_small = networks.view("patients") < organisation.band.min_patients
        unpaid = (networks.view("active") & (networks.view("members") > 0) & (networks.view("kind") == kind)
                  & ~paid(model, kind) & too_small)
        if not unpaid.any():
            continue
        if draw is None:  # the month's draws, one per network slot, made only when needed
            draw = model.streams.generator("network_merge", model.month).random(networks.count)
        merging = np.flatnonzero(unpaid & (draw < monthly))
        if merging.size == 0:
            continue
        nearby = _AreaNetworks(model, kind)
        for slot in merging:
            if not networks.active[slot]:
                continue
            lead = int(networks.lead[slot])
            other = nearby.nearest(lead, with_room_for=networks.patients[slot], excluding=slot)
            if other == NO_NETWORK:
                other = nearby.nearest(lead, with_room_for=None, excluding=slot)
            if other == NO_NETWORK:
                continue
            set_membership(model, kind, np.flatnonzero(practices.membership[kind] == slot), other)
            networks.patients[slot], networks.members[slot] = 0.0, 0
            networks.active[slot], networks.ended[slot] = False, model.month
            model.end_network(int(slot))


def form_initial(model) -> None:
    """At set-up, create the networks the data name, or found networks of each kind until its
    initial coverage is reached."""
    practices = model.practices
    given = practices.starting_networks or {}
    for kind, organisation in enumerate(model.organisations()):
        if model.kinds[kind] in given:
            _networks_from_labels(model, kind, np.asarray(given[model.kinds[kind]]))
            continue
        if organisation.initial_coverage <= 0:
            continue
        rng = model.streams.generator(f"initial:{model.kinds[kind]}")
        wanted = int(round(organisation.initial_coverage * practices.open.sum()))
        accept = np.ones(practices.size, dtype=bool)
        nearby = _AreaNetworks(model, kind)
        placed = int((practices.membership[kind] >= 0).sum())
        for practice in rng.permutation(practices.size).tolist():
            if practices.membership[kind, practice] >= 0:
                continue
            if placed >= wanted:
                break
            placed += _join_or_found(model, kind, practice, accept, rng.random(), nearby)
        update_sizes(model)
    model.networks.view("formed")[:] = -INITIAL_AGE_MONTHS


def _networks_from_labels(model, kind: int, labels: np.ndarray) -> None:
    """One network per distinct label (>= 0), led by its largest member practice."""
    practices = model.practices
    for label in np.unique(labels[labels >= 0]):
        members = np.flatnonzero((labels == label) & practices.open)
        if members.size == 0:
            continue
        lead = int(members[np.argmax(practices.list_size[members])])
        total = float(practices.list_size[members].sum())
        slot = model.add_network(kind=kind, lead=lead, target_patients=total, waiver_draw=0.0)
        set_membership(model, kind, members, slot)
    update_sizes(model)
