"""Time one full model run from the Python API (set-up, every month, the national series and the
yearly practice snapshots as tables), imports excluded; prints one JSON line.

    python benchmarks/project_case.py PRACTICES MONTHS REPEATS [FIRST_REPLICATION]
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
    scenario = load(SCENARIO, [f"population.practices={practices}", f"months={months}"])
    times = []
    for repeat in range(repeats):
        start = time.perf_counter()
        model = GPModel(scenario, replication=first + repeat).run()
        model.timeseries(), model.practice_table()  # the national series and the yearly snapshots
        times.append(time.perf_counter() - start)
    print(json.dumps({"practices": practices, "months": months, "times_s": times,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "networks_at_end": int(model.networks.view("active").sum())}))


if __name__ == "__main__":
    main()
