"""The dashboard's speed in a real browser: startup, a Step, Play and Run to end of the full-size
history (8,044 practices, 133 months), against the same run from the Python API.

    python benchmarks/dashboard_benchmark.py [--screenshots DIR] [--picture docs/dashboard.png]

Serves `gpsim dashboard` (the default scenario) on a free port and drives Debian's Chromium with
Playwright. Measures, in one job:
  - startup: from starting the command to the first chart and the map on the page, and a second
    page load on the running server;
  - Step: the median of five single months at full size, from the click to the month shown;
  - Play: months shown in 10 s of play;
  - Run to end: from the click to "Finished." (the run from month 0, one replication; and with
    5 replications);
  - the same history run (one replication) from the Python API in this process, the reference
    for the ratio: Run to end in the page over the API run.
Writes benchmarks/dashboard_results.json. With --screenshots, saves the finished page at
1366x768 and 1920x1080 there; with --picture, saves the README's picture (the finished run, a
small palette PNG). The machine is shared and noisy: the ratio travels better than the seconds.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
TARGETS = {"run_to_end_seconds": 20.0, "startup_seconds": 10.0, "step_seconds": 1.0}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def month_shown(page) -> int:
    return int(re.search(r"month (\d+) of", page.locator(".gpsim-status").inner_text()).group(1))


def wait_until(condition, timeout: float = 300.0, every: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the page did not get there in time")
        time.sleep(every)


def api_seconds() -> float:
    """The history, one replication, from the Python API (kernels already loaded)."""
    import sim

    sim.run(ROOT / "scenarios" / "history_2013_2023.yaml", replications=1, seed=2013)   # load the kernels
    clock = time.perf_counter()
    sim.run(ROOT / "scenarios" / "history_2013_2023.yaml", replications=1)
    return time.perf_counter() - clock


def run_to_end(page) -> float:
    """Seconds from Run to end to "Finished."."""
    clock = time.perf_counter()
    page.get_by_role("button", name="Run to end").click()
    page.locator(".gpsim-status").get_by_text("Finished.").wait_for(timeout=600_000)
    return time.perf_counter() - clock


def reset_with_replications(page, replications: int) -> None:
    page.locator(".gpsim-replications").get_by_role("button", name=str(replications), exact=True).click()
    page.get_by_text(re.compile(f"Changed, not yet run: replications {replications}")).wait_for()
    page.get_by_role("button", name="Reset").click()
    page.locator(".gpsim-status").get_by_text(f"{replications} replications").wait_for(timeout=120_000)


def picture(source: Path, target: Path) -> None:
    from PIL import Image

    # Octree keeps the small patches of colour (the legend's dots) that median cut merges.
    Image.open(source).convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(target, optimize=True)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--screenshots", type=Path, help="folder for screenshots at 1366x768 and 1920x1080")
    options.add_argument("--picture", type=Path, help="where to save the README's picture of the finished run")
    args = options.parse_args()
    from playwright.sync_api import sync_playwright

    api = api_seconds()
    port = free_port()
    clock = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "sim", "dashboard", "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    result: dict = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.machine(),
                    "cpus": os.cpu_count(), "load_average_at_start": round(os.getloadavg()[0], 2),
                    "scenario": "history_2013_2023 (8,044 practices, 133 months)"}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.set_default_timeout(120_000)
            wait_until(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, timeout=120)
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator(".gpsim-chart").first.wait_for()
            page.locator(".gpsim-map circle.practice").first.wait_for(state="attached")
            result["startup_seconds"] = round(time.perf_counter() - clock, 2)
            clock = time.perf_counter()
            page.reload()
            page.locator(".gpsim-map circle.practice").first.wait_for(state="attached")
            result["page_load_seconds"] = round(time.perf_counter() - clock, 2)

            steps = []
            for _ in range(5):
                before = month_shown(page)
                clock = time.perf_counter()
                page.get_by_role("button", name="Step").click()
                wait_until(lambda before=before: month_shown(page) > before)
                steps.append(time.perf_counter() - clock)
            result["step_seconds"] = round(statistics.median(steps), 2)
            before = month_shown(page)
            page.get_by_role("button", name="Play").click()
            page.wait_for_timeout(10_000)
            page.get_by_role("button", name="Pause").click()
            result["play_months_a_second"] = round((month_shown(page) - before) / 10, 1)

            page.get_by_role("button", name="Reset").click()
            wait_until(lambda: month_shown(page) == 0)
            result["run_to_end_seconds"] = round(run_to_end(page), 2)
            page.wait_for_timeout(1000)
            if args.screenshots:
                args.screenshots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=args.screenshots / "dashboard-1366x768.png")
                page.screenshot(path=args.screenshots / "dashboard-1366-full.png", full_page=True)
                page.set_viewport_size({"width": 1920, "height": 1080})
                page.wait_for_timeout(800)
                page.screenshot(path=args.screenshots / "dashboard-1920x1080.png")
                page.set_viewport_size({"width": 1366, "height": 768})
            if args.picture:   # the whole page at 1366 wide
                shot = args.picture.with_suffix(".full.png")
                page.screenshot(path=shot, full_page=True)
                picture(shot, args.picture)
                shot.unlink()

            reset_with_replications(page, 5)
            result["run_to_end_5_replications_seconds"] = round(run_to_end(page), 2)
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    result["api_run_seconds"] = round(api, 2)
    result["run_to_end_over_api_run"] = round(result["run_to_end_seconds"] / api, 2)
    result["targets"] = {name: {"at_most": limit, "met": result[name] <= limit} for name, limit in TARGETS.items()}
    (HERE / "dashboard_results.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
