"""Every file in tests/bad_inputs/ run through the real command line: exit status 2, exactly one
line on stderr naming the file, the key path, what was expected and what was found, no
traceback, and nothing written.

CORPUS maps each file to (key path, a fragment of the message); a key path of "" means the whole
file is at fault. Where the fault lies in another file (a missing or looping `extends:`), the
third item names that file.
"""
from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .conftest import ROOT

CORPUS_DIR = Path(__file__).resolve().parent / "bad_inputs"

CORPUS: dict[str, tuple] = {
    # not there, not YAML, not a mapping
    "does_not_exist.yaml": ("", "expected an existing scenario file; found nothing there"),
    "not_yaml.csv": ("", "expected a scenario file named *.yaml or *.yml; found '.csv'"),
    "binary.yaml": ("", "expected a scenario file of text (UTF-8, UTF-16 or cp1252); found binary data (byte 0 is not text)"),
    "latin1.yaml": ("name", "found 'café'"),  # Latin-1 (cp1252) text is read, and its name checked
    "control_character.yaml": ("", "line 1: YAML does not parse: expected printable text; found the control character #x0000"),
    "empty.yaml": ("", "expected a mapping of keys to values; found an empty file"),
    "only_comments.yaml": ("", "found an empty file"),
    "list_at_top.yaml": ("", "expected a mapping of keys to values; found a list"),
    "text_at_top.yaml": ("", "found 'just some words' (text)"),
    # YAML syntax errors report the line
    "syntax_unclosed_list.yaml": ("population.practices.2", "line 4, column 1: YAML does not parse: expected ',' or ']'"),
    "syntax_bad_indent.yaml": ("line 3, column 2", "YAML does not parse: expected <block end>"),
    "syntax_tab_indent.yaml": ("population", "line 2, column 1: YAML does not parse: found character '\\t'"),
    "syntax_colon_in_value.yaml": ("line 1, column 8", "YAML does not parse: expected valid YAML; found mapping values are not allowed here"),
    "syntax_unclosed_quote.yaml": ("title", "line 3, column 1: YAML does not parse: found unexpected end of stream"),
    "two_documents.yaml": ("", "expected one YAML document; found a second one at line 2"),
    "undefined_alias.yaml": ("money", "expected an alias to an anchor defined earlier; found '*defaults' undefined at line 2"),
    # unknown keys, with did-you-mean
    "unknown_top_key.yaml": ("mounths", "unknown key 'mounths' (did you mean 'months'?); expected one of: name,"),
    "unknown_nested_key.yaml": ("population.practises", "unknown key 'practises' (did you mean 'practices'?)"),
    "unknown_band_key.yaml": ("organisations.pcn.band.min_patient", "(did you mean 'min_patients'?); expected one of: min_patients, max_patients"),
    "unknown_key_no_guess.yaml": ("zzz", "unknown key 'zzz'; expected one of:"),
    # wrong types
    "type_months_text.yaml": ("months", "expected a valid integer; found 'many'"),
    "type_months_yes.yaml": ("months", "expected a valid integer; found true"),
    "type_months_quoted.yaml": ("months", "expected a valid integer; found '48'"),
    "type_months_fraction.yaml": ("months", "expected a valid integer, got a number with a fractional part; found 48.5"),
    "type_population_number.yaml": ("population", "expected a mapping of keys to values (Population); found 5"),
    "type_organisations_list.yaml": ("organisations", "expected a mapping of keys to values; found ['pcn', 'federation']"),
    "type_kind_unknown.yaml": ("organisations.pcn.kind", "expected 'network', 'federation', 'super_partnership' or 'integrated_provider'; found 'club'"),
    "type_start_words.yaml": ("start", "expected a month written YYYY-MM; found 'April 2013'"),
    "type_start_month_13.yaml": ("start", "expected a month written YYYY-MM; found '2019-13'"),
    "type_date_impossible.yaml": ("start", "expected a real date; found '2019-02-30' at line 1"),
    "type_changes_set_list.yaml": ("changes.0.set", "expected a mapping of keys to values; found ['money.fixed_costs', 1]"),
    "type_title_list.yaml": ("title", "expected text; found ['a', 'b']"),
    "type_share_text.yaml": ("population.rural_share", "expected a valid number; found 'lots'"),
    # negative or impossible values
    "negative_list_size.yaml": ("population.mean_list_size", "expected greater than 0; found -5000"),
    "negative_min_list_size.yaml": ("population.min_list_size", "expected greater than 0; found -1"),
    "negative_seed.yaml": ("seed", "expected greater than or equal to 0; found -1"),
    "negative_replications.yaml": ("replications", "expected greater than 0; found -3"),
    "negative_staff.yaml": ("workforce.nurse_fte_per_1000", "expected greater than or equal to 0; found -0.2"),
    "share_above_one.yaml": ("population.rural_share", "expected less than or equal to 1; found 1.5"),
    "share_negative.yaml": ("workforce.partner_share", "expected greater than or equal to 0; found -0.1"),
    "coverage_above_one.yaml": ("organisations.federation.initial_coverage", "expected less than or equal to 1; found 2"),
    "band_max_below_min.yaml": ("organisations.pcn.band.max_patients", "max_patients must not be below min_patients: expected a value at least min_patients (60000); found 50000"),
    "list_max_below_min.yaml": ("population.max_list_size", "expected a value above min_list_size (9000); found 8000"),
    "roles_start_before_start.yaml": ("additional_roles.start", "expected a month from 2017-04 to before 2019-04; found 2016-01"),
    "opens_after_end.yaml": ("organisations.pcn.opens", "expected a month from 2017-04 to before 2019-04; found 2030-01"),
    "change_before_start.yaml": ("changes.0.date", "expected a month from 2017-04 to before 2019-04; found 2016-04"),
    "change_missing_date.yaml": ("changes.0.date", "expected a value; found the key missing"),
    "change_fixed_key.yaml": ("changes.0.set.population.practices", "expected a key that may change during a run; found one fixed at the start"),
    "change_bad_value.yaml": ("changes.0.set: money.fixed_costs", "expected greater than or equal to 0; found -1"),
    "zero_months.yaml": ("months", "expected greater than 0; found 0"),
    "zero_practices.yaml": ("population.practices", "expected greater than 0; found 0"),
    "start_year_1.yaml": ("start", "expected a period within 1948-07 to 2200-01; found 0001-01 to 0011-01"),
    "nan_cost.yaml": ("money.fixed_costs", "found nan"),
    "employer_missing.yaml": ("additional_roles.employer", "expected one of the organisations (pcn); found 'icb'"),
    "organisation_bad_name.yaml": ("organisations.PCN Two", "expected a lower-case name of letters, digits and _; found 'PCN Two'"),
    # duplicate keys
    "duplicate_top_key.yaml": ("name", "expected each key once in a mapping; found a duplicate key 'name' at line 3, column 1 (first at line 1)"),
    "duplicate_nested_key.yaml": ("population.practices", "found a duplicate key 'practices' at line 4"),
    "duplicate_organisation.yaml": ("organisations.pcn", "found a duplicate key 'pcn' at line 4"),
    "number_key.yaml": ("(top level)", "expected keys that are names (quote them if need be); found the key '1' at line 2"),
    "list_key.yaml": ("(top level)", "expected keys that are names"),
    # enormous values, refused with the limit named
    "huge_practices.yaml": ("population.practices", "expected less than or equal to 50000; found 1000000000"),
    "huge_months.yaml": ("months", "expected less than or equal to 1200; found 1000000"),
    "huge_replications.yaml": ("replications", "expected less than or equal to 10000; found 10000000"),
    "huge_run.yaml": ("practices x months x replications", "expected at most 100,000,000 practice-months in one run"),
    "huge_integer.yaml": ("seed", "expected a number of at most 50 digits; found one of 5,000 characters"),
    "huge_band.yaml": ("organisations.pcn.band.max_patients", "expected less than or equal to 100000000; found 1000000000000.0"),
    "huge_salary.yaml": ("money.partner_drawings_per_fte", "expected less than or equal to 10000000"),
    "alias_bomb.yaml": ("e", "expected at most 100,000 values once aliases are expanded; found 111,111"),
    "deep_nesting.yaml": ("description.0.0....(46 levels)....0.0", "expected mappings and lists nested at most 50 deep"),
    "many_changes.yaml": ("changes", "expected at most 1,200 items; found 1,201"),
    # scenario files are data, never code, and cannot name a folder outside outputs/
    "python_object.yaml": ("name", "expected plain data (text, numbers, true/false, lists, mappings); found the tag '!!python/object/apply:os.system'"),
    "python_name.yaml": ("name", "found the tag '!!python/name:os.system'"),
    "include_tag.yaml": ("population", "found the tag '!include' at line 1"),
    "binary_tag.yaml": ("name", "found the tag '!!binary'"),
    "recursive_alias.yaml": ("population.practices", "expected plain data; found an alias that contains itself"),
    "name_escapes_outputs.yaml": ("name", "expected a name of letters, digits, '_', '.' and '-' starting with a letter or digit (it names the output folder); found '../../x'"),
    "name_hidden.yaml": ("name", "found '.hidden'"),
    # extends
    "extends_missing.yaml": ("", "expected an existing scenario file; found nothing there", "no_such_base.yaml"),
    "extends_loop_a.yaml": ("extends", "expected a chain of files without loops; found 'extends_loop_a.yaml' again", "extends_loop_b.yaml"),
    "extends_loop_b.yaml": ("extends", "expected a chain of files without loops; found 'extends_loop_b.yaml' again", "extends_loop_a.yaml"),
    "extends_number.yaml": ("extends", "expected the path of another scenario file; found 5"),
    # other files are never read as scenarios, so none of their text can appear in a message
    "extends_system_file.yaml": ("", "expected a scenario file named *.yaml or *.yml; found 'no suffix'", "/etc/passwd"),
    "extends_proc.yaml": ("", "expected a scenario file; found a path in /proc, which gpsim never reads", "/proc/version"),
}

