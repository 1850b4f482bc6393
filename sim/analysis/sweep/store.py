"""A sweep folder on disk: sweep.yaml, base_scenario.yaml, manifest.json, part files while running
and runs.parquet when done.

Results stream to disk in part files (one per batch of finished runs, each written whole under a
temporary name then renamed), so a sweep killed at any moment resumes where it stopped; at the
end the parts are gathered into runs.parquet, sorted by run id, identical whatever happened on
the way.
"""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from sim.analysis.sweep.design import Sweep
from sim.results.folder import atomic_file, write_manifest
from sim.scenario.errors import InputError

SWEEP_PACKAGES = ("SALib", "dask", "distributed")  # versions recorded beside the usual ones


def write_table(path: Path, table: pa.Table) -> None:
    """Write a parquet table whole or not at all."""
    with atomic_file(path) as work:
        pq.write_table(table, work, compression="zstd")


def write_bytes(path: Path, data: bytes) -> None:
    """Write a file whole or not at all."""
    with atomic_file(path) as work:
        work.write_bytes(data)


class RunStore:
    """A sweep folder: sweep.yaml, manifest.json, parts/ while running, runs.parquet when done."""

    def __init__(self, folder: Path, sweep: Sweep):
        self.folder, self.sweep = Path(folder), sweep
        self.parts = self.folder / "parts"
        self.runs = self.folder / "runs.parquet"
        self.manifest_path = self.folder / "manifest.json"
        self.schema = sweep.schema()
        self._next_part = 0

    # state ----------------------------------------------------------------------------------
    def check(self) -> str:
        """'new', 'resume' or 'complete'; InputError if the folder holds something else."""
        folder = self.folder
        if folder.exists() and not folder.is_dir():
            raise InputError(folder, "", "expected a folder for the sweep; found a file")
        if not folder.exists() or not any(folder.iterdir()):
            return "new"
        if not self.manifest_path.is_file():
            if self._half_started():
                return "new"  # a sweep killed before its manifest was written: start() writes it all again
            raise InputError(folder, "", "expected a new folder or one holding this sweep; found other files (choose another --out)")
        try:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InputError(self.manifest_path, "", "expected the manifest of a sweep; found unreadable JSON") from None
        if manifest.get("fingerprint") != self.sweep.fingerprint():
            raise InputError(folder, "", f"expected the sweep this folder was started with ('{manifest.get('sweep')}'); found a different sweep file, base scenario or setting (choose another --out)")
        return "complete" if manifest.get("status") == "complete" and self.runs.is_file() else "resume"

    def _half_started(self) -> bool:
        """Whether the folder holds only what start() writes before the manifest: sweep.yaml,
        base_scenario.yaml, an empty parts/ folder and temporary files being written."""
        for entry in self.folder.iterdir():
            if entry.is_symlink():
                return False
            if entry.name == "parts" and entry.is_dir():
                if any(not part.name.startswith(".") or ".partial-" not in part.name for part in entry.iterdir()):
                    return False
            elif not (entry.is_file() and (entry.name in ("sweep.yaml", "base_scenario.yaml")
                                           or (entry.name.startswith(".") and ".partial-" in entry.name))):
                return False
        return True

    def start(self) -> None:
        """Create the folder and write the resolved sweep and the manifest (once)."""
        self.parts.mkdir(parents=True, exist_ok=True)
        for stale in [*self.parts.glob(".*.partial-*"), *self.folder.glob(".*.partial-*")]:  # being written when killed
            if stale.is_file():
                stale.unlink(missing_ok=True)
        if not self.manifest_path.is_file():
            resolved = self.sweep.spec.model_dump(mode="json")
            resolved["scenario"] = str(self.sweep.scenario_path)
            text = "# The sweep as run (resolved). base_scenario.yaml holds the base scenario with `set` applied.\n"
            write_bytes(self.folder / "sweep.yaml", (text + yaml.safe_dump(resolved, sort_keys=False)).encode("utf-8"))
            write_bytes(self.folder / "base_scenario.yaml", yaml.safe_dump(self.sweep.base, sort_keys=False).encode("utf-8"))
            self.write_manifest(status="running")
        numbers = [int(p.stem.split("-")[1]) for p in self.parts.glob("part-*.parquet")]
        self._next_part = max(numbers, default=-1) + 1

    def write_manifest(self, **changes: Any) -> None:
        """Write manifest.json: what the sweep is, with `changes` (status, times) on top."""
        if self.manifest_path.is_file():
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        else:
            sweep = self.sweep
            manifest = {"sweep": sweep.spec.name, "source": sweep.source, "scenario": str(sweep.scenario_path),
                        "fingerprint": sweep.fingerprint(), "design": sweep.spec.design, "points": sweep.points,
                        "replications": sweep.spec.replications, "runs": sweep.total_runs,
                        "parameters": [v.key for v in sweep.varied], "outcomes": sweep.outcomes,
                        "series": list(sweep.spec.series), "seed": sweep.spec.seed,
                        "uncertainty": sweep.spec.uncertainty,
                        "started": now()}
        manifest.update(changes)
        write_manifest(self.folder, manifest, files=False, extra_versions=SWEEP_PACKAGES)

    def done(self) -> set[int]:
        """Run ids already on disk."""
        if self.runs.is_file():
            return set(pq.read_table(self.runs, columns=["run_id"]).column(0).to_pylist())
        ids: set[int] = set()
        for part in sorted(self.parts.glob("part-*.parquet")):
            ids.update(pq.read_table(part, columns=["run_id"]).column(0).to_pylist())
        return ids

    # writing --------------------------------------------------------------------------------
    def append(self, rows: list[dict[str, Any]]) -> None:
        """Write a batch of finished runs as one part file (temporary name, then rename)."""
        if not rows:
            return
        table = pa.Table.from_pylist(rows, schema=self.schema)
        write_table(self.parts / f"part-{self._next_part:06d}.parquet", table)
        self._next_part += 1

    def consolidate(self) -> None:
        """Gather the parts into runs.parquet, sorted by run id; then remove the parts."""
        if not self.runs.is_file():
            parts = sorted(self.parts.glob("part-*.parquet"))
            tables = [pq.read_table(p, schema=self.schema) for p in parts]
            table = pa.concat_tables(tables) if tables else self.schema.empty_table()
            table = table.sort_by("run_id")
            ids = table.column("run_id").to_numpy()
            expected = np.arange(self.sweep.total_runs)
            if len(ids) != len(expected) or not np.array_equal(ids, expected):
                raise RuntimeError(f"runs on disk do not match the design ({len(ids)} of {len(expected)})")
            write_table(self.runs, table.combine_chunks())
        shutil.rmtree(self.parts, ignore_errors=True)



def now() -> str:
    """The time, UTC, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
