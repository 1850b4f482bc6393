"""The policy levers of the response atlas and its headline outcomes, read from the data file
sim/data/levers.yaml: what each lever sets, at which levels, and the direction the evidence or
plain reasoning expects on each outcome (docs/responses.md).

Directions: "up" and "down" (a material change that way), "not up" and "not down" (that way or
no material change); an outcome a lever has no stated expectation on is left out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

LEVERS_FILE = Path(__file__).resolve().parent.parent / "data" / "levers.yaml"
DIRECTIONS = ("up", "down", "not up", "not down")


@dataclass(frozen=True)
class Expectation:
    """The direction an outcome is expected to move as a lever rises, and why."""

    direction: str
    reason: str


@dataclass(frozen=True)
class Lever:
    """One policy lever.

    Attributes:
        name: the lever's name, as given to --levers.
        label: what it is, in words, for charts.
        keys: the scenario key paths it sets (all to the same level).
        levels: the levels it is run at, lowest first.
        relative: True when a level multiplies each key's value in the scenario (x0.5, x1, x2);
            False when it is the value itself.
        unit: the unit of a level.
        expected: headline outcome -> Expectation.
    """

    name: str
    label: str
    keys: tuple[str, ...]
    levels: tuple[float, ...]
    relative: bool
    unit: str
    expected: dict[str, Expectation] = field(default_factory=dict)

    def value_at(self, level: float, scenario_value: float) -> float:
        """The value a key takes at a level, given the key's value in the scenario."""
        return round(level * scenario_value, 9) if self.relative else level


@dataclass(frozen=True)
class AtlasOutcome:
    """A headline outcome of the atlas: a name in sim.analysis.evaluate.OUTCOMES, read in the
    last month (closures: over the whole run).

    Attributes:
        label: short label for charts.
        unit: "share", or the unit of a count or rate.
        resolution: the smallest change taken as a response; a move smaller than this, or than
            1% of the outcome's size, is "flat".
    """

    label: str
    unit: str
    resolution: float


# The organisation kinds the levers set and the outcomes read.
REQUIRED_KINDS = ("pcn", "federation")


def read_levers(path: Path = LEVERS_FILE) -> tuple[dict[str, AtlasOutcome], dict[str, Lever]]:
    """The atlas's outcomes and levers from their data file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    outcomes = {name: AtlasOutcome(**spec) for name, spec in data["outcomes"].items()}
    levers = {}
    for name, spec in data["levers"].items():
        expected = {outcome: Expectation(direction, reason) for outcome, (direction, reason) in spec.pop("expected").items()}
        if any(e.direction not in DIRECTIONS for e in expected.values()) or set(expected) - set(outcomes):
            raise ValueError(f"{path}: levers.{name}.expected: expected directions {DIRECTIONS} on the outcomes listed")
        levers[name] = Lever(name, spec["label"], tuple(spec["keys"]), tuple(float(v) for v in spec["levels"]),
                             bool(spec["relative"]), spec["unit"], expected)
    return outcomes, levers


ATLAS_OUTCOMES, LEVERS = read_levers()
