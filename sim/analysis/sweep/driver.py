"""Running a sweep: whatever runs are not yet on disk, a few per worker in flight, finished runs
written in batches; then the runs gathered and, for Sobol and Morris designs, analysed."""
from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from sim.analysis import evaluate as experiment
from sim.analysis.sweep.backends import LocalBackend, run_one
from sim.analysis.sweep.design import Sweep
from sim.analysis.sweep.sensitivity import write_sensitivity
from sim.analysis.sweep.spin_ups import shared_spin_ups
from sim.analysis.sweep.store import RunStore, now
from sim.report.notebook import html_table


@dataclass
class SweepReport:
    """What a call to run_sweep did."""

    folder: Path
    total: int
    ran: int
    already: int
    seconds: float
    interrupted: bool = False
    sensitivity: Path | None = None

    def _repr_html_(self) -> str:
        """In a notebook: what ran, and each outcome's median and 90% range across the runs
        (with the most influential parameter, for Sobol and Morris designs)."""
        import pandas as pd

        state = "interrupted" if self.interrupted else "complete"
        lines = [f"{self.total} runs ({self.ran} run now, {self.already} already done), {state}; {self.seconds:.1f} s"]
        runs_file = self.folder / "runs.parquet"
        if not runs_file.exists():
            return html_table(f"Sweep {self.folder.name}", lines, pd.DataFrame())
        runs = pd.read_parquet(runs_file)
        names = [name for name in experiment.OUTCOMES if name in runs.columns]
        top = {}
        if self.sensitivity is not None:
            indices = pd.read_csv(self.sensitivity)
            top = dict(indices[indices["rank"] == 1][["outcome", "parameter"]].itertuples(index=False))
        rows = [{"outcome": name, "median": f"{runs[name].median():.4g}",
                 "90% of runs": f"{runs[name].quantile(0.05):.4g} to {runs[name].quantile(0.95):.4g}",
                 **({"most influential": top.get(name, "")} if top else {})} for name in names]
        return html_table(f"Sweep {self.folder.name}", lines, pd.DataFrame(rows))


def run_sweep(sweep: Sweep, folder: str | Path, *, workers: int | None = None, backend: Any = None,
              progress: Callable[[int], None] | None = None, batch_rows: int | None = None,
              flush_seconds: float = 5.0, on_start: Callable[[int, int], None] | None = None) -> SweepReport:
    """Run whatever runs of the sweep are not yet in folder, then gather and analyse them.

    Args:
        sweep: a loaded sweep (load_sweep).
        folder: the sweep folder (created, or resumed when it holds this sweep).
        workers: local worker processes (default: the number of cores), when no backend is given.
        backend: a LocalBackend or DaskBackend to use instead.
        progress: called with the number of runs that just finished.
        batch_rows: finished runs per part file (default: 4 per worker, at least 8).
        flush_seconds: also write a part when this long has passed since the last one.
        on_start: called with (runs already done, total) before any run starts.
    """
    store = RunStore(Path(folder), sweep)
    state = store.check()
    started = time.perf_counter()
    store.start()
    done = store.done()
    total = sweep.total_runs
    if on_start:
        on_start(len(done), total)
    todo = [i for i in range(total) if i not in done]
    ran, interrupted = 0, False
    if len(done) < total and state != "complete":
        own = backend is None
        backend = backend or LocalBackend(workers or os.cpu_count() or 1)
        limit = batch_rows or max(8, 4 * backend.workers)
        try:
            spin_ups = shared_spin_ups(sweep, store.folder, todo, backend)
            ran = _drain(sweep, store, backend, iter(todo), limit, flush_seconds, progress, spin_ups)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if own:
                backend.close(cancel=True)
        if interrupted:
            kept = len(store.done())
            return SweepReport(store.folder, total, kept - len(done), len(done), time.perf_counter() - started, interrupted=True)
    store.consolidate()
    path = None
    if sweep.spec.design in ("sobol", "morris"):
        path = write_sensitivity(sweep, store.folder)
    store.write_manifest(status="complete", finished=now())
    return SweepReport(store.folder, total, ran, len(done), time.perf_counter() - started, sensitivity=path)


def _drain(sweep: Sweep, store: RunStore, backend: Any, todo: Iterator[int], batch: int, flush_seconds: float,
           progress: Callable[[int], None] | None, spin_ups: dict[int, Path]) -> int:
    """Keep a few runs per worker in flight; write finished runs in batches; return runs made.
    A point in `spin_ups` branches from the states in its folder."""
    spec, base = sweep.spec, sweep.base
    in_flight = max(2, 2 * backend.workers)
    pending: set = set()
    buffer: list[dict] = []
    last_flush, made = time.monotonic(), 0

    def fill() -> None:
        for run_id in itertools.islice(todo, in_flight - len(pending)):
            run_id, point, replication, seed, values = sweep.run(run_id)
            pending.add(backend.submit(run_one, base, run_id, point, replication, seed, values,
                                       list(spec.outcomes), list(spec.series), _text(spin_ups.get(point)),
                                       spec.uncertainty, tuple(spec.set)))

    try:
        fill()
        while pending:
            finished, pending_now = backend.wait(pending)
            pending.clear()
            pending.update(pending_now)
            for future in finished:
                buffer.append(future.result())
            made += len(finished)
            if progress:
                progress(len(finished))
            fill()
            if len(buffer) >= batch or time.monotonic() - last_flush >= flush_seconds or not pending:
                store.append(buffer)
                buffer, last_flush = [], time.monotonic()
    finally:
        if buffer:  # keep every finished run, even when stopping
            store.append(buffer)
    return made


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)
