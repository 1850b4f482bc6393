"""Sweep throughput and memory: full-England ten-year runs on 1 and 2 local workers.

    python benchmarks/sweep_benchmark.py [--runs 8] [--practices 6500] [--scenario scenarios/history_2013_2023.yaml]

Measures, in one job:
  - the shared reference workload (`reference.py mesa`: 6,500 practices, 120 months), best of 3;
  - a sweep of RUNS full-England ten-year runs (a Latin hypercube over two behavioural weights,
    one replication each) on 1 worker and on 2 workers: wall time, steady runs per minute
    (after every worker's first run, so pool start-up is left out), and the peak resident
    memory (VmHWM) of each worker process;
  - the projection of a 1,000-run sweep on 2 workers, and the speed-up from 1 to 2 workers.

Writes benchmarks/sweep_results.json. These machines are noisy and shared, so the figure that
travels is the ratio of seconds per run to the reference measured in the same job.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REFERENCE = HERE / "reference.py"  # the shared reference workload, vendored unchanged
TARGETS = {"runs_1000_minutes_2_workers": 10.0, "worker_peak_mb": 300.0, "speedup_2_workers": 1.8}


def reference() -> dict:
    """The reference workload as its own script prints it."""
    done = subprocess.run([sys.executable, str(REFERENCE), "mesa"], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


class PeakMemory:
    """Polls this process's children for their peak resident memory (VmHWM) while a sweep runs."""

    def __init__(self) -> None:
        self.peaks: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        import psutil
        me = psutil.Process()
        while not self._stop.is_set():
            for child in me.children(recursive=True):
                try:
                    text = Path(f"/proc/{child.pid}/status").read_text()
                    cmd = " ".join(child.cmdline())
                except (OSError, psutil.Error):
                    continue
                if "spawn_main" not in cmd:
                    continue  # the resource tracker is not a worker
                for line in text.splitlines():
                    if line.startswith("VmHWM:"):
                        self.peaks[child.pid] = max(self.peaks.get(child.pid, 0.0), int(line.split()[1]) / 1024)
            self._stop.wait(0.2)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def sweep_file(folder: Path, scenario: Path, runs: int, practices: int | None = None) -> Path:
    """A Latin hypercube sweep file of RUNS runs over two behavioural weights (practices: the
    starting population, if not the scenario's own)."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"name": f"benchmark-{runs}", "scenario": str(scenario.resolve()), "design": "latin", "samples": runs,
            "set": {"population.practices": practices} if practices else {}, "replications": 1, "seed": 1,
            "parameters": {"behaviour.peer_weight": {"range": [1.0, 3.0]},
                           "behaviour.independence_weight": {"range": [1.0, 3.0]}},
            "outcomes": ["coverage_year_2", "closures_10y", "continuity_year_10", "gp_fte_per_1000_end",
                         "practices_in_deficit_end"],
            "series": ["network_coverage_practices", "continuity"]}
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def one_sweep(path: Path, out: Path, workers: int) -> dict:
    import shutil

    from sim.analysis.sweep import load_sweep, run_sweep
    shutil.rmtree(out, ignore_errors=True)
    sweep = load_sweep(path)
    stamps: list[float] = []
    start = time.perf_counter()
    with PeakMemory() as memory:
        run_sweep(sweep, out, workers=workers, progress=lambda n: stamps.extend([time.perf_counter()] * n))
    wall = time.perf_counter() - start
    steady_from = min(workers, len(stamps) - 1)
    span = stamps[-1] - stamps[steady_from - 1] if steady_from >= 1 else stamps[-1] - start
    steady = (len(stamps) - steady_from) / span * 60 if span > 0 else float("nan")
    return {"workers": workers, "runs": len(stamps), "wall_s": round(wall, 2),
            "first_result_s": round(stamps[0] - start, 2), "runs_per_minute_wall": round(len(stamps) / wall * 60, 2),
            "runs_per_minute_steady": round(steady, 2),
            "worker_peak_mb": sorted(round(v, 1) for v in memory.peaks.values())}


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--runs", type=int, default=8, help="runs per sweep (default 8)")
    options.add_argument("--scenario", default=str(ROOT / "scenarios" / "history_2013_2023.yaml"))
    options.add_argument("--practices", type=int, default=6500, help="starting practices (default 6,500, the full-England case)")
    options.add_argument("--out", default=str(HERE / "sweep_results.json"))
    args = options.parse_args()
    sys.path.insert(0, str(ROOT))
    from sim.results.folder import versions

    work = HERE / "_work" / "sweep"
    path = sweep_file(work, Path(args.scenario), args.runs, args.practices)
    ref = reference()
    one = one_sweep(path, work / "w1", 1)
    two = one_sweep(path, work / "w2", 2)
    per_run_1 = 60.0 / one["runs_per_minute_steady"]
    per_run_2 = 60.0 / two["runs_per_minute_steady"]
    peak = max(one["worker_peak_mb"] + two["worker_peak_mb"])
    result = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "versions": versions(),
        "scenario": args.scenario,
        "practices": args.practices,
        "reference_mesa": {k: ref[k] for k in ("practices", "months", "best_s", "all_s", "peak_mb")},
        "sweep_1_worker": one,
        "sweep_2_workers": two,
        "seconds_per_run_1_worker": round(per_run_1, 3),
        "seconds_per_run_2_workers": round(per_run_2, 3),
        "ratio_run_vs_reference_mesa": round(per_run_1 / ref["best_s"], 3),
        "speedup_2_workers": round(two["runs_per_minute_steady"] / one["runs_per_minute_steady"], 2),
        "projected_1000_runs_minutes_2_workers": round(1000 / two["runs_per_minute_steady"] + two["first_result_s"] / 60, 1),
        "worker_peak_mb_max": peak,
        "main_process_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "targets": TARGETS,
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
