"""The dashboard in a real browser: `gpsim dashboard` serves the page, headless Chromium (Debian's
package, driven by Playwright) loads it without console errors, typed and stepped levers are
pending until Reset, Step, Play, Pause and Run to end move the model, every chart and the map have
data drawn (read from the page; a blank chart fails), the download holds the same numbers as
`gpsim run`, and after another Reset the earlier run stays on the charts. Screenshots go to the
test's temporary folder only (the README's picture is made by benchmarks/dashboard_benchmark.py)."""
from __future__ import annotations

import io
import os
import queue
import re
import shlex
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
from .dashboard_checks import blank_charts, drawn

CHROMIUM = Path("/usr/bin/chromium")
MONTHS = load(ROOT / "scenarios/history_2013_2023.yaml").months   # the dashboard's default scenario
# What Chromium needs here: no sandbox as root, no GPU, nothing fetched from the network.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
SMALL_PRACTICES = 744  # the Practices lever moved down from 8,044 so the run is quick

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


def lever(page, label: str):
    """The input of the lever whose label starts with `label`."""
    return page.get_by_label(re.compile(f"^{re.escape(label)}"))


def status(page) -> str:
    return page.locator(".gpsim-status").inner_text()


def month_shown(page) -> int:
    return int(re.search(r"month (\d+) of", status(page)).group(1))


def wait_for_month(page, month: int, at_least: bool = False) -> None:
    """Wait until the page shows `month` (or, playing, any month from it on)."""
    deadline = time.monotonic() + 90
    while not (month_shown(page) >= month if at_least else month_shown(page) == month):
        assert time.monotonic() < deadline, f"the page never showed month {month}: {status(page)}"
        page.wait_for_timeout(50)


def check_drawn(page, what: str) -> None:
    """Every chart has a data line (or bars) and every open practice is on the map, read from the
    page as the browser holds it (tests/dashboard_checks.py; a blank chart fails it)."""
    charts_html = page.locator(".gpsim-charts").inner_html()
    assert blank_charts(charts_html) == [], f"{what}: charts with no data drawn: {blank_charts(charts_html)}"
    marks, _ = drawn(charts_html)
    assert len(marks) == 7, marks
    _, practices = drawn(page.locator(".gpsim-map").inner_html())
    assert practices > 100, f"{what}: {practices} practices on the map"


def test_dashboard_in_a_browser(dashboard, tmp_path):
    from playwright.sync_api import sync_playwright

    url, server_log = dashboard
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
        page.set_default_timeout(90_000)  # generous for a busy machine; every wait ends on an event
        page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
                if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("response", lambda response: problems.append(f"HTTP {response.status}: {response.url}")
                if response.status >= 400 else None)
        page.goto(url)
        page.locator(".gpsim-chart").first.wait_for(timeout=60_000)
        assert "England 2013-2023: the real policy timeline" in page.locator("h1").inner_text()
        assert "Synthetic geography" in page.locator(".gpsim-map").inner_text()
        page.screenshot(path=tmp_path / "dashboard-loaded.png")

        # Levers are numbers: typed, or stepped with the arrow keys by their step (£0.05).
        practices = lever(page, "Practices at the start")
        assert practices.input_value() == "8044"
        practices.fill(str(SMALL_PRACTICES))
        incentive = lever(page, "pcn payments")
        assert float(incentive.input_value()) == pytest.approx(3.775)
        incentive.press("ArrowUp")   # onto the next £0.05
        assert float(incentive.input_value()) == pytest.approx(3.80)
        incentive.press("ArrowUp")
        assert float(incentive.input_value()) == pytest.approx(3.85)
        # The note lists each change as the server has it: Reset once it shows the last key press.
        page.get_by_text(re.compile("Changed, not yet run: pcn payments £3.85, Practices at the start 744")).wait_for()
        page.get_by_role("button", name="Reset").click()
        run_panel = page.locator(".gpsim-run")
        run_panel.get_by_text(f"{SMALL_PRACTICES:,}", exact=True).first.wait_for()
        assert page.get_by_text("Changed, not yet run").count() == 0, "nothing is pending after Reset"
        settings = run_panel.locator("pre").inner_text()
        assert f"--set population.practices={SMALL_PRACTICES}" in settings
        assert "payments.participation_per_weighted_patient=" in settings
        assert "workforce." not in settings and "band." not in settings, "untouched levers add no settings"

        # Step, Play and Pause move the model; Run to end finishes it.
        page.get_by_role("button", name="Step").click()
        wait_for_month(page, 1)
        page.get_by_role("button", name="Play").click()
        wait_for_month(page, 4, at_least=True)
        page.get_by_role("button", name="Pause").click()
        page.get_by_role("button", name="Play").wait_for()
        page.wait_for_timeout(1000)   # a month in progress when Pause came finishes
        paused = month_shown(page)
        assert 4 <= paused < MONTHS
        page.wait_for_timeout(1500)
        assert month_shown(page) == paused, "Pause stops the run"
        page.get_by_role("button", name="Run to end").click()
        page.locator(".gpsim-status").get_by_text("Finished.").wait_for(timeout=120_000)
        wait_for_month(page, MONTHS)
        page.wait_for_timeout(500)
        check_drawn(page, "finished run")
        hover = page.locator(".gpsim-map circle.practice title").first   # what hovering shows, once the run stands still
        hover.wait_for(state="attached")
        assert re.match(r"Practice \d+: [\d,]+ patients\nGPs: ", hover.text_content()), hover.text_content()
        page.screenshot(path=tmp_path / "dashboard-1366.png", full_page=True)

        # The download holds the run's results, the same numbers as the command it shows.
        command = shlex.split(run_panel.locator("pre").inner_text())
        with page.expect_download(timeout=90_000) as download:
            page.get_by_text("Download results so far (zip)").click()
        archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))

        # After Reset with another incentive the finished run stays on the charts, labelled.
        lever(page, "pcn payments").fill("1.5")
        page.get_by_text(re.compile("Changed, not yet run: pcn payments £1.50")).wait_for()
        page.get_by_role("button", name="Reset").click()
        wait_for_month(page, 0)
        page.get_by_role("button", name="Step").click()
        wait_for_month(page, 1)
        page.get_by_role("button", name="Step").click()
        wait_for_month(page, 2)
        charts_html = page.locator(".gpsim-charts").inner_html()
        assert charts_html.count('class="compare"') >= 6, "the earlier run is drawn on the time charts"
        assert "before: pcn payments £3.85" in page.locator(".gpsim-charts").inner_text()
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.wait_for_timeout(500)
        page.screenshot(path=tmp_path / "dashboard-1920.png")
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
    log = server_log.read_text()
    assert "Traceback" not in log and "Warning" not in log, log
