"""An installed gpsim carries its data: a wheel runs a shipped scenario by name from any folder,
byte-identically to the checkout; shipped scenarios are listed and copied; a missing data file is
an error, never a silent fallback to the uncalibrated priors."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
import yaml

from sim.app.cli import main
from sim.scenario import shipped
from sim.scenario.loading import resolve

from .conftest import ROOT

SOURCES = ("sim", "scenarios", "docs/evidence.md", "setup.py", "setup.cfg", "pyproject.toml", "MANIFEST.in", "README.md")
RUN = ["run", "history_2013_2023", "--set", "population.practices=400", "--replications", "1", "--seed", "3",
       "--no-charts", "--quiet"]


def _copy_sources(target: Path) -> None:
    """The files a build reads, copied so that building writes nothing into the checkout."""
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def test_wheel_runs_a_shipped_scenario_by_name_like_the_checkout(tmp_path):
    source, wheels, elsewhere = tmp_path / "source", tmp_path / "wheels", tmp_path / "elsewhere"
    _copy_sources(source)
    elsewhere.mkdir()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(source)],
                   check=True, capture_output=True)
    wheel = next(wheels.glob("gpsim-*.whl"))
    # A new environment with the wheel installed on its own; the third-party libraries it needs
    # are borrowed from this one (a path file), not this checkout's gpsim, so no download is needed.
    env_dir = tmp_path / "env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "borrowed_libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True)
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    where = subprocess.run([str(python), "-c", ("import sim, sim.scenario.shipped as s; print(sim.__file__); "
                                                "print(s.scenarios_folder()); print(s.data_file('calibrated.yaml'))")],
                           cwd=elsewhere, check=True, capture_output=True, text=True, env=environment).stdout.split()
    assert all(Path(path).is_relative_to(env_dir) for path in where), where  # the installed copy, not the checkout

    installed = subprocess.run([str(env_dir / "bin" / "gpsim"), *RUN, "--out", str(tmp_path / "installed")],
                               cwd=elsewhere, capture_output=True, text=True, env=environment, check=False)
    assert installed.returncode == 0, installed.stderr
    checkout = subprocess.run([sys.executable, "-m", "sim", *RUN, "--out", str(tmp_path / "checkout")],
                              cwd=ROOT, capture_output=True, text=True, env=environment, check=False)
    assert checkout.returncode == 0, checkout.stderr
    for name in ("timeseries.csv", "networks.csv", "practices.parquet"):
        assert (tmp_path / "installed" / name).read_bytes() == (tmp_path / "checkout" / name).read_bytes(), name
    version = subprocess.run([str(env_dir / "bin" / "gpsim"), "--version"], capture_output=True, text=True, env=environment,
                             check=False)
    assert version.returncode == 0 and version.stdout.strip() == "gpsim 0.1.0"


def test_scenarios_lists_every_shipped_scenario(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    for path in (ROOT / "scenarios").glob("*.yaml"):
        assert path.stem in out
    assert "England 2013-2023: the real policy timeline" in out


def test_a_copied_scenario_runs_under_its_new_name_from_another_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["scenarios", "networks_100k_2024", "mine.yaml", "--name", "my_policy"]) == 0
    copied = yaml.safe_load((tmp_path / "mine.yaml").read_text())
    assert copied["name"] == "my_policy" and copied["extends"] == "status_quo_2024.yaml"  # found by name when run
    mine, original = resolve("mine.yaml").scenario, resolve("networks_100k_2024").scenario
    assert mine.name == "my_policy"
    assert mine.model_dump(exclude={"name", "start_from"}) == original.model_dump(exclude={"name", "start_from"})
    # Never written over, and a bad name is refused with one line and exit 2.
    before = (tmp_path / "mine.yaml").read_bytes()
    assert main(["scenarios", "history_2013_2023", "mine.yaml"]) == 2
    assert "expected a new file" in capsys.readouterr().err and (tmp_path / "mine.yaml").read_bytes() == before
    assert main(["scenarios", "no_such_scenario", "other.yaml"]) == 2
    assert "expected one of the shipped scenarios" in capsys.readouterr().err and not (tmp_path / "other.yaml").exists()


def test_a_missing_data_file_is_an_error_not_a_fallback(tmp_path, monkeypatch):
    monkeypatch.setattr(shipped, "PACKAGE_DATA", tmp_path)
    with pytest.raises(shipped.MissingDataFile, match="calibrated.yaml .*reinstall gpsim"):
        shipped.data_file("calibrated.yaml")
    # The calibrated defaults are the shipped file's values, not the priors.
    calibrated = yaml.safe_load((ROOT / "sim" / "data" / "calibrated.yaml").read_text())["parameters"]
    assert resolve("history_2013_2023").scenario.workforce.leaving_rate == calibrated["workforce.leaving_rate"] != 0.065


def test_version_and_the_bare_command(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("gpsim ")
    with pytest.raises(SystemExit) as done:
        main([])
    err = capsys.readouterr().err.splitlines()
    assert done.value.code == 2
    assert len(err) == 1 and err[0].startswith("gpsim: error: expected a command (run, ") and "gpsim: error: gpsim" not in err[0]


def test_every_evidence_table_a_source_names_is_on_the_evidence_page():
    import re

    from sim.scenario.reference import (
        EVIDENCE_TABLES,
        markdown_reference,
        parameter_table,
    )
    page = shipped.evidence_file().read_text(encoding="utf-8")
    for anchor in EVIDENCE_TABLES.values():
        assert f'<a id="{anchor}"></a>' in page, anchor
    named = set(re.findall(r"evidence: ([A-Z][A-Za-z ]+?) /", markdown_reference()))
    assert named and named <= set(EVIDENCE_TABLES), named - set(EVIDENCE_TABLES)
    assert "(evidence.md#workforce)" in parameter_table()
