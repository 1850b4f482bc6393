"""Benchmark suite: the project's runs timed against the shared reference workload in one job.

    python benchmarks/run_benchmarks.py [--rounds N] [--sweep-runs N] [--quick]

Times, in one job:
  - the reference workload (benchmarks/reference.py, vendored unchanged) in its idiomatic-Mesa and numpy forms;
  - the project's full-England run (6,500 practices, 120 months, every mechanism, national
    series and yearly snapshots) from the Python API, imports excluded, and the same at 240
    months and at 20,000 practices;
  - a sweep of full-England runs on 2 workers (100 runs by default);
  - the kernels' compile time on an empty numba cache, and their load time from a full one.

These machines are noisy and their speed drifts by half over minutes, so the cases run in
interleaved rounds (each round runs every case once, each in a fresh process) and a ratio is
reported two ways: the median of the ratios within each round (runs made minutes apart, on the
machine as it was then), which the targets are judged on, and best time over best time. The
sweep's minutes are absolute, so results.json also gives its seconds per run as a ratio to the
reference measured in the same job. Writes benchmarks/results.json.
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

TARGETS = {"england_10y_vs_mesa": 0.25, "england_10y_vs_mesa_aim": 0.12, "england_peak_mb": 300,
           "scale_20000_vs_6500": 3.5, "scale_240_vs_120_months": 2.2, "sweep_1000_runs_minutes_2_workers": 10.0}
PROJECT_CASES = {"england_10y": (6500, 120), "england_20y": (6500, 240), "practices_20000_10y": (20000, 120)}


def _json_line(command: list[str], environment: dict | None = None) -> dict:
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=HERE.parent, env=environment)
    return json.loads(done.stdout.strip().splitlines()[-1])


def reference_run(way: str, repeats: int) -> tuple[list[float], float]:
    """Times (s) and peak memory (MB) of the shared reference in one process."""
    result = _json_line([sys.executable, str(REFERENCE), way, "6500", "120", str(repeats)])
    return result["all_s"], result["peak_mb"]


def project_run(practices: int, months: int, repeats: int, first_replication: int) -> tuple[list[float], float]:
    """Times (s) and peak memory (MB) of the project's run in one process."""
    result = _json_line([sys.executable, str(HERE / "project_case.py"), str(practices), str(months), str(repeats),
                         str(first_replication)])
    return result["times_s"], result["peak_mb"]


def summary(times_by_round: list[list[float]], peaks: list[float], **extra) -> dict:
    times = [t for round_times in times_by_round for t in round_times]
    return {**extra, "best_s": round(min(times), 4), "median_s": round(statistics.median(times), 4),
            "by_round_s": [[round(t, 4) for t in r] for r in times_by_round], "peak_mb": round(max(peaks), 1)}


def ratios_of(case: dict, against: dict) -> dict:
    """Best over best, and the median of the within-round ratios of best times."""
    within = [min(a) / min(b) for a, b in zip(case["by_round_s"], against["by_round_s"])]
    return {"best_over_best": round(case["best_s"] / against["best_s"], 4),
            "median_within_rounds": round(statistics.median(within), 4),
            "within_rounds": [round(r, 4) for r in within]}


def timed_rounds(rounds: int, include_20000: bool) -> dict:
    """Every case once per round, rounds interleaved so that drift touches them alike."""
    names = ["reference_mesa", "reference_numpy", "england_10y", "england_20y"] + (["practices_20000_10y"] if include_20000 else [])
    times: dict[str, list[list[float]]] = {name: [] for name in names}
    peaks: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(rounds):
        for name in names:
            # The two cases whose ratio is the headline get the same number of runs per round.
            if name.startswith("reference"):
                run_times, peak = reference_run(name.split("_")[1], 2 if name == "reference_mesa" else 3)
            else:
                practices, months = PROJECT_CASES[name]
                repeats = 2 if name == "england_10y" else 1
                run_times, peak = project_run(practices, months, repeats, round_number * repeats)
            times[name].append(run_times)
            peaks[name].append(peak)
        print(f"round {round_number + 1}/{rounds}: " + ", ".join(f"{n} {min(times[n][-1]):.2f}s" for n in names), file=sys.stderr)
    cases = {}
    for name in names:
        extra = {"practices": PROJECT_CASES[name][0], "months": PROJECT_CASES[name][1]} if name in PROJECT_CASES else {}
        cases[name] = summary(times[name], peaks[name], **extra)
    return cases


