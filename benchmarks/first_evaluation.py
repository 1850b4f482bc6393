"""The first evaluation in a new process: what a notebook, a workbench's worker or a fresh
`python -c` pays before its first answer.

    python benchmarks/first_evaluation.py [--rounds N]

Each round starts fresh processes (numba's cache already full, as after the first run on a
machine) and times, in each: importing gpsim, the first `sim.evaluate()` of the full history
scenario (8,044 practices, April 2013 to April 2024), and a second one in the same process; it
records which heavy libraries the run path loaded (networkx, matplotlib). In the same rounds it
times the shared reference workload (benchmarks/reference.py, idiomatic Mesa, 6,500 practices,
120 months), so the figures are also given as ratios to it: these machines are noisy, and
absolute seconds from different jobs are not comparable. Writes benchmarks/first_evaluation.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "reference.py"  # the shared reference workload, vendored unchanged
TARGET_FIRST_S = 1.5  # the first evaluation in a new process at full size (issue target, seconds)

CASE = """
import json, sys, time
clock = time.perf_counter()
import sim
evaluate = sim.evaluate
imported = time.perf_counter()
evaluate()
first = time.perf_counter()
evaluate()
second = time.perf_counter()
print(json.dumps({"import_s": imported - clock, "first_evaluation_s": first - imported,
                  "second_evaluation_s": second - first,
                  "loaded": {name: name in sys.modules for name in ("networkx", "matplotlib", "solara", "optuna", "dask")}}))
"""


def _json_line(command: list[str], environment: dict) -> dict:
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=tempfile.gettempdir(), env=environment)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(Path(tempfile.gettempdir()) / "gpsim-benchmark-numba")}
    _json_line([sys.executable, "-c", CASE], environment)  # fills numba's cache: later processes load it
    rounds = []
    for _ in range(args.rounds):
        case = _json_line([sys.executable, "-c", CASE], environment)
        reference = _json_line([sys.executable, str(REFERENCE), "mesa", "6500", "120", "1"], environment)
        case["reference_mesa_s"] = reference["best_s"]
        rounds.append(case)
        print(json.dumps(case), flush=True)

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    def ratio(key: str) -> float:
        return statistics.median(r[key] / r["reference_mesa_s"] for r in rounds)

    first_total = statistics.median(r["import_s"] + r["first_evaluation_s"] for r in rounds)
    summary = {
        "measured": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"processor": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "python": platform.python_version()},
        "rounds": rounds,
        "median_s": {key: round(median(key), 3) for key in ("import_s", "first_evaluation_s", "second_evaluation_s",
                                                             "reference_mesa_s")},
        "import_and_first_evaluation_s": round(first_total, 3),
        "ratio_to_reference_mesa": {key: round(ratio(key), 3) for key in ("import_s", "first_evaluation_s",
                                                                          "second_evaluation_s")},
        "loaded_on_the_run_path": rounds[-1]["loaded"],
        "target": {"import_and_first_evaluation_s": TARGET_FIRST_S, "met": first_total < TARGET_FIRST_S},
    }
    (HERE / "first_evaluation.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({key: summary[key] for key in ("median_s", "import_and_first_evaluation_s", "ratio_to_reference_mesa",
                                                    "loaded_on_the_run_path", "target")}, indent=2))


if __name__ == "__main__":
    main()
