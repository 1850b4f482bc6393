"""Checkpoints: one replication's whole state at the start of a month, in memory or as a file.

A saved state holds everything the next month depends on: the practice and network arrays
(staff, money, memberships, the 12-month ring buffers), the national figures, the clock (the
run's first month and the months simulated), the root seed and replication (random draws are a
pure function of these, the event and the month, so there is no generator position to keep),
the scenario run and the parameters in force, and the figures recorded so far. Mesa agents are
views onto the arrays and are rebuilt from them, as is the geography (from the sites).

The file is a numpy .npz archive read with allow_pickle=False: arrays and one JSON header, no
Python objects, so reading a file from elsewhere runs no code from it. The header records the
format version, the gpsim version and a digest of the model's source; a file whose version or
digest differs from this program's is refused (docs/outputs.md, "Saved states").
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from sim.model.national import NationalState
from sim.scenario.errors import InputError
from sim.scenario.schema import Scenario, year_month
from sim.state import NetworkState, PracticeState

FORMAT = "gpsim saved state"
FORMAT_VERSION = 1
_SOURCES = (Path(__file__).resolve().parent, Path(__file__).resolve().parents[1] / "state.py",
            Path(__file__).resolve().parents[1] / "population" / "geography.py",
            Path(__file__).resolve().parents[1] / "scenario" / "schema.py")
_SKIPPED = ("derived", "starting_networks", "starting_network_months")   # a cache, and data used only to form the first networks


def gpsim_version() -> str:
    """Installed version of gpsim ('unknown' when run from a source tree)."""
    try:
        return metadata.version("gpsim")
    except metadata.PackageNotFoundError:
        return "unknown"


def model_digest() -> str:
    """SHA-256 (first 16 hex digits) of the source a saved state depends on: the model, the
    state arrays, the geography rebuilt from them and the scenario schema."""
    digest = hashlib.sha256()
    for source in _SOURCES:
        for path in sorted(source.rglob("*.py")) if source.is_dir() else [source]:
            digest.update(path.relative_to(source.parent).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class SavedState:
    """One replication's state at the start of month `origin + month`.

    Attributes:
        origin: month_number of the month the run's clock counts from (its month 0).
        month: months simulated since then.
        root_seed, replication: the keys of every random draw.
        kinds: organisation kind names in membership-row order.
        scenario: the scenario that was run, as JSON data; in_force: the parameters in force.
        practices, networks, national: the model's state.
        timeseries: national figures recorded so far, by column; snapshots: yearly practice
            snapshots so far (both empty when not kept).
        columns: the national figures recorded (None: all); keep_snapshots: whether it kept them.
    """

    origin: int
    month: int
    root_seed: int
    replication: int
    kinds: list[str]
    scenario: dict
    in_force: dict
    practices: PracticeState
    networks: NetworkState
    national: NationalState
    timeseries: dict[str, list] = field(default_factory=dict)
    snapshots: list[dict[str, np.ndarray]] = field(default_factory=list)
    columns: list[str] | None = None
    keep_snapshots: bool = True

    @property
    def at(self) -> str:
        """The month this state starts, YYYY-MM."""
        return year_month(self.origin + self.month)

    def copy(self, records: bool = True) -> "SavedState":
        """An independent copy (a run mutates its state), with or without the records so far."""
        practices = copy.copy(self.practices)
        for name in _array_fields(practices):
            setattr(practices, name, getattr(self.practices, name).copy())
        practices.derived = dict(self.practices.derived)   # shared values, never written in place
        networks = NetworkState(0)
        networks.count = self.networks.count
        for name in NetworkState.FIELDS:
            setattr(networks, name, getattr(self.networks, name).copy())
        national = copy.deepcopy(self.national)
        kept = (copy.deepcopy(self.timeseries), [dict(s) for s in self.snapshots]) if records else ({}, [])
        return dataclasses.replace(self, practices=practices, networks=networks, national=national,
                                   timeseries=kept[0], snapshots=kept[1])

    def scenario_run(self, source: str) -> Scenario:
        """The scenario this state was run under, validated."""
        return _validated(self.scenario, source, "scenario", self.kinds)

    def in_force_scenario(self, source: str) -> Scenario:
        """The parameters in force when the state was taken, validated."""
        return _validated(self.in_force, source, "in_force", self.kinds)


def _validated(data: dict, source: str, key: str, kinds: list[str]) -> Scenario:
    # The file keeps its JSON keys sorted, so the organisation kinds come back in the state's
    # membership-row order, not the file's.
    organisations = data.get("organisations")
    if isinstance(organisations, dict) and set(organisations) == set(kinds):
        data = {**data, "organisations": {name: organisations[name] for name in kinds}}
    try:
        return Scenario.model_validate(data)
    except ValueError:
        raise InputError(source, key, "expected a scenario this version of gpsim accepts; found one it does not") from None


def _national_figures(national: NationalState) -> dict[str, float]:
    """The national indices and this month's figures: every number NationalState holds, so an
    index added to it is saved without a change here."""
    return {f.name: getattr(national, f.name) for f in dataclasses.fields(national)
            if isinstance(getattr(national, f.name), (int, float))}


def _array_fields(practices: PracticeState) -> list[str]:
    return [f.name for f in dataclasses.fields(practices)
            if f.name not in _SKIPPED and isinstance(getattr(practices, f.name), np.ndarray)]


def capture(model) -> SavedState:
    """The model's state now (a GPModel between months), as an independent copy."""
    records = model.datacollector.model_vars
    state = SavedState(
        origin=model.start_month, month=model.month, root_seed=model.root_seed, replication=model.replication,
        kinds=list(model.kinds), scenario=model.scenario.model_dump(mode="json"),
        in_force=model.in_force.scenario.model_dump(mode="json"), practices=model.practices, networks=model.networks,
        national=model.national, timeseries={name: list(values) for name, values in records.items()},
        snapshots=list(model.snapshots), columns=model.national_columns, keep_snapshots=model.keep_snapshots)
    return state.copy()


