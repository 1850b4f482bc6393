"""Time one full model run from the Python API (set-up, every month, the national series and the
yearly practice snapshots as tables), imports excluded; prints one JSON line.

    python benchmarks/project_case.py PRACTICES MONTHS REPEATS [FIRST_REPLICATION]

A process's first call of the numba kernels loads them from numba's on-disk cache, or compiles
them where the cache is empty: a small run before the timed ones pays that once, and its time is
reported apart as warm_up_s.
"""
import json
import resource
import sys
import time
from pathlib import Path

from sim.model.model import GPModel
from sim.scenario.loading import load

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "history_2013_2023.yaml"


def main() -> None:
    practices, months, repeats = (int(a) for a in sys.argv[1:4])
    first = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    start = time.perf_counter()
    GPModel(load(SCENARIO, ["population.practices=200"])).run()
    warm_up = time.perf_counter() - start
    scenario = load(SCENARIO, [f"population.practices={practices}", f"months={months}"])
    times = []
    for repeat in range(repeats):
        start = time.perf_counter()
        model = GPModel(scenario, replication=first + repeat).run()
        model.timeseries(), model.practice_table()  # the national series and the yearly snapshots
        times.append(time.perf_counter() - start)
    print(json.dumps({"practices": practices, "months": months, "times_s": times, "warm_up_s": warm_up,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "networks_at_end": int(model.networks.view("active").sum())}))


if __name__ == "__main__":
    main()