# Bad command-line options and --set overrides: (arguments after the scenario, source, key, fragment).
OPTIONS = [
    (["--set", "months"], "--set", "months", "expected key.path=value; found no '='"),
    (["--set", "money.fixed_cost=5"], "{file} (with --set)", "money.fixed_cost", "did you mean 'fixed_costs'"),
    (["--set", "population.practices=-4"], "{file} (with --set)", "population.practices", "expected greater than 0; found -4"),
    (["--set", "name=../../x"], "{file} (with --set)", "name", "found '../../x'"),
    (["--seed", "-1"], "--seed", "", "expected a whole number from 0 to 9,223,372,036,854,775,807; found -1"),
    (["--replications", "0"], "--replications", "", "expected a whole number from 1 to 10,000; found 0"),
    (["--replications", "20000"], "--replications", "", "expected a whole number from 1 to 10,000; found 20,000"),
    (["--replications", "5000", "--set", "population.practices=50000"], "{file} (with --replications 5000)",
     "practices x months x replications", "expected at most 100,000,000 practice-months"),
    (["--replications", "many"], "gpsim run", "argument --replications", "invalid int value: 'many'"),
]


def gpsim(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120)


def _path(name: str) -> Path:
    return CORPUS_DIR / name


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Every corpus file run through `python -m sim run FILE --out DIR` in its own empty folder
    (two at a time: each is a separate Python process)."""
    before = sorted(p.name for p in CORPUS_DIR.iterdir())
    # The folders are made here, in one thread: pytest's numbered temporary folders are not
    # made safely from two threads at once.
    folders = {name: tmp_path_factory.mktemp("cwd") for name in CORPUS}

    def one(name):
        cwd = folders[name]
        done = gpsim("run", _path(name), "--quiet", "--out", cwd / "out", cwd=cwd)
        return name, (done, sorted(p.name for p in cwd.iterdir()))

    with ThreadPoolExecutor(max_workers=2) as pool:
        found = dict(pool.map(one, CORPUS))
    assert sorted(p.name for p in CORPUS_DIR.iterdir()) == before, "running the corpus changed tests/bad_inputs/"
    return found


def test_every_corpus_file_is_listed():
    on_disk = {p.name for p in CORPUS_DIR.iterdir()}
    listed = set(CORPUS) - {"does_not_exist.yaml"}
    assert on_disk == listed, f"unlisted: {sorted(on_disk - listed)}; missing: {sorted(listed - on_disk)}"
    assert len(listed) >= 70


def expected_prefix(name: str) -> str:
    key, _, *elsewhere = CORPUS[name]
    source = str(_path(name)) if not elsewhere else str(_path(elsewhere[0]).resolve())
    return f"gpsim: error: {source}: {key}: " if key else f"gpsim: error: {source}: "


@pytest.mark.parametrize("name", list(CORPUS))
def test_bad_input_exits_2_with_one_line_and_writes_nothing(outcomes, name):
    done, left = outcomes[name]
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert lines[0].startswith(expected_prefix(name)), lines[0]
    assert CORPUS[name][1] in lines[0], lines[0]
    assert done.stdout == ""
    assert left == [], f"something was written: {left}"


@pytest.mark.parametrize("extra, source, key, fragment", OPTIONS, ids=[" ".join(o[0]) for o in OPTIONS])
def test_bad_options_exit_2_with_one_line(tmp_path, extra, source, key, fragment):
    scenario = tmp_path / "ok.yaml"
    scenario.write_text("name: ok\nmonths: 12\npopulation:\n  practices: 100\n  commissioner_areas: 4\n")
    done = gpsim("run", scenario, "--quiet", *extra, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    where = source.format(file=scenario)
    assert lines[0].startswith(f"gpsim: error: {where}: {key}: " if key else f"gpsim: error: {where}: "), lines[0]
    assert fragment in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.yaml"]


def test_oversized_file_is_refused_with_the_limit(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("description: >\n" + "  words words words words words words words words\n" * 25_000)
    done = gpsim("run", big, "--quiet", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"gpsim: error: {big}: expected a file of at most 1,000,000 bytes; found 1,250,015"]


def test_a_folder_given_as_scenario(tmp_path):
    done = gpsim("run", tmp_path, "--quiet", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"gpsim: error: {tmp_path}: expected a scenario file; found a folder"]


@pytest.mark.parametrize("name", ["type_months_text.yaml", "unknown_nested_key.yaml", "python_object.yaml", "alias_bomb.yaml",
                                  "syntax_unclosed_list.yaml", "does_not_exist.yaml"])
def test_other_commands_that_read_scenarios_fail_the_same_way(tmp_path, name):
    for command in (["compare", _path(name), _path(name), "--out", tmp_path / "c"], ["data", "check", _path(name)]):
        done = gpsim(*command, cwd=tmp_path)
        assert done.returncode == 2, (command, done.stderr)
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
        assert lines[0].startswith(expected_prefix(name)) and CORPUS[name][1] in lines[0], lines[0]
        assert list(tmp_path.iterdir()) == []


def test_python_object_tag_runs_nothing(tmp_path):
    done = gpsim("run", _path("python_object.yaml"), "--quiet", cwd=tmp_path)
    assert done.returncode == 2
    assert not (tmp_path / "hacked.txt").exists()