# -- the file -------------------------------------------------------------------------------
def write_state(state: SavedState, path: str | Path) -> Path:
    """Write a saved state to `path` (an .npz archive), replacing it atomically."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    for name in _array_fields(state.practices):
        arrays[f"practices/{name}"] = getattr(state.practices, name)
    for name in NetworkState.FIELDS:
        arrays[f"networks/{name}"] = getattr(state.networks, name)
    for name, counts in state.national.events.items():
        arrays[f"events/{name}"] = counts
    for name, values in state.timeseries.items():
        arrays[f"timeseries/{name}"] = np.asarray(values)
    text_columns = set()
    for index, snapshot in enumerate(state.snapshots):
        for name, values in snapshot.items():
            if values.dtype == object:
                text_columns.add(name)
                values = values.astype(str)
            arrays[f"snapshots/{index}/{name}"] = values
    header = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "gpsim_version": gpsim_version(), "digest": model_digest(),
        "origin": state.origin, "month": state.month, "at": state.at, "root_seed": state.root_seed,
        "replication": state.replication, "kinds": state.kinds, "scenario": state.scenario, "in_force": state.in_force,
        "n_kinds": state.practices.n_kinds, "network_count": state.networks.count,
        "national": {**_national_figures(state.national), "ledger": state.national.ledger},
        "timeseries_columns": list(state.timeseries), "snapshots": len(state.snapshots),
        "snapshot_columns": list(state.snapshots[0]) if state.snapshots else [], "text_columns": sorted(text_columns),
        "columns": state.columns, "keep_snapshots": state.keep_snapshots,
    }
    arrays["header"] = np.frombuffer(json.dumps(header, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    partial.replace(path)
    return path


def read_header(path: str | Path) -> dict:
    """A saved state's header, checked: the format, its version, the gpsim version and the model
    digest must be this program's. Raises InputError naming the file and the problem."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            header = json.loads(archive["header"].tobytes().decode("utf-8"))
    except FileNotFoundError:
        raise InputError(str(path), "", "expected a saved state file; found no such file") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        raise InputError(str(path), "", "expected a saved state file (.npz with a gpsim header); found something else") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise InputError(str(path), "", "expected a saved state file (.npz with a gpsim header); found something else")
    checks = (("format_version", FORMAT_VERSION, "format version"), ("gpsim_version", gpsim_version(), "gpsim version"),
              ("digest", model_digest(), "model digest"))
    for key, expected, label in checks:
        if header.get(key) != expected:
            raise InputError(str(path), key, f"expected a state saved by this program ({label} {expected}); "
                                             f"found {label} {header.get(key)} (a stale or foreign file: run the spin-up again)")
    return header


def read_state(path: str | Path) -> SavedState:
    """Read a saved state written by `write_state`, checked as read_header checks it."""
    header = read_header(path)
    try:
        with np.load(Path(path), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        return _state_from(header, arrays)
    except (KeyError, ValueError, TypeError, OSError, zipfile.BadZipFile):
        raise InputError(str(path), "", "expected a complete saved state; found a damaged or incomplete file") from None


def _state_from(header: dict, arrays: dict[str, np.ndarray]) -> SavedState:
    stored = {name.split("/", 1)[1]: values for name, values in arrays.items() if name.startswith("practices/")}
    init = {f.name: stored[f.name] for f in dataclasses.fields(PracticeState) if f.init and f.name in stored}
    practices = PracticeState(**init, n_kinds=int(header["n_kinds"]))
    for name in _array_fields(practices):
        setattr(practices, name, stored[name])
    networks = NetworkState(0)
    networks.count = int(header["network_count"])
    for name, dtype in NetworkState.FIELDS.items():
        setattr(networks, name, arrays[f"networks/{name}"].astype(dtype, copy=False))
    figures = header["national"]
    national = NationalState(**{name: float(figures[name]) for name in _national_figures(NationalState())},
                             ledger=dict(figures["ledger"]),
                             events={name: arrays[f"events/{name}"] for name in NationalState().events})
    timeseries = {name: arrays[f"timeseries/{name}"].tolist() for name in header["timeseries_columns"]}
    text = set(header["text_columns"])
    snapshots = [{name: arrays[f"snapshots/{index}/{name}"].astype(object) if name in text else arrays[f"snapshots/{index}/{name}"]
                  for name in header["snapshot_columns"]} for index in range(header["snapshots"])]
    return SavedState(origin=int(header["origin"]), month=int(header["month"]), root_seed=int(header["root_seed"]),
                      replication=int(header["replication"]), kinds=list(header["kinds"]), scenario=header["scenario"],
                      in_force=header["in_force"], practices=practices, networks=networks, national=national,
                      timeseries=timeseries, snapshots=snapshots, columns=header["columns"],
                      keep_snapshots=bool(header["keep_snapshots"]))
