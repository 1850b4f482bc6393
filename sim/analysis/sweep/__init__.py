"""Parameter sweeps: a sweep file, its design, the runs, their results on disk and sensitivity.

A sweep file names a base scenario, the scenario fields to vary (by key path), a design (full
grid, Latin hypercube, Sobol or Morris), replications, the outcomes to keep and a root seed.

    spec         the sweep file's schema
    load         reading and checking a sweep file against its base scenario
    design       the design points and each run's point, replication and seed
    store        the sweep folder: part files, runs.parquet, manifest
    backends     local worker processes or a Dask cluster, and the run each worker makes
    driver       run_sweep: what is missing, in flight, written in batches
    sensitivity  Sobol and Morris indices and their chart
"""
from sim.analysis.sweep.backends import (
           DaskBackend,
           LocalBackend,
           run_one,
           scheduler_address,
)
from sim.analysis.sweep.design import Sweep
from sim.analysis.sweep.driver import SweepReport, run_sweep
from sim.analysis.sweep.load import load_sweep
from sim.analysis.sweep.sensitivity import sensitivity
from sim.analysis.sweep.store import RunStore

__all__ = ["DaskBackend", "LocalBackend", "RunStore", "Sweep", "SweepReport", "load_sweep", "run_one", "run_sweep",
           "scheduler_address", "sensitivity"]
