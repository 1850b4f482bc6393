"""The dashboard in a real browser: `gpsim dashboard` serves the page, headless Chromium (Debian's
package, driven by Playwright) loads it without console errors, a lever changes the run, Step,
Render Interval and play move the model, the charts change, the download holds the same numbers
as `gpsim run`, and screenshots are saved in the test's temporary folder. The README's picture,
docs/dashboard.png, is refreshed from the finished run only when asked:
`python -m pytest tests/test_dashboard_browser.py --refresh-docs-picture`."""
from __future__ import annotations

import io
import os
import queue
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from sim.scenario.loading import load

from .conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
MONTHS = load(ROOT / "scenarios/history_2013_2023.yaml").months   # the dashboard's default scenario
# What Chromium needs here: no sandbox as root, no GPU, nothing fetched from the network.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
SMALL_PRACTICES = 744  # the Practices lever moved down from 8,044 so the run is quick
RENDER_EVERY = 13      # months per Step once the Render Interval slider is moved

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                                "(apt-get install -y chromium; .ci/run installs it)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a TCP socket listening on a port, read from /proc/net/tcp and tcp6."""
    found = set()
    for name, width in (("tcp", 8), ("tcp6", 32)):
        table = Path("/proc/net") / name
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                if width == 8:
                    found.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]))
                else:
                    words = [bytes.fromhex(address[i:i + 8])[::-1] for i in range(0, 32, 8)]
                    found.add(socket.inet_ntop(socket.AF_INET6, b"".join(words)))
    return found


@pytest.fixture
def dashboard(tmp_path):
    """`gpsim dashboard` (the default scenario) on a free port; yields (url, server log path)."""
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("w") as errors:
        server = subprocess.Popen([sys.executable, "-m", "sim", "dashboard", "--port", str(port)], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=errors, text=True, start_new_session=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in server.stdout], daemon=True).start()
    url, said = None, []
    deadline = time.monotonic() + 60
    while url is None and time.monotonic() < deadline and server.poll() is None:
        try:
            said.append(lines.get(timeout=1))
        except queue.Empty:
            continue
        match = re.search(r"Dashboard: (http://\S+)", said[-1])
        url = match.group(1) if match else None
    try:
        assert url == f"http://127.0.0.1:{port}/", f"no address printed: {said} {log.read_text()}"
        assert listening_addresses(port) <= {"127.0.0.1"}, "the dashboard must listen on this computer only"
        yield url, log
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)  # the command stops its server and exits
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def slider(page, label: str):
    """The thumb of the slider with this label (it takes keyboard input as a person's would)."""
    field = page.locator(".v-input").filter(has=page.locator("label", has_text=re.compile(f"^{re.escape(label)}$")))
    return field.locator("[role=slider]")


def set_slider(page, label: str, *keys: str) -> str:
    thumb = slider(page, label)
    thumb.focus()
    for key in keys:
        thumb.press(key)
    return thumb.get_attribute("aria-valuenow")


def reset_until_shown(page, run_panel, text: str, tries: int = 4) -> None:
    """Press Reset until the run panel shows `text`. A slider sends its last value to the server
    a moment after the key press, and nothing on the page says when it has arrived, so a Reset
    pressed at once may start the run with the value before; pressing again takes the latest."""
    for _ in range(tries):
        page.get_by_role("button", name="Reset").click()
        try:
            run_panel.get_by_text(text, exact=True).first.wait_for(timeout=30_000)
            return
        except Exception:  # playwright's TimeoutError: the run was reset with an earlier value
            continue
    raise AssertionError(f"Reset never started a run showing {text}")


def steps_shown(page) -> int:
    return int(page.get_by_text(re.compile(r"^Step: \d+$")).inner_text().split()[1])


def step(page, done: int) -> int:
    """Press Step and wait until the model has moved on from `done` steps; returns the new count."""
    page.get_by_role("button", name="Step").click()
    deadline = time.monotonic() + 60
    while (now := steps_shown(page)) == done:
        assert time.monotonic() < deadline, "Step did not move the model"
        page.wait_for_timeout(100)
    return now


