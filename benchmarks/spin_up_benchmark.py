"""Spin-up saving: a comparison of the three shipped 2024 scenarios, which all start from the
history's simulated April 2024, with the spin-ups shared against spun up for every run.

    python benchmarks/spin_up_benchmark.py [--replications 2]

Measures, in one job:
  - the shared reference workload (`reference.py mesa`: 6,500 practices, 120 months);
  - `sim.compare` of status_quo_2024, networks_100k_2024 and roles_withdrawn_2024 (full England),
    once with the in-memory spin-up cache (each replication's history run once, three forward
    runs branched from it) and once with the cache emptied before every run (history run
    again for every forward run, as without saved states).

Writes benchmarks/spin_up_results.json. These machines are noisy and shared, so the figures
that travel are the ratio of the two and each against the reference measured in the same job.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
REFERENCE = HERE / "reference.py"  # the shared reference workload, vendored unchanged
SCENARIOS = [ROOT / "scenarios" / f"{name}.yaml" for name in ("status_quo_2024", "networks_100k_2024", "roles_withdrawn_2024")]


def reference() -> dict:
    """The reference workload as its own script prints it."""
    done = subprocess.run([sys.executable, str(REFERENCE), "mesa"], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def timed_compare(replications: int, shared: bool) -> float:
    """Seconds for the comparison, spin-ups shared or repeated for every run."""
    import sim
    from sim.results import start
    start.forget_spin_ups()
    kept = start.KEPT_SPIN_UPS
    if not shared:
        start.KEPT_SPIN_UPS = 0   # every run spins its history up again
    try:
        clock = time.perf_counter()
        sim.compare(SCENARIOS, replications=replications)
        return time.perf_counter() - clock
    finally:
        start.KEPT_SPIN_UPS = kept
        start.forget_spin_ups()


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--replications", type=int, default=2)
    args = options.parse_args()
    timed_compare(1, True)   # compiles and caches the numba kernels outside the timings
    ref = reference()
    shared, repeated = [], []
    for _ in range(2):   # interleaved, best of two each, so that load on the machine falls on both alike
        shared.append(timed_compare(args.replications, True))
        repeated.append(timed_compare(args.replications, False))
    shared, repeated = min(shared), min(repeated)
    result = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "replications": args.replications, "scenarios": [p.stem for p in SCENARIOS],
        "reference_mesa_seconds": round(ref["best_s"], 2),
        "compare_shared_spin_ups_seconds": round(shared, 2),
        "compare_repeated_spin_ups_seconds": round(repeated, 2),
        "saving_ratio_repeated_over_shared": round(repeated / shared, 2),
    }
    result["shared_over_reference"] = round(shared / ref["best_s"], 2)
    result["repeated_over_reference"] = round(repeated / ref["best_s"], 2)
    (HERE / "spin_up_results.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
