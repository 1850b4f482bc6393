"""The model's state as arrays: one slot per practice and one per network.

Mechanisms are functions over these arrays, so one month costs a few dozen numpy operations
whatever the number of practices. Practice slots are never reused: a practice that closes or
merges keeps its slot with `open` False and an empty list.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

OPEN, MERGED, CLOSED = 0, 1, 2
NO_NETWORK = -1
LED_BY = ("practices", "gp_organisation", "trust")   # who leads an integrated provider


# The groups of additional roles a network employs (scenario: additional_roles.groups).
ROLE_GROUPS = ("clinical_pharmacists", "first_contact", "social_prescribers", "care_coordinators", "gps", "nurses")


@dataclass
class PracticeState:
    """Every practice's attributes, indexed by practice slot.

    Units: list_size in registered patients; *_fte in full-time equivalents; money in GBP;
    distances in km; shares, deprivation, continuity, independence and trust in 0-1.
    """

    x_km: np.ndarray
    y_km: np.ndarray
    area: np.ndarray
    region: np.ndarray
    rural: np.ndarray
    deprivation: np.ndarray
    need_weight: np.ndarray
    funding_weight: np.ndarray
    list_size: np.ndarray
    partners: np.ndarray
    salaried: np.ndarray
    nurse_fte: np.ndarray
    direct_care_fte: np.ndarray
    admin_fte: np.ndarray
    reserves: np.ndarray
    continuity: np.ndarray
    independence: np.ndarray
    trust: np.ndarray
    neighbours: np.ndarray          # (practices, k) nearest other practices at the start
    isolation_km: np.ndarray        # distance to the third nearest practice at the start
    n_kinds: int = 1
    starting_networks: dict | None = None   # kind name -> group label per practice (-1: none), from data
    starting_network_months: dict | None = None   # kind name -> months each practice had been a member at the start (-1: unknown)
    open: np.ndarray = field(init=False)
    status: np.ndarray = field(init=False)
    ended_month: np.ndarray = field(init=False)
    initial_list_size: np.ndarray = field(init=False)
    locum_fte: np.ndarray = field(init=False)
    roles_fte: np.ndarray = field(init=False)
    roles_gp_time_fte: np.ndarray = field(init=False)   # GP time the practice's share of roles takes on
    roles_cost_gbp: np.ndarray = field(init=False)      # yearly full cost of its share of roles (before reimbursement)
    pooled_cover_fte: np.ndarray = field(init=False)
    income: np.ndarray = field(init=False)
    costs: np.ndarray = field(init=False)
    workload: np.ndarray = field(init=False)
    partner_earnings: np.ndarray = field(init=False)   # partners' earnings over their target drawings (1: at target)
    distress_months: np.ndarray = field(init=False)
    membership: np.ndarray = field(init=False)     # (kinds, practices) network slot or NO_NETWORK
    integrated: np.ndarray = field(init=False)     # bool: contract held by an integrated provider (a site of it)
    taken_over_month: np.ndarray = field(init=False)   # month a provider stepped in (-1: never)
    leavers_by_month: np.ndarray = field(init=False)   # (12, practices) GP leavers, ring buffer
    movers_by_month: np.ndarray = field(init=False)    # (12, practices) GPs who moved to another practice
    heads_by_month: np.ndarray = field(init=False)     # (12, practices) GP headcount, ring buffer
    leavers_12m: np.ndarray = field(init=False)        # sums of the ring buffers, kept current
    movers_12m: np.ndarray = field(init=False)
    heads_12m: np.ndarray = field(init=False)
    derived: dict[tuple, np.ndarray] = field(init=False, repr=False)   # see fixed()

    def __post_init__(self) -> None:
        n = self.list_size.size
        self.open = np.ones(n, dtype=bool)
        self.status = np.full(n, OPEN, dtype=np.int8)
        self.ended_month = np.full(n, -1, dtype=np.int32)
        self.initial_list_size = self.list_size.copy()
        self.locum_fte = np.zeros(n)
        self.roles_fte = np.zeros(n)
        self.roles_gp_time_fte = np.zeros(n)
        self.roles_cost_gbp = np.zeros(n)
        self.pooled_cover_fte = np.zeros(n)
        self.income = np.zeros(n)
        self.costs = np.zeros(n)
        self.workload = np.ones(n)
        self.partner_earnings = np.ones(n)
        self.distress_months = np.zeros(n, dtype=np.int32)
        self.membership = np.full((self.n_kinds, n), NO_NETWORK, dtype=np.int32)
        self.integrated = np.zeros(n, dtype=bool)
        self.taken_over_month = np.full(n, -1, dtype=np.int32)
        heads = (self.partners + self.salaried).astype(np.int32)
        self.leavers_by_month = np.zeros((12, n), dtype=np.int32)
        self.heads_by_month = np.tile(heads, (12, 1))
        self.leavers_12m = np.zeros(n, dtype=np.int64)
        self.movers_by_month = np.zeros((12, n), dtype=np.int32)
        self.movers_12m = np.zeros(n, dtype=np.int64)
        self.heads_12m = heads.astype(np.int64) * 12
        self.derived = {}

    def fixed(self, key: tuple, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """An array that depends only on the practices' fixed attributes (site, rurality,
        deprivation, attitudes) and the parameter values in `key`, computed once."""
        value = self.derived.get(key)
        if value is None:
            value = self.derived[key] = compute()
        return value

    @property
    def size(self) -> int:
        """Number of practice slots (open and ended)."""
        return self.list_size.size

    def gp_heads(self) -> np.ndarray:
        """GP headcount (partners and salaried GPs, locums excluded)."""
        return self.partners + self.salaried

    def gp_fte(self, partner_fte: float, salaried_fte: float, slots: np.ndarray | None = None) -> np.ndarray:
        """GP FTE of partners and salaried GPs, locums excluded (of every practice, or of `slots`)."""
        if slots is None:
            return self.partners * partner_fte + self.salaried * salaried_fte
        return self.partners[slots] * partner_fte + self.salaried[slots] * salaried_fte

    def record_gp_month(self, month: int, leavers: np.ndarray, heads: np.ndarray, movers: np.ndarray) -> None:
        """Store a month's GP leavers (out of general practice), movers (to another practice)
        and headcount in the 12-month ring buffers."""
        slot = month % 12
        self.leavers_12m += leavers - self.leavers_by_month[slot]
        self.movers_12m += movers - self.movers_by_month[slot]
        self.heads_12m += heads - self.heads_by_month[slot]
        self.leavers_by_month[slot] = leavers
        self.movers_by_month[slot] = movers
        self.heads_by_month[slot] = heads

    def add_leavers(self, month: int, practice: int, leavers: int, movers: int = 0) -> None:
        """Add GPs leaving one practice this month (its contract ending): `leavers` out of general
        practice, `movers` to other practices."""
        self.leavers_by_month[month % 12, practice] += leavers
        self.leavers_12m[practice] += leavers
        self.movers_by_month[month % 12, practice] += movers
        self.movers_12m[practice] += movers

    def turnover_12m(self, months_recorded: int = 12, moves: bool = False) -> np.ndarray:
        """GPs leaving general practice in the last 12 months (with `moves`, also those who moved
        to another practice: practice-level turnover) over mean GP headcount (0 where no GPs);
        with fewer than 12 months recorded, annualised from those months."""
        mean_heads = self.heads_12m / 12.0
        departures = self.leavers_12m + self.movers_12m if moves else self.leavers_12m
        leavers = departures * 12.0 / min(max(months_recorded, 1), 12)
        return np.divide(leavers, mean_heads, out=np.zeros(self.size), where=mean_heads > 0)


class NetworkState:
    """Every network's attributes, indexed by network slot; grows as networks form.

    Args:
        capacity: slots to allocate at first (doubled when full).
    """

    FIELDS = {
        "kind": np.int16, "formed": np.int32, "lead": np.int32, "area": np.int32, "active": bool,
        "target_patients": float, "rural_share": float, "pool": float, "roles_fte": float,
        "patients": float, "members": np.int32, "x_km": float, "y_km": float, "ended": np.int32,
        "led_by": np.int8,   # an integrated provider's lead: an index of LED_BY
        **{f"roles_{group}_fte": float for group in ROLE_GROUPS},
    }

    def __init__(self, capacity: int = 256):
        self.count = 0
        for name, dtype in self.FIELDS.items():
            setattr(self, name, np.zeros(capacity, dtype=dtype))

    def add(self, **values: float) -> int:
        """Add a network with the given attributes and return its slot."""
        if self.count == self.kind.size:
            for name in self.FIELDS:
                old = getattr(self, name)
                grown = np.zeros(old.size * 2, dtype=old.dtype)
                grown[: old.size] = old
                setattr(self, name, grown)
        slot = self.count
        self.count += 1
        attributes = self.__dict__
        for name, value in values.items():
            attributes[name][slot] = value
        self.active[slot] = True
        self.ended[slot] = -1
        return slot

    def view(self, name: str) -> np.ndarray:
        """The filled part of one attribute array."""
        return getattr(self, name)[: self.count]


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


@dataclass
class Geography:
    """Where practices stand relative to each other, worked out once per population (sites do
    not move) and searched every month.

    Attributes:
        tree: spatial index of practice sites (km).
        nearest, nearest_km: (practices, k) each practice's nearest other practices, nearest
            first, and their distances: where mergers and dispersed patients go.
        area_practices: the practice slots of each commissioner area, in slot order.
        area_distances: distances within each area, for founders and joiners.
        watching: sparse 0/1 (practices, practices), the neighbours each practice watches
            (PracticeState.neighbours), so counting members among them is one product.
        watched_by: its transpose, for updating those counts from the practices that changed.
        watched_members: per organisation kind, the memberships last counted and the counts.
    """

    tree: cKDTree
    nearest: np.ndarray
    nearest_km: np.ndarray
    area_practices: list[np.ndarray]
    area_distances: AreaDistances
    watching: sparse.csr_matrix
    watched_by: sparse.csr_matrix
    watched_members: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
