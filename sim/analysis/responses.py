"""The response atlas: each policy lever run at a few levels with common random numbers, and how
each headline outcome moves against what the evidence expects.

    import sim
    atlas = sim.responses("scenarios/status_quo_2024.yaml", replications=3)
    atlas.table        # lever, level, outcome, median, low, high, expected, observed, agrees
    atlas.plot("outputs/atlas-charts"); atlas.save("outputs/atlas")

Every level of every lever runs with the same root seed, so replication r of each level sees the
same draws (common random numbers): a difference between levels is the lever's doing, not noise.
Each run is one sweep run (sim.analysis.sweep.run_one), on local worker processes when asked.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from sim.analysis.levers import ATLAS_OUTCOMES, LEVERS, REQUIRED_KINDS, Lever
from sim.analysis.sweep.backends import LocalBackend, run_one
from sim.report.notebook import drawn
from sim.report.response_charts import response_charts
from sim.results.folder import (
    atomic_folder,
    command_line,
    default_folder,
    table_text,
    write_manifest,
)
from sim.results.outcomes import median_and_interval
from sim.results.seeds import STREAMS
from sim.scenario.errors import InputError
from sim.scenario.loading import ResolvedScenario, file_digest, resolve
from sim.scenario.schema import Scenario

# Which observed directions agree with each expected direction.
AGREEING = {"up": {"up"}, "down": {"down"}, "not up": {"down", "flat"}, "not down": {"up", "flat"}}
RELATIVE_SIZE = 0.01  # a move under 1% of an outcome's size is flat, whatever its resolution


@dataclass(frozen=True)
class Setting:
    """One level of one lever: the scenario values it sets and the dated settings that gave way."""

    lever: str
    level: float
    values: dict[str, Any]
    dropped_changes: tuple[str, ...] = ()

    def text(self) -> str:
        return "; ".join(f"{key}={value:g}" for key, value in self.values.items())


def choose_levers(names: Sequence[str] | None) -> list[Lever]:
    """The levers named (all, in their documented order, when none are); InputError naming an
    unknown one."""
    if not names:
        return list(LEVERS.values())
    chosen = []
    for name in names:
        if name not in LEVERS:
            raise InputError("--levers", str(name), f"expected one of the levers ({', '.join(LEVERS)}); found '{name}'")
        if LEVERS[name] not in chosen:
            chosen.append(LEVERS[name])
    return chosen


def _read(data: dict, key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def plan(base: ResolvedScenario, levers: list[Lever]) -> list[Setting]:
    """Every (lever, level) setting, each checked against the scenario schema before anything runs."""
    label = base.source or "scenario"
    missing = [kind for kind in REQUIRED_KINDS if kind not in base.scenario.organisations]
    if missing:
        raise InputError(label, f"organisations.{missing[0]}",
                         f"expected the organisation kinds the atlas's levers and outcomes name ({', '.join(REQUIRED_KINDS)}); found none called '{missing[0]}'")
    data = base.scenario.model_dump(mode="json")
    settings = []
    for lever in levers:
        for level in lever.levels:
            values = {key: lever.value_at(level, float(_read(data, key))) for key in lever.keys}
            try:
                checked = resolve(data, values)
            except InputError as error:
                raise InputError(label, error.key, f"lever '{lever.name}' at level {level:g}: {error.problem}") from None
            settings.append(Setting(lever.name, level, values, checked.dropped_changes))
    return settings


def observed_direction(medians: Sequence[float], resolution: float) -> str:
    """How an outcome moves as a lever rises, from its medians at each level (lowest first):
    "flat" when no step and not the whole range moves by more than the tolerance (the
    resolution, or 1% of the outcome's size if larger); "up" or "down" when every step that
    does is that way (or, with none, the whole range) and the whole range does not go the other
    way; "mixed" otherwise."""
    tolerance = max(resolution, RELATIVE_SIZE * max(abs(m) for m in medians))
    steps = [b - a for a, b in zip(medians, medians[1:])]
    moving = [step for step in steps if abs(step) > tolerance]
    overall = medians[-1] - medians[0]
    if not moving:
        return "flat" if abs(overall) <= tolerance else ("up" if overall > 0 else "down")
    if all(step > 0 for step in moving) and overall >= 0:
        return "up"
    if all(step < 0 for step in moving) and overall <= 0:
        return "down"
    return "mixed"


def summarise(runs: pd.DataFrame, levers: list[Lever], settings: list[Setting]) -> pd.DataFrame:
    """The atlas table: one row per lever, level and outcome, with the median and 90% interval
    across replications, and the expected and observed direction of the outcome on that lever."""
    text = {(s.lever, s.level): s.text() for s in settings}
    rows = []
    for lever in levers:
        own = runs[runs["lever"] == lever.name]
        for outcome, spec in ATLAS_OUTCOMES.items():
            figures = [median_and_interval(own.loc[own["level"] == level, outcome]) for level in lever.levels]
            observed = observed_direction([median for median, _, _ in figures], spec.resolution)
            expected = lever.expected.get(outcome)
            agrees = "" if expected is None else ("yes" if observed in AGREEING[expected.direction] else "no")
            for level, (median, low, high) in zip(lever.levels, figures):
                rows.append({"lever": lever.name, "level": level, "setting": text[(lever.name, level)], "outcome": outcome,
                             "median": median, "low": low, "high": high,
                             "expected": expected.direction if expected else "", "observed": observed, "agrees": agrees})
    return pd.DataFrame(rows)


@dataclass
class Responses:
    """What a response atlas produced.

    Attributes:
        base: the resolved scenario every lever moves from.
        levers: the levers run, in order.
        settings: every (lever, level) setting run.
        runs: one row per lever, level and replication, with every atlas outcome.
        table: the atlas table (see summarise).
    """

    base: ResolvedScenario
    levers: list[Lever]
    settings: list[Setting]
    runs: pd.DataFrame
    started: str
    finished: str
    seconds: float
    table: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        self.table = summarise(self.runs, self.levers, self.settings)

    @property
    def scenario(self) -> Scenario:
        return self.base.scenario

    @property
    def outcomes(self) -> dict:
        """The headline outcomes of the atlas (sim.analysis.levers.ATLAS_OUTCOMES)."""
        return ATLAS_OUTCOMES

    @property
    def seed(self) -> int:
        return self.base.scenario.seed

    @property
    def replications(self) -> int:
        return self.base.scenario.replications

    def disagreements(self) -> pd.DataFrame:
        """Lever and outcome pairs whose observed direction disagrees with the expected one."""
        table = self.table[self.table["agrees"] == "no"]
        return table[["lever", "outcome", "expected", "observed"]].drop_duplicates().reset_index(drop=True)

    def plot(self, directory: str | Path | None = None) -> dict:
        """One chart per lever (each outcome against the level, with 90% bands); saved as PNG and
        SVG when a directory is given."""
        return drawn(response_charts, self, directory)

    def manifest(self) -> dict:
        """Everything needed to reproduce and trace the atlas (write_manifest adds versions and
        each file's SHA-256)."""
        source = self.base.source
        return {"kind": "responses", "scenario_file": source,
                "scenario_sha256": file_digest(source) if source and Path(source).is_file() else None,
                "overrides": list(self.base.overrides), "dropped_changes": list(self.base.dropped_changes),
                "seed": self.seed, "replications": self.replications,
                "common_random_numbers": f"every level of every lever runs with the root seed; {STREAMS}",
                "levers": [{"name": lever.name, "label": lever.label, "keys": list(lever.keys), "unit": lever.unit,
                            "relative": lever.relative, "levels": list(lever.levels),
                            "expected": {name: {"direction": e.direction, "reason": e.reason} for name, e in lever.expected.items()},
                            "settings": [{"level": s.level, "values": s.values, "dropped_changes": list(s.dropped_changes)}
                                         for s in self.settings if s.lever == lever.name]} for lever in self.levers],
                "outcomes": {name: {"label": spec.label, "unit": spec.unit, "resolution": spec.resolution}
                             for name, spec in ATLAS_OUTCOMES.items()},
                "started": self.started, "finished": self.finished, "seconds": round(self.seconds, 3),
                "command": command_line(), "scenario": self.scenario.model_dump(mode="json")}

    def save(self, directory: str | Path | None = None, force: bool = False, charts: bool = True) -> Path:
        """Write responses.csv, runs.csv, charts/ and manifest.json atomically; returns the folder."""
        target = Path(directory) if directory is not None else default_folder(f"responses-{self.scenario.name}")
        with atomic_folder(target, force) as work:
            (work / "responses.csv").write_bytes(table_text(self.table).encode("utf-8"))
            (work / "runs.csv").write_bytes(table_text(self.runs).encode("utf-8"))
            if charts:
                self.plot(work / "charts")
            write_manifest(work, {**self.manifest(), "charts": charts})
        return target


def responses(scenario: str | Path | Scenario | dict | ResolvedScenario, levers: Sequence[str] | None = None, *,
              replications: int | None = None, seed: int | None = None, overrides: Sequence[str] | dict = (),
              workers: int = 1, progress: Callable[[int], None] | None = None) -> Responses:
    """Run each lever at its levels with common random numbers; return the atlas.

    Args:
        scenario: the base scenario, as sim.scenario.loading.resolve takes it.
        levers: names from sim.analysis.levers.LEVERS (default: all).
        replications: replications of each level (default: the scenario's).
        seed: root seed of every run (default: the scenario's).
        overrides: 'key.path=value' settings applied to the base first, as with --set.
        workers: local worker processes (1 runs in this process).
        progress: called with the number of runs just finished.

    Raises:
        InputError: an unknown lever, or a scenario or level the schema refuses; nothing has run.
    """
    chosen = choose_levers(levers)
    base = resolve(scenario, overrides, seed=seed, replications=replications)
    settings = plan(base, chosen)
    data, outcomes, count = base.scenario.model_dump(mode="json"), list(ATLAS_OUTCOMES), base.scenario.replications
    # Run id point * replications + r, as in a sweep; every run takes the root seed.
    jobs = [(data, point * count + r, point, r, base.scenario.seed, setting.values, outcomes, [])
            for point, setting in enumerate(settings) for r in range(count)]
    started, clock = datetime.now(timezone.utc).isoformat(timespec="seconds"), time.perf_counter()
    rows = _run_all(jobs, workers, progress)
    runs = pd.DataFrame([{"lever": settings[row["point"]].lever, "level": settings[row["point"]].level,
                          "replication": row["replication"], "seed": row["seed"], **{name: row[name] for name in outcomes}}
                         for row in sorted(rows, key=lambda row: row["run_id"])])
    return Responses(base, chosen, settings, runs, started, datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     time.perf_counter() - clock)


def _run_all(jobs: list[tuple], workers: int, progress: Callable[[int], None] | None) -> list[dict]:
    """Every sweep run of the atlas: in this process, or on a pool of local workers."""
    if workers <= 1:
        rows = []
        for job in jobs:
            rows.append(run_one(*job))
            if progress:
                progress(1)
        return rows
    backend = LocalBackend(workers)
    try:
        pending = {backend.submit(run_one, *job) for job in jobs}
        rows = []
        while pending:
            done, pending = backend.wait(pending)
            rows += [future.result() for future in done]
            if progress:
                progress(len(done))
        return rows
    finally:
        backend.close(cancel=True)

