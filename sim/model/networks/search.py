"""The spatial searches of joining and founding: the nearest network sites to each practice
asking, the nearest network with room in a practice's own area, and a founder's nearest
willing neighbours."""
from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from sim.model import kernels
from sim.model.in_force import InForce
from sim.model.networks.payment import capacity_multiple
from sim.state import NO_NETWORK, Geography, NetworkState, PracticeState


def nearest_sites(practices: PracticeState, networks: NetworkState, slots: np.ndarray, practices_asking: np.ndarray,
                  looked_at: int) -> tuple[np.ndarray, np.ndarray]:
    """km to, and slots of, the `looked_at` networks among `slots` nearest each practice
    asking, nearest first: from a scan of their sites (faster than building a spatial index for
    each search of a few hundred sites), or from the index where sites tie."""
    k = min(looked_at, slots.size)
    x, y = practices.x_km[practices_asking], practices.y_km[practices_asking]
    distance, index, tied = kernels.nearest_sites(networks.x_km[slots], networks.y_km[slots], x, y, k)
    if not tied:  # with sites at equal distance the tree's order among them is its own: ask it
        return distance, slots[index]
    tree = cKDTree(np.column_stack([networks.x_km[slots], networks.y_km[slots]]))
    distance, index = tree.query(np.column_stack([x, y]), k=k)
    return distance.reshape(x.size, -1), slots[index.reshape(x.size, -1)]


class AreaNetworks:
    """Active networks of one kind by commissioner area, kept current as networks are founded.

    Args:
        networks, geography, in_force: the network state, the practices' geography and the
            parameters in force.
        kind: organisation kind index.
    """

    def __init__(self, networks: NetworkState, geography: Geography, in_force: InForce, kind: int):
        self.networks, self.geography, self.kind = networks, geography, kind
        self.reach_km = in_force.behaviour.max_network_distance_km
        slots = np.flatnonzero(networks.view("active") & (networks.view("kind") == kind))
        self.slots = slots[np.argsort(networks.area[slots], kind="stable")]
        self.bounds = np.searchsorted(networks.area[self.slots], np.arange(len(geography.area_practices) + 1))
        self.by_area: dict[int, list[int]] = {}
        self.capacity_multiple = capacity_multiple(in_force.organisation(kind))

    def _of_area(self, area: int) -> list[int]:
        if area not in self.by_area:
            self.by_area[area] = self.slots[self.bounds[area]:self.bounds[area + 1]].tolist()
        return self.by_area[area]

    def add(self, slot: int) -> None:
        """Count a network founded since this was built."""
        self._of_area(int(self.networks.area[slot])).append(slot)

    def nearest(self, practice: int, with_room_for: float | None, reach_factor: float = 1.0,
                excluding: int = NO_NETWORK) -> int:
        """The nearest network in the practice's area within reach (times reach_factor), ties
        to the older; with_room_for requires room for that many more patients. NO_NETWORK if none."""
        networks, distances = self.networks, self.geography.area_distances
        active, members, patients, target, lead = (networks.active, networks.members, networks.patients,
                                                   networks.target_patients, networks.lead)
        km, position = distances.row(practice), distances.position
        reach = self.reach_km * reach_factor
        candidates = self._of_area(int(distances.area[practice]))
        return int(kernels.nearest_network(np.array(candidates, dtype=np.int64), excluding, active, members, patients,
                                           target, lead, km, position, reach, with_room_for is not None,
                                           float(with_room_for or 0.0), self.capacity_multiple))


def willing_neighbours(practices: PracticeState, geography: Geography, in_force: InForce, kind: int, practice: int,
                       accept: np.ndarray, target: float) -> np.ndarray:
    """Nearest willing outsiders in the same area whose lists take the founder up to the target."""
    needed = target - practices.list_size[practice]
    if needed <= 0:
        return np.zeros(0, dtype=np.int64)
    reach = in_force.behaviour.max_network_distance_km
    is_open, membership, list_size = practices.open, practices.membership[kind], practices.list_size
    distances = geography.area_distances
    area, position = distances.area[practice], distances.position[practice]
    taken, running, before = kernels.willing_neighbours(
        distances.members[area], distances.nearest_first[area][position], distances.km[area][position], reach,
        is_open, membership, accept, list_size, needed)
    taken = taken.tolist()
    band = in_force.organisation(kind).band
    if band is not None and len(taken) >= 2 and running - needed > band.max_patients - target \
            and before + list_size[practice] >= band.min_patients:
        taken.pop()  # stop short rather than overshoot the paid band
    return np.array(taken, dtype=np.int64)
