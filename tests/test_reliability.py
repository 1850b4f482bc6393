"""What gpsim promises about folders, locks, messages, data and limits (docs/reliability.md):
adversarial cases, each of which once lost a user's files, leaked a file's contents or let
implausible data through."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.app.cli import main
from sim.scenario.errors import InputError

from .conftest import ROOT, small_data

FIXTURE = ROOT / "tests" / "fixtures" / "nhs"


def gpsim(*args, cwd, env=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300)


def one_line_error(done, status: int = 2) -> str:
    assert done.returncode == status, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


@pytest.fixture
def small_file(tmp_path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(small_data(months=30)))
    return path


@pytest.fixture
def nhs(tmp_path) -> Path:
    """A copy of the NHS-format fixture files and their scenario; returns the scenario."""
    folder = tmp_path / "nhs"
    shutil.copytree(FIXTURE, folder)
    return folder / "scenario.yaml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def tree(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else None for p in sorted(folder.rglob("*"))}


# Folders: --force replaces only what gpsim wrote ---------------------------------------------

@pytest.mark.parametrize("out", ["{cwd}", ".", "", "/proc/x", "/dev/null", "sub"])
def test_force_never_touches_a_users_folder(tmp_path, small_file, out):
    home = tmp_path / "work"
    (home / "sub").mkdir(parents=True)
    (home / "sub" / "thesis.txt").write_text("three years of work")
    before = tree(home)
    done = gpsim("run", small_file, "--quiet", "--no-charts", "--out", out.format(cwd=home), "--force", cwd=home)
    line = one_line_error(done)
    assert line.startswith("gpsim: error: ") and done.stdout == ""
    assert tree(home) == before, "nothing touched"


def test_force_refuses_home_and_repository_roots(tmp_path, monkeypatch):
    from sim.results.folder import check_destination, release
    home, repo = tmp_path / "home", tmp_path / "repo"
    for folder in (home, repo):
        folder.mkdir()
        (folder / "notes.txt").write_text("mine")
    (repo / ".git").mkdir()
    monkeypatch.setenv("HOME", str(home))
    for folder, words in ((home, "the home folder"), (repo, "a repository root"), (tmp_path, "a folder holding the home folder")):
        with pytest.raises(InputError, match=f"found {words}, which gpsim never writes into or replaces"):
            check_destination(folder, force=True)
    release()
    assert (home / "notes.txt").read_text() == "mine" and (repo / "notes.txt").read_text() == "mine"


def test_force_replaces_a_gpsim_folder_but_not_one_holding_other_files(tmp_path, small_file):
    out = tmp_path / "out"
    assert gpsim("run", small_file, "--quiet", "--no-charts", "--out", out, cwd=tmp_path).returncode == 0
    first = (out / "manifest.json").read_bytes()
    done = gpsim("run", small_file, "--quiet", "--no-charts", "--out", out, "--force", "--seed", "3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (out / "manifest.json").read_bytes() != first, "a folder gpsim wrote is replaced"
    (out / "notes.txt").write_text("my notes")
    line = one_line_error(gpsim("run", small_file, "--quiet", "--no-charts", "--out", out, "--force", cwd=tmp_path))
    assert "found 'notes.txt', a file gpsim did not write" in line and (out / "notes.txt").read_text() == "my notes"
    (out / "notes.txt").unlink()
    (out / "timeseries.csv").write_text("edited by hand")
    line = one_line_error(gpsim("run", small_file, "--quiet", "--no-charts", "--out", out, "--force", cwd=tmp_path))
    assert "'timeseries.csv' changed since gpsim wrote it" in line
    assert (out / "timeseries.csv").read_text() == "edited by hand"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "small.yaml"], "no lock or temporary files left"


# Locks: one writer per destination, and the final move never replaces what appeared --------------

def test_second_writer_is_refused_before_simulating_naming_the_first(tmp_path, small_file):
    from sim.results.folder import check_destination, release
    out = tmp_path / "out"
    check_destination(out, force=False)  # this process is now writing out
    try:
        line = one_line_error(gpsim("run", small_file, "--quiet", "--no-charts", "--out", out, cwd=tmp_path))
        assert f"expected no other gpsim writing this folder; found process {os.getpid()}@" in line
        assert not out.exists()
    finally:
        release()
    assert not list(p for p in tmp_path.iterdir() if p.name.startswith(".")), "the lock file goes with the lock"
    assert gpsim("run", small_file, "--quiet", "--no-charts", "--out", out, cwd=tmp_path).returncode == 0


def test_the_final_move_never_replaces_a_folder_that_appeared_meanwhile(tmp_path):
    from sim.results.folder import atomic_folder
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"found it changed meanwhile, so it was left alone \(the new results are in .*out-new\)"):
        with atomic_folder(out) as work:
            (work / "result.csv").write_text("new")
            out.mkdir()
            (out / "other.csv").write_text("someone else's")
    assert (out / "other.csv").read_text() == "someone else's"
    assert (tmp_path / "out-new" / "result.csv").read_text() == "new", "the new results are kept, not lost"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "out-new"]


def test_a_full_disk_is_one_line_naming_the_folder(tmp_path, small_file, monkeypatch, capsys):
    def full(*args, **kwargs):
        raise OSError("Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    out = tmp_path / "out"
    assert main(["run", str(small_file), "--quiet", "--no-charts", "--out", str(out)]) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line == (f"gpsim: error: {out}: expected a place the results can be written; found No space left on device "
                    "(error 28); nothing was written")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]


# Messages never reproduce a file's contents ------------------------------------------------------

def test_system_files_are_refused_by_name_and_never_echoed(tmp_path, nhs):
    secret = "hunter2-do-not-print"
    edit(nhs, "registrations: gp-reg-pat-prac-all.csv", "registrations: /proc/self/environ")
    line = one_line_error(gpsim("run", nhs, "--quiet", "--out", tmp_path / "o", cwd=tmp_path, env={"GPSIM_SECRET": secret}))
    assert line == "gpsim: error: /proc/self/environ: expected a registered patients file; found a path in /proc, which gpsim never reads"
    leak = nhs.parent / "environ-copy.csv"  # the same text in an ordinary file: the header is not shown
    leak.write_bytes(b"PATH=/usr/bin\0GPSIM_SECRET=" + secret.encode() + b"\0")
    edit(nhs, "registrations: /proc/self/environ", f"registrations: {leak}")
    line = one_line_error(gpsim("run", nhs, "--quiet", "--out", tmp_path / "o", cwd=tmp_path))
    assert secret not in line and secret.upper() not in line and "NUL byte" in line
    leak.write_text(f"GPSIM_SECRET={secret}\n1\n")
    line = one_line_error(gpsim("run", nhs, "--quiet", "--out", tmp_path / "o", cwd=tmp_path))
    assert secret not in line.lower() and "a header of 1 cell(s) that are not the expected column names" in line
    assert not (tmp_path / "o").exists()


# Plausible data -------------------------------------------------------------------------------

IMPLAUSIBLE = [
    (("gp-reg-pat-prac-all.csv", "ALL,ALL,14492", "ALL,ALL,1000000000"),
     "gp-reg-pat-prac-all.csv: NUMBER_OF_PATIENTS: line 2: expected registered patients from 1 to 150,000"),
    (("gp-reg-pat-prac-all.csv", "ALL,ALL,14492", "ALL,ALL,144920"),  # a x10 typo: the workforce file says 14,492
     "workforce.csv: TOTAL_PATIENTS: line 2: expected about the registrations file's list of 144,920 (within a factor of 2); found 14,492"),
    (("workforce.csv", "14492,9,7.25,7.05", "14492,9,7.25,500"),
     "workforce.csv: TOTAL_GP_EXTGL_FTE: line 2: expected GP FTE from 0 to 100"),
    (("gp-reg-pat-prac-all.csv", "ALL,ALL,14492", "ALL,ALL,14492.5"),
     "gp-reg-pat-prac-all.csv: NUMBER_OF_PATIENTS: line 2: expected a whole number of patients; found 14,492.5"),
    (("pcn-core-partner-details.csv", "2019-07-01", "2001-07-01"),
     "pcn-core-partner-details.csv: PRACTICE TO PCN RELATIONSHIP START DATE: line 2: expected a PCN relationship start date"),
]


@pytest.mark.parametrize("change, message", IMPLAUSIBLE)
def test_implausible_values_stop_the_run_naming_file_column_line_and_value(tmp_path, nhs, change, message):
    name, old, new = change
    edit(nhs.parent / name, old, new)
    line = one_line_error(gpsim("run", nhs, "--quiet", "--no-charts", "--out", tmp_path / "o", cwd=tmp_path))
    assert message in line and "(check the file, or run with --allow-implausible)" in line
    assert not (tmp_path / "o").exists()


def test_allow_implausible_warns_and_records_the_warnings(tmp_path, nhs):
    edit(nhs.parent / "gp-reg-pat-prac-all.csv", "ALL,ALL,14492", "ALL,ALL,1000000000")
    done = gpsim("run", nhs, "--quiet", "--no-charts", "--out", tmp_path / "o", "--allow-implausible", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("gpsim: warning: implausible value accepted")]
    assert len(warnings) == 2 and "found 1,000,000,000" in warnings[0]
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["data_warnings"] == [line.removeprefix("gpsim: warning: ") for line in warnings]
    assert manifest["scenario"]["population"]["allow_implausible"] is True


@pytest.mark.parametrize("change, message", [
    # an unquoted comma in the first row once made it a "header" and dropped it
    (("epraccur.csv", "A00001,PRACTICE A00001,", "A00001,PRACTICE, A00001,"),
     "epraccur.csv: expected a epraccur practices CSV file with 27 cells on each line; found 28 on line 1, more (an unquoted comma?)"),
    # a truncated last line once dropped a membership
    (("pcn-core-partner-details.csv", None, None),
     "pcn-core-partner-details.csv: expected a PCN core partner details CSV file with 8 cells on each line as in its header; "
     "found 5 on line 36, fewer (a truncated line?)"),
    # a NUL byte in a code once made a practice "missing"
    (("workforce.csv", "A00002,PRACTICE", "A00\x0002,PRACTICE"), "workforce.csv: expected a workforce CSV file of text; found a NUL byte on line 3"),
    (("workforce.csv", "A00002,PRACTICE", "A00 02,PRACTICE"),
     "workforce.csv: PRAC_CODE: expected a practice code of letters and digits on line 3; found 'A00 02'"),
])
def test_broken_lines_are_errors_never_dropped_rows(tmp_path, nhs, change, message):
    name, old, new = change
    path = nhs.parent / name
    if old is None:  # cut the last line short
        text = path.read_text(encoding="utf-8").rstrip("\n")
        path.write_text(text[: text.rindex(",", 0, text.rindex(",", 0, text.rindex(",")))] + "\n", encoding="utf-8")
    else:
        edit(path, old, new)
    line = one_line_error(gpsim("run", nhs, "--quiet", "--no-charts", "--out", tmp_path / "o", cwd=tmp_path))
    assert message in line, line


def test_a_header_row_added_to_epraccur_is_reported(tmp_path, nhs):
    path = nhs.parent / "epraccur.csv"
    path.write_text("Organisation Code" + ",x" * 26 + "\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    done = gpsim("run", nhs, "--quiet", "--no-charts", "--out", tmp_path / "o", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"gpsim: warning: {path}: line 1 read as a header row and skipped" in done.stderr.splitlines()
    check = gpsim("data", "check", nhs, cwd=tmp_path)
    assert "line 1 read as a header row and skipped" in check.stdout


@pytest.mark.parametrize("encoding, name", [("cp1252", "cp1252"), ("latin-1", "cp1252"), ("utf-16", "UTF-16"),
                                            ("utf-8-sig", "UTF-8 with BOM")])
def test_nhs_files_in_other_encodings_give_the_same_population(tmp_path, nhs, encoding, name):
    from sim.population.nhs_files import DataFiles, assemble
    from sim.scenario.loading import load
    population = load(nhs).population
    before = assemble(DataFiles.of(population), "2023-04").table
    path = nhs.parent / "epraccur.csv"
    path.write_bytes(path.read_text(encoding="utf-8").replace("PRACTICE A00001", "PRACTICE CAFÉ").encode(encoding))
    found = assemble(DataFiles.of(population), "2023-04")
    assert found.encodings["practices_file"] == name
    assert found.table.drop(columns="line", errors="ignore").equals(before.drop(columns="line", errors="ignore"))
    if name != "UTF-8 with BOM":
        assert f"{path}: read as {name} text (not UTF-8)" in found.warnings


# Limits on the real run ----------------------------------------------------------------------

def test_run_size_uses_the_replications_given_and_the_practices_read(tmp_path, nhs):
    from sim.results.run import run
    from sim.scenario.loading import resolve
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(small_data(months=1200, replications=100, population={"practices": 1000})))
    with pytest.raises(InputError, match="1,000 x 1,200 x 100 = 120,000,000"):
        resolve(path)
    assert resolve(path, replications=1).scenario.replications == 1, "--replications 1 makes it a small run"
    # the synthetic count is not used by a population read from files
    edit(nhs, "  practices: epraccur.csv", "  practices_file: epraccur.csv\n  practices: 50000")
    assert resolve(nhs, ["months=1200"], replications=2).scenario.population.practices == 50000
    with pytest.raises(InputError, match=r"practices x months x replications: .* found 35 x 1,200 x 2,400 = 100,800,000"):
        run(nhs, overrides=["months=1200"], replications=2400)


# Sweeps, rerun, and the small things ------------------------------------------------------------

def test_a_sweep_killed_before_its_manifest_resumes(tmp_path):
    from sim.analysis.sweep import RunStore, load_sweep

    from .test_sweep import LATIN, write
    sweep = load_sweep(write(tmp_path / "in", LATIN))
    folder = tmp_path / "sweep"
    (folder / "parts").mkdir(parents=True)
    (folder / "sweep.yaml").write_text("half")
    (folder / ".base_scenario.yaml.partial-1@x-ab").write_text("half")
    assert RunStore(folder, sweep).check() == "new"
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="found other files"):
        RunStore(folder, sweep).check()


def test_a_misspelled_sweep_key_gets_a_did_you_mean(tmp_path):
    from sim.analysis.sweep import load_sweep

    from .test_sweep import LATIN, write
    sweep = {("paramters" if key == "parameters" else key): value for key, value in LATIN.items()}
    with pytest.raises(InputError, match=r"paramters: unknown key 'paramters' \(did you mean 'parameters'\?\)"):
        load_sweep(write(tmp_path, sweep))


def test_rerun_checks_data_files_missing_results_and_works_from_elsewhere(tmp_path, nhs):
    first, elsewhere = nhs.parent, tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert gpsim("run", "scenario.yaml", "--quiet", "--no-charts", "--out", tmp_path / "o", cwd=first).returncode == 0
    done = gpsim("rerun", tmp_path / "o", "--quiet", "--no-charts", "--out", tmp_path / "r1", cwd=elsewhere)
    assert done.returncode == 0 and "byte-identical" in done.stdout, done.stderr
    (tmp_path / "o" / "networks.csv").unlink()
    done = gpsim("rerun", tmp_path / "o", "--quiet", "--no-charts", "--out", tmp_path / "r2", cwd=elsewhere)
    assert one_line_error(done, 1).startswith(f"gpsim: rerun: {tmp_path / 'o'} is missing networks.csv, which its manifest records")
    edit(first / "workforce.csv", "4.94", "4.95")
    line = one_line_error(gpsim("rerun", tmp_path / "o", "--quiet", "--no-charts", "--out", tmp_path / "r3", cwd=elsewhere))
    assert line.startswith(f"gpsim: error: {tmp_path / 'o' / 'manifest.json'}: data_files.workforce: expected the data file "
                           "the run read") and "workforce.csv changed since" in line
    assert not (tmp_path / "r3").exists()


def test_dashboard_host_is_checked_and_sharing_warned(monkeypatch, capsys):
    import sim.app.commands.dashboard as dashboard
    assert main(["dashboard", "--host", "evil host"]) == 2
    assert capsys.readouterr().err.strip() == "gpsim: error: --host: expected an address to listen on such as 127.0.0.1 or 0.0.0.0; found 'evil host'"

    class Stopped:
        returncode = 1

        def poll(self):
            return 1

    monkeypatch.setattr(dashboard.subprocess, "Popen", lambda *a, **k: Stopped())
    monkeypatch.setattr(dashboard, "_check_port", lambda host, port: None)
    main(["dashboard", "--host", "0.0.0.0"])
    assert "gpsim: warning: --host 0.0.0.0 lets other computers open the dashboard, which has no password" in capsys.readouterr().err


def test_nhs_file_runs_carry_ods_codes(nhs):
    import sim
    from sim.population.nhs_files import DataFiles, assemble
    from sim.scenario.loading import load
    scenario = load(nhs)
    codes = list(assemble(DataFiles.of(scenario.population), scenario.start).table.index)
    practices = sim.run(nhs, overrides=["months=12"]).to_df("practices")
    first = practices[practices["month"] == practices["month"].min()]
    started = first[first["practice_id"] < len(codes)]
    assert started["ods_code"].tolist() == [codes[i] for i in started["practice_id"]]
    assert len(set(codes)) == len(codes) == 35 and codes[0] == "A00001"


def test_only_a_gpsim_command_is_recorded_as_the_command(monkeypatch):
    from sim.results.folder import command_line
    monkeypatch.setattr(sys, "argv", ["/usr/lib/python3/site-packages/solara/__main__.py", "run", "sim.app.dashboard.page"])
    assert command_line() is None, "a dashboard server's own command is not the gpsim command"
    monkeypatch.setattr(sys, "argv", [str(ROOT / "sim" / "__main__.py"), "run", "x.yaml"])
    assert command_line() == [str(ROOT / "sim" / "__main__.py"), "run", "x.yaml"]
    monkeypatch.setattr(sys, "argv", ["/usr/local/bin/gpsim", "run", "x.yaml"])
    assert command_line() == ["/usr/local/bin/gpsim", "run", "x.yaml"]


def test_compare_takes_allow_implausible_as_run_does():
    from sim.app.cli import parser
    from sim.app.commands.run import settings

    for words in (["run", "a.yaml"], ["compare", "a.yaml", "b.yaml"]):
        args = parser().parse_args([*words, "--set", "seed=3", "--allow-implausible"])
        assert settings(args) == ["seed=3", "population.allow_implausible=true"]
        assert settings(parser().parse_args([*words, "--set", "seed=3"])) == ["seed=3"]
