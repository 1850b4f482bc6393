"""Benchmark suite: the project's runs timed against the shared reference workload in one job.

    python benchmarks/run_benchmarks.py [--repeats N] [--quick]

Writes benchmarks/results.json. These machines are noisy, so the figures that count are the
ratios to the reference measured in the same job, not absolute seconds.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parents[1] / "shared" / "bench" / "reference.py"
if not REFERENCE.exists():
    REFERENCE = HERE.parent.parent / "shared" / "bench" / "reference.py"

TARGETS = {"england_10y_vs_mesa": 0.25, "england_10y_vs_mesa_aim": 0.12, "england_peak_mb": 300,
           "scale_20000_vs_6500": 3.5, "scale_240_vs_120_months": 2.2}


def _json_line(command: list[str]) -> dict:
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=HERE.parent)
    return json.loads(done.stdout.strip().splitlines()[-1])


def reference(way: str, repeats: int) -> dict:
    result = _json_line([sys.executable, str(REFERENCE), way, "6500", "120", str(repeats)])
    return {"best_s": result["best_s"], "median_s": statistics.median(result["all_s"]), "all_s": result["all_s"],
            "peak_mb": result["peak_mb"]}


def project(practices: int, months: int, repeats: int) -> dict:
    result = _json_line([sys.executable, str(HERE / "project_case.py"), str(practices), str(months), str(repeats)])
    times = result["times_s"]
    return {"practices": practices, "months": months, "best_s": min(times), "median_s": statistics.median(times),
            "all_s": [round(t, 4) for t in times], "peak_mb": result["peak_mb"]}


def versions() -> dict:
    from sim.outputs import versions as package_versions
    return package_versions()


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--repeats", type=int, default=5)
    options.add_argument("--quick", action="store_true", help="fewer repeats and no 20,000-practice case")
    options.add_argument("--out", default=str(HERE / "results.json"))
    args = options.parse_args()
    repeats = 2 if args.quick else args.repeats
    cases = {
        "reference_mesa": reference("mesa", min(repeats, 3)),
        "reference_numpy": reference("numpy", repeats),
        "england_10y": project(6500, 120, repeats),
        "england_20y": project(6500, 240, repeats),
    }
    if not args.quick:
        cases["practices_20000_10y"] = project(20000, 120, max(2, repeats // 2))
    sweep = HERE / "sweep_results.json"
    if sweep.exists():
        cases["sweep"] = json.loads(sweep.read_text())
    mesa, numpy_ref, england = cases["reference_mesa"]["best_s"], cases["reference_numpy"]["best_s"], cases["england_10y"]["best_s"]
    ratios = {
        "england_10y_vs_mesa": england / mesa,
        "england_10y_vs_numpy": england / numpy_ref,
        "scale_240_vs_120_months": cases["england_20y"]["best_s"] / england,
    }
    if "practices_20000_10y" in cases:
        ratios["scale_20000_vs_6500"] = cases["practices_20000_10y"]["best_s"] / england
    checks = {
        "england_10y_vs_mesa <= 0.25": ratios["england_10y_vs_mesa"] <= TARGETS["england_10y_vs_mesa"],
        "england_peak_mb < 300": cases["england_10y"]["peak_mb"] < TARGETS["england_peak_mb"],
        "scale_240_vs_120_months <= 2.2": ratios["scale_240_vs_120_months"] <= TARGETS["scale_240_vs_120_months"],
    }
    if "scale_20000_vs_6500" in ratios:
        checks["scale_20000_vs_6500 <= 3.5"] = ratios["scale_20000_vs_6500"] <= TARGETS["scale_20000_vs_6500"]
    report = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "processor": platform.machine()},
        "versions": versions(),
        "cases": cases,
        "ratios": {k: round(v, 4) for k, v in ratios.items()},
        "targets": TARGETS,
        "meets": checks,
    }
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({"ratios": report["ratios"], "meets": checks}, indent=2))


if __name__ == "__main__":
    main()
