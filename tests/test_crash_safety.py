"""A run killed part way leaves no complete-looking results folder; an interrupted run leaves
nothing; the next write tidies what a killed run left; --force never loses the old results."""
from __future__ import annotations

import fcntl
import os
import platform
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
import yaml

from sim.results.folder import remove_stale, write_run

from .conftest import ROOT, small, small_data

LONG = small_data(months=300, start="2005-04", population={"practices": 6000, "commissioner_areas": 40, "side_km": 200})


def start(scenario: Path, out: Path, *extra) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "sim", "run", str(scenario), "--out", str(out), "--quiet", *extra],
                            cwd=out.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class Progressing:
    """A run whose stderr is a terminal, so that its progress bar shows once it is simulating."""

    def __init__(self, scenario: Path, out: Path):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a new pty is 0 columns wide
        env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
        self.process = subprocess.Popen([sys.executable, "-m", "sim", "run", str(scenario), "--out", str(out)],
                                        cwd=out.parent, env=env, stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        self.seen = b""

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # the other end closed
            return False
        self.seen += chunk
        return bool(chunk)

    def wait_for_progress(self, limit: float = 120.0) -> None:
        deadline = time.monotonic() + limit
        while b"month" not in self.seen:
            assert time.monotonic() < deadline and self.process.poll() is None, f"no progress shown: {self.seen!r}"
            self._read(0.05)
        time.sleep(0.3)  # well into the simulation

    def finish(self, timeout: float = 60.0) -> str:
        self.process.wait(timeout=timeout)
        while self._read(0.2):
            pass
        os.close(self.master)
        return self.seen.decode("utf-8", "replace")


def partials(parent: Path, name: str) -> list[Path]:
    return [p for p in parent.iterdir() if p.name.startswith(f".{name}.partial-")]


def wait_for_partial(process: subprocess.Popen, parent: Path, name: str, limit: float = 120.0) -> list[Path]:
    """Poll until the run starts writing its temporary folder."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = partials(parent, name)
        if found:
            return found
        assert process.poll() is None, f"the run ended before writing: {process.communicate()}"
        time.sleep(0.002)
    process.kill()
    pytest.fail("the run never started writing")


@pytest.fixture
def long_scenario(tmp_path) -> Path:
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(LONG))
    return path


@pytest.fixture
def short_scenario(tmp_path) -> Path:
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(small_data(months=30)))
    return path


def test_killed_while_simulating_leaves_nothing(tmp_path, long_scenario):
    out = tmp_path / "out"
    run = Progressing(long_scenario, out)
    run.wait_for_progress()
    assert run.process.poll() is None, "the run finished before it could be killed; make LONG longer"
    run.process.send_signal(signal.SIGKILL)
    run.finish()
    assert run.process.returncode == -signal.SIGKILL
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.yaml"]


def test_killed_while_writing_leaves_no_complete_looking_folder(tmp_path, short_scenario):
    out = tmp_path / "out"
    process = start(short_scenario, out)  # with charts, so writing takes a while
    found = wait_for_partial(process, tmp_path, "out")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert not out.exists(), "a killed run must not leave a folder under the results name"
    left = partials(tmp_path, "out")
    assert left == found and all(p.name.startswith(".") for p in left), "only a hidden .partial folder may remain"
    # The next run into the same place removes the dead run's partial folder and writes a whole one.
    again = subprocess.run([sys.executable, "-m", "sim", "run", str(short_scenario), "--out", str(out), "--quiet", "--no-charts"],
                           cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert again.returncode == 0, again.stderr
    assert (out / "manifest.json").is_file()
    assert partials(tmp_path, "out") == []


@pytest.mark.parametrize("when", ["simulating", "writing"])
@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_or_terminated_run_exits_cleanly_and_writes_nothing(tmp_path, long_scenario, short_scenario, when, signum, status):
    out = tmp_path / "out"
    if when == "simulating":
        run = Progressing(long_scenario, out)
        run.wait_for_progress()
        process = run.process
        assert process.poll() is None
        process.send_signal(signum)
        stderr = run.finish().replace("\r\n", "\n")
    else:
        for _ in range(3):
            process = start(short_scenario, out)
            wait_for_partial(process, tmp_path, "out")
            process.send_signal(signum)  # not sent if the run has already ended
            _, stderr = process.communicate(timeout=60)
            if not (process.returncode == 0 and out.exists()):
                break
            shutil.rmtree(out)  # the run finished writing before the signal could be sent: try again
    assert process.returncode == status, stderr
    assert stderr.strip().splitlines()[-1].endswith("no results written") and "Traceback" not in stderr
    assert not out.exists()
    assert partials(tmp_path, "out") == []


def test_stale_partial_folders_are_removed_and_replaced_folders_restored(tmp_path):
    dead = 2**22 + 12345  # above the usual pid_max, so no such process
    while True:
        try:
            os.kill(dead, 0)
            dead += 1
        except ProcessLookupError:
            break
    stale = tmp_path / f".old.partial-{dead}-abc"
    stale.mkdir()
    (stale / "timeseries.csv").write_text("half")
    living = tmp_path / f".busy.partial-{os.getppid()}-xyz"  # a live process's folder is left alone
    living.mkdir()
    retired = tmp_path / f".kept.replaced-{dead}"
    retired.mkdir()
    (retired / "manifest.json").write_text("{}")
    other = tmp_path / ".notes.partial-x"  # not one of ours
    other.mkdir()
    elsewhere = tmp_path / f".shared.partial-{dead}@another_machine-abc"  # another machine's: its pid means nothing here
    elsewhere.mkdir()
    here = tmp_path / f".mine.partial-{dead}@{platform.node().replace('-', '_')}-abc"
    here.mkdir()
    dealt = remove_stale(tmp_path)
    assert sorted(p.name for p in dealt) == sorted([stale.name, retired.name, here.name])
    assert not stale.exists() and not here.exists() and living.exists() and other.exists() and elsewhere.exists()
    assert (tmp_path / "kept" / "manifest.json").read_text() == "{}", "results whose replacement never arrived come back"


def test_force_replaces_only_when_the_new_folder_is_complete(tmp_path):
    import sim
    results = sim.run(small(months=30))
    out = tmp_path / "out"
    write_run(results, out)
    before = (out / "timeseries.csv").read_bytes()

    class Broken(Exception):
        pass

    def fail(*args, **kwargs):
        raise Broken()

    with pytest.raises(Broken):  # drawing the charts fails half way through writing
        write_run(results, out, force=True, draw=fail)
    assert (out / "timeseries.csv").read_bytes() == before, "the old results are untouched"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_scenario_name_cannot_escape_outputs(tmp_path, monkeypatch):
    import sim
    from sim.results.folder import default_folder
    monkeypatch.chdir(tmp_path)
    results = sim.run(small(months=30))
    results.scenario = results.scenario.model_copy(update={"name": "../../escaped"})  # unvalidated, as from code
    folder = write_run(results)
    assert folder.resolve().parent == (tmp_path / "outputs").resolve()
    assert "escaped" in folder.name and "/" not in folder.name
    assert default_folder("..").parent == Path("outputs") and not default_folder("..").name.startswith(".")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outputs"]