def test_dashboard_in_a_browser(dashboard, tmp_path, request):
    from PIL import Image
    from playwright.sync_api import sync_playwright

    url, server_log = dashboard
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1420}, accept_downloads=True)
        page.set_default_timeout(90_000)  # generous for a busy machine; every wait ends on an event
        page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
                if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("response", lambda response: problems.append(f"HTTP {response.status}: {response.url}")
                if response.status >= 400 else None)
        page.goto(url)
        page.get_by_role("button", name="Step").wait_for(timeout=60_000)
        page.locator(".gpsim-coverage img").wait_for(timeout=60_000)
        page.locator(".gpsim-map img").wait_for(timeout=60_000)
        assert page.get_by_text("England 2013-2023: the real policy timeline").first.is_visible()
        page.screenshot(path=tmp_path / "dashboard-loaded.png")

        # Levers: a smaller England for speed, and the highest incentive; Reset starts the new run.
        assert set_slider(page, "Practices", "Home", *["ArrowRight"] * 6) == str(SMALL_PRACTICES)
        assert float(set_slider(page, "Incentive £/patient", "End")) > 11
        run_panel = page.locator(".gpsim-run")
        reset_until_shown(page, run_panel, f"{SMALL_PRACTICES:,}")
        assert "--set population.practices=744" in run_panel.locator("pre").inner_text()
        settings = run_panel.locator("pre").inner_text()
        assert "payments.participation_per_weighted_patient=" in settings
        assert "workforce." not in settings and "band." not in settings, "untouched levers add no settings"

        # Step one month, then 13 months a Step (Render Interval): the model moves, the charts change.
        before = page.locator(".gpsim-coverage").screenshot()
        assert step(page, 0) == 1
        assert set_slider(page, "Render Interval (steps)", *["ArrowRight"] * 6) == str(RENDER_EVERY)
        done, moves = 1, []
        while done < 75:
            moves.append(step(page, done) - done)
            done += moves[-1]
        # The slider's last value may reach the server a Step late (see reset_until_shown); from
        # the first Step that moves 13 months, every Step does.
        assert RENDER_EVERY in moves, f"no Step moved the model {RENDER_EVERY} months: {moves}"
        since = moves[moves.index(RENDER_EVERY):]
        assert len(since) >= 3 and set(since) == {RENDER_EVERY}, f"Steps moved the model {moves} months"
        run_panel.get_by_text(f"month {done} of {MONTHS}").wait_for(timeout=30_000)
        page.wait_for_timeout(500)  # let the last images paint
        after = page.locator(".gpsim-coverage").screenshot()
        assert before != after, "the coverage chart did not change when the model stepped"
        page.screenshot(path=tmp_path / "dashboard-stepped.png")

        # Play runs to the end of the scenario and stops there.
        page.get_by_role("button", name="▶").click()
        run_panel.get_by_text(f"month {MONTHS} of {MONTHS}").wait_for(timeout=60_000)
        page.get_by_role("button", name="Step").and_(page.locator("[disabled]")).wait_for(timeout=30_000)
        assert steps_shown(page) == MONTHS, "the model stops at the end of the scenario"
        page.set_viewport_size({"width": 1500, "height": 1720})  # tall enough for the whole page
        page.wait_for_timeout(1500)
        page.screenshot(path=tmp_path / "dashboard.png")

        # The download holds the run's results, the same numbers as the command it shows.
        command = shlex.split(run_panel.locator("pre").inner_text())
        with page.expect_download(timeout=90_000) as download:
            page.get_by_text("Download results so far (zip)").click()
        archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
        browser.close()

    names = set(archive.namelist())
    assert {"history_2013_2023/timeseries.csv", "history_2013_2023/networks.csv",
            "history_2013_2023/manifest.json", "history_2013_2023/command.txt"} <= names
    assert command[:2] == ["gpsim", "run"]
    done = subprocess.run([sys.executable, "-m", "sim", *command[1:], "--out", str(tmp_path / "cli"), "--no-charts", "--quiet"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    from_cli = (tmp_path / "cli" / "timeseries.csv").read_bytes()
    from_dashboard = archive.read("history_2013_2023/timeseries.csv")
    assert from_dashboard == from_cli, "the dashboard and gpsim run disagree"
    assert len(pd.read_csv(io.BytesIO(from_dashboard))) == MONTHS

    assert not problems, "\n".join(problems)
    assert "Traceback" not in server_log.read_text(), server_log.read_text()

    # The README's picture: the finished run, as a small palette PNG.
    picture = tmp_path / "dashboard-small.png"
    Image.open(tmp_path / "dashboard.png").convert("RGB").quantize(colors=128).save(picture, optimize=True)
    assert picture.stat().st_size < 400_000
    if request.config.getoption("--refresh-docs-picture"):
        shutil.copyfile(picture, ROOT / "docs" / "dashboard.png")
