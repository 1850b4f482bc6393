"""Mesa agents: the model's vocabulary. Each agent is a view onto its slot in the state arrays,
so reading an agent always shows the current figures and the monthly arithmetic stays vectorised.
"""
from __future__ import annotations

import itertools
import weakref

import mesa


class _CountersByModel(weakref.WeakKeyDictionary):
    """Agent id counters per model that let a finished model be freed (Mesa's own class-level
    dictionary keeps every model alive, which grows a worker's memory run after run)."""

    def __getitem__(self, model):
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = itertools.count(1)
            self[model] = counter
            return counter


class _Agent(mesa.Agent):
    _ids = _CountersByModel()


class Practice(_Agent):
    """A GP practice (one contract holder).

    Args:
        model: the GPModel it belongs to.
        slot: its index in the practice arrays.
    """

    def __init__(self, model: mesa.Model, slot: int):
        super().__init__(model)
        self.slot = slot

    @property
    def list_size(self) -> float:
        """Registered patients."""
        return float(self.model.practices.list_size[self.slot])

    @property
    def gp_fte(self) -> float:
        """GP FTE in post, locums excluded."""
        in_force = self.model.in_force
        state = self.model.practices
        return float(state.partners[self.slot] * in_force.partner_fte_per_head
                     + state.salaried[self.slot] * in_force.salaried_fte_per_head)

    @property
    def is_open(self) -> bool:
        """Whether the practice still holds its contract."""
        return bool(self.model.practices.open[self.slot])

    @property
    def location_km(self) -> tuple[float, float]:
        """(x, y) position in km."""
        return float(self.model.practices.x_km[self.slot]), float(self.model.practices.y_km[self.slot])

    @property
    def networks(self) -> dict[str, "Network"]:
        """The network of each kind it belongs to, by kind name."""
        found = {}
        for kind, name in enumerate(self.model.kinds):
            slot = int(self.model.practices.membership[kind, self.slot])
            if slot >= 0:
                found[name] = self.model.network_agents[slot]
        return found


class Network(_Agent):
    """An organisation of practices: a network, federation or super-partnership.

    Args:
        model: the GPModel it belongs to.
        slot: its index in the network arrays.
    """

    def __init__(self, model: mesa.Model, slot: int):
        super().__init__(model)
        self.slot = slot

    @property
    def kind(self) -> str:
        """Name of its organisation kind in the scenario."""
        return self.model.kinds[int(self.model.networks.kind[self.slot])]

    @property
    def patients(self) -> float:
        """Registered patients of its member practices."""
        return float(self.model.networks.patients[self.slot])

    @property
    def formed(self) -> int:
        """Month it was formed, as months since the start (negative: before the start)."""
        return int(self.model.networks.formed[self.slot])

    @property
    def members(self) -> list[Practice]:
        """Its member practices."""
        kind = int(self.model.networks.kind[self.slot])
        slots = (self.model.practices.membership[kind] == self.slot).nonzero()[0]
        return [self.model.practice_agents[int(s)] for s in slots]
