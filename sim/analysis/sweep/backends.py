"""Where a sweep's runs are computed: a pool of local worker processes or a Dask cluster, and the
function each worker runs."""
from __future__ import annotations

import gc
import os
import re
import signal
import time
from concurrent import futures as cf
from typing import Any, Callable

import numpy as np

from sim.analysis import evaluate as experiment
from sim.results.parameter_sets import PARAMETERS, STOCHASTIC, set_numbers
from sim.scenario.errors import InputError
from sim.scenario.loading import resolve

SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
_SCHEDULER = re.compile(r"^(tcp|tls|ucx|ws|wss|inproc)://[^\s/]+$")


def run_one(base: dict, run_id: int, point: int, replication: int, seed: int, values: dict[str, Any],
            outcomes: list[str], series: list[str], spin_ups: str | None = None,
            uncertainty: str = STOCHASTIC, kept: tuple[str, ...] = ()) -> dict[str, Any]:
    """One run of a sweep: a row of runs.parquet (module-level so it pickles); a forward
    scenario branches from its replication's state in the folder `spin_ups` when it is there.
    With uncertainty 'parameters' the run takes its parameter set of the calibration ensemble
    (recorded as parameter_set), except for the varied fields and those in `kept`."""
    scenario = resolve(base, values, seed=seed)
    timeseries, slots = experiment.simulate(scenario, replication=replication,
                                            national=experiment.columns_read(outcomes, series), spin_ups=spin_ups,
                                            uncertainty=uncertainty, kept=kept)
    row = {"run_id": run_id, "point": point, "replication": replication, "seed": seed}
    if uncertainty == PARAMETERS:
        row["parameter_set"] = set_numbers(uncertainty, seed, replication + 1)[replication]
    row.update(values)
    for name, value in experiment.summarise(timeseries, slots, outcomes, series).items():
        row[name] = value.tolist() if isinstance(value, np.ndarray) else value
    gc.collect()  # a model and its agents form reference cycles: free them now, not at some later run
    return row


def _worker_start(parent: int) -> None:
    """Worker set-up: leave Ctrl-C to the parent, stop if the parent is killed, import the
    model once."""
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)  # the sweep process is gone (kill -9): its runs will be made again on restart

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    # The libraries' own objects live as long as the worker: leave them out of the collections
    # that free each finished model, which then take a third of the time.
    gc.collect()
    gc.freeze()


class LocalBackend:
    """A persistent pool of worker processes (each imports the model once)."""

    def __init__(self, workers: int):
        import multiprocessing
        self.workers = workers
        self.pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_worker_start, initargs=(os.getpid(),))

    def submit(self, fn: Callable, *args: Any):
        return self.pool.submit(fn, *args)

    def wait(self, pending: set) -> tuple[set, set]:
        done, rest = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
        return set(done), set(rest)

    def close(self, cancel: bool = False) -> None:
        self.pool.shutdown(wait=True, cancel_futures=cancel)


class DaskBackend:
    """An existing Dask distributed cluster, reached through its scheduler."""

    def __init__(self, address: str, source: str = "--scheduler", timeout: float = 5.0):
        self.address = address
        self.client = connect_dask(address, timeout, source)
        info = self.client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))

    def submit(self, fn: Callable, *args: Any):
        return self.client.submit(fn, *args, pure=False)

    def wait(self, pending: set) -> tuple[set, set]:
        from distributed import wait
        with self.client.as_current():
            done, rest = wait(list(pending), return_when="FIRST_COMPLETED")
        return set(done), set(rest)

    def close(self, cancel: bool = False) -> None:
        self.client.close()


def scheduler_address(option: str | None) -> tuple[str, str] | None:
    """The Dask scheduler to use: --scheduler, else DASK_SCHEDULER_ADDRESS, else None (local);
    an address without a protocol (host:port) is taken as tcp://, as Dask does."""
    if option:
        address, source = option, "--scheduler"
    elif os.environ.get(SCHEDULER_ENV):
        address, source = os.environ[SCHEDULER_ENV], SCHEDULER_ENV
    else:
        return None
    address = address.strip()
    if "://" not in address:
        address = f"tcp://{address}"  # host:port, as Dask itself takes it
    if not _SCHEDULER.match(address):
        raise InputError(source, "", f"expected a scheduler address such as tcp://host:8786 or host:8786; found '{address}'")
    return address, source


def connect_dask(address: str, timeout: float = 5.0, source: str = "--scheduler"):
    """A Client connected to the scheduler at address, or InputError if none answers."""
    import logging

    from distributed import Client
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
        raise InputError(source, "", f"expected a Dask scheduler answering at {address} within {timeout:g} s; found none ({reason})") from None