def sweep(runs: int) -> dict:
    """A sweep of full-England runs on 2 workers, from the sweep benchmark's machinery."""
    sys.path.insert(0, str(HERE))
    from sweep_benchmark import one_sweep, sweep_file
    work = HERE / "_work" / "suite_sweep"
    path = sweep_file(work, HERE.parent / "scenarios" / "history_2013_2023.yaml", runs, practices=6500)
    result = one_sweep(path, work / "out", workers=2)
    result["projected_1000_runs_minutes_from_wall"] = round(result["wall_s"] * 1000 / runs / 60, 1)
    result["projected_1000_runs_minutes_steady"] = round(1000 / result["runs_per_minute_steady"], 1)
    return result


def versions() -> dict:
    sys.path.insert(0, str(HERE.parent))
    from sim.results.folder import versions as package_versions
    return package_versions()


def kernels() -> dict:
    """The numba version, and the seconds a process spends on its first kernel calls (a small run
    that makes them): compiling them into an empty cache, then loading them from it."""
    import numba
    with tempfile.TemporaryDirectory() as cache:
        small_run = [sys.executable, str(HERE / "project_case.py"), "200", "120", "1"]
        environment = {**os.environ, "NUMBA_CACHE_DIR": cache}
        cold, warm = _json_line(small_run, environment), _json_line(small_run, environment)
    return {"numba": numba.__version__, "compile_on_empty_cache_s": round(cold["warm_up_s"], 3),
            "load_from_cache_s": round(warm["warm_up_s"], 3)}


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    options.add_argument("--sweep-runs", type=int, default=100, help="runs in the 2-worker sweep (default 100; 0 skips it)")
    options.add_argument("--quick", action="store_true", help="2 rounds, no 20,000-practice case, a 20-run sweep")
    options.add_argument("--out", default=str(HERE / "results.json"))
    args = options.parse_args()
    rounds = 2 if args.quick else args.rounds
    cases = timed_rounds(rounds, include_20000=not args.quick)
    sweep_runs = 20 if args.quick else args.sweep_runs
    if sweep_runs:
        cases["sweep_2_workers"] = sweep(sweep_runs)
    england = cases["england_10y"]
    ratios = {
        "england_10y_vs_mesa": ratios_of(england, cases["reference_mesa"]),
        "england_10y_vs_numpy": ratios_of(england, cases["reference_numpy"]),
        "scale_240_vs_120_months": ratios_of(cases["england_20y"], england),
    }
    if "practices_20000_10y" in cases:
        ratios["scale_20000_vs_6500"] = ratios_of(cases["practices_20000_10y"], england)
    judged = {name: ratio["median_within_rounds"] for name, ratio in ratios.items()}
    checks = {
        "england_10y_vs_mesa <= 0.25": judged["england_10y_vs_mesa"] <= TARGETS["england_10y_vs_mesa"],
        "england_10y_vs_mesa <= 0.12 (aim)": judged["england_10y_vs_mesa"] <= TARGETS["england_10y_vs_mesa_aim"],
        "england_peak_mb < 300": england["peak_mb"] < TARGETS["england_peak_mb"],
        "scale_240_vs_120_months <= 2.2": judged["scale_240_vs_120_months"] <= TARGETS["scale_240_vs_120_months"],
    }
    if "scale_20000_vs_6500" in judged:
        checks["scale_20000_vs_6500 <= 3.5"] = judged["scale_20000_vs_6500"] <= TARGETS["scale_20000_vs_6500"]
    if "sweep_2_workers" in cases:
        sweep_case = cases["sweep_2_workers"]
        sweep_case["seconds_per_run_vs_reference_mesa_median"] = round(
            sweep_case["wall_s"] / sweep_case["runs"] / cases["reference_mesa"]["median_s"], 4)
        checks["sweep 1,000 runs on 2 workers < 10 minutes"] = (
            sweep_case["projected_1000_runs_minutes_from_wall"] < TARGETS["sweep_1000_runs_minutes_2_workers"])
    report = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "processor": platform.machine(),
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "versions": versions(),
        "kernels": kernels(),
        "rounds": rounds,
        "cases": cases,
        "ratios": ratios,
        "targets": TARGETS,
        "meets": checks,
    }
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({"ratios (median within rounds)": judged, "meets": checks}, indent=2))


if __name__ == "__main__":
    main()
