"""gpsim sweep: run a parameter sweep (grid, Latin hypercube, Sobol, Morris) locally or on a
Dask cluster, resumable, with sensitivity indices for Sobol and Morris designs."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from .run import add_uncertainty_option


def register(commands) -> None:
    parser = commands.add_parser("sweep", help="run a parameter sweep and (for sobol/morris) its sensitivity analysis",
                                 description="Run a sweep file. Started again with the same folder, it finishes the runs "
                                             "that are missing; the results are the same as an uninterrupted sweep.")
    parser.add_argument("sweep", help="sweep YAML file (see scenarios/sweeps/)")
    parser.add_argument("--out", help="sweep folder (default: outputs/sweep-<name>); reused to resume")
    parser.add_argument("--workers", type=int, help="local worker processes (default: the number of cores)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on an existing Dask cluster, e.g. tcp://host:8786 (default: $DASK_SCHEDULER_ADDRESS if set, else local processes)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_uncertainty_option(parser, "the sweep file's `uncertainty`, else parameters for a base scenario that starts "
                                   "from another run (start_from), stochastic otherwise; varied and `set` fields keep their values")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from sim.analysis.sweep import (
        DaskBackend,
        RunStore,
        load_sweep,
        run_sweep,
        scheduler_address,
    )
    from sim.scenario.errors import InputError

    sweep = load_sweep(args.sweep, args.uncertainty)
    from sim.results.destination import destination_lock

    folder = Path(args.out) if args.out else Path("outputs") / f"sweep-{sweep.spec.name}"
    RunStore(folder, sweep).check()  # refuses a folder holding something else, before any run
    destination_lock(folder)  # a second sweep into the folder stops here, naming this process
    target = scheduler_address(args.scheduler)
    backend = None
    if target is not None:
        if args.workers:
            raise InputError("--workers", "", "expected no --workers with a Dask scheduler (the cluster has its own); found both")
        backend = DaskBackend(*target)
    where = f"Dask scheduler {target[0]}" if target else f"{args.workers or 'all'} local worker(s)"
    bar = None

    def on_start(done: int, total: int) -> None:
        nonlocal bar
        print(f"{sweep.spec.name}: {sweep.spec.design} design, {sweep.points} point(s) x {sweep.spec.replications} "
              f"replication(s) = {total} runs; {done} already done; on {where}", file=sys.stderr)
        bar = tqdm(total=total, initial=done, unit="run", desc=sweep.spec.name, disable=args.quiet or None,
                   file=sys.stderr, mininterval=0.5, smoothing=0.1)

    try:
        report = run_sweep(sweep, folder, workers=args.workers, backend=backend, on_start=on_start,
                           progress=lambda n: bar.update(n) if bar is not None else None)
    except BaseException as stop:  # Ctrl-C outside the runs, or SIGTERM: finished runs are on disk
        if isinstance(stop, (Exception, SystemExit)) or not folder.is_dir():
            raise
        if bar is not None:
            bar.close()
            bar = None
        kept = len(RunStore(folder, sweep).done())
        how, status = ("interrupted", 130) if isinstance(stop, KeyboardInterrupt) else ("terminated", 143)
        print(f"gpsim: {how}; {kept} of {sweep.total_runs} runs kept in {folder}; run the same command again to finish",
              file=sys.stderr)
        return status
    finally:
        if bar is not None:
            bar.close()
        if backend is not None:
            backend.close()
    if report.interrupted:
        print(f"gpsim: interrupted; {report.already + report.ran} of {report.total} runs kept in {report.folder}; "
              f"run the same command again to finish", file=sys.stderr)
        return 130
    print(f"{report.total} runs in {report.folder / 'runs.parquet'} ({report.ran} run now, {report.already} before; "
          f"{report.seconds:.1f} s)")
    if report.sensitivity:
        print(f"Sensitivity indices in {report.sensitivity}; chart in {report.folder / 'sensitivity.png'}")
    return 0

