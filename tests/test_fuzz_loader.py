"""The loader fuzzed with generated text, bytes, malformed YAML and structured-but-wrong data:
load() returns a Scenario or raises InputError with a one-line message naming the file, and
nothing else ever escapes."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.scenario.errors import InputError
from sim.scenario.loading import load
from sim.scenario.schema import Scenario

from .conftest import small_data

# Derandomized, so there is nothing to keep between runs: no example database in the checkout.
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True,
                database=None)
VALID_TEXT = yaml.safe_dump(small_data(months=30), sort_keys=False)

KEYS = ["name", "start", "months", "seed", "replications", "population", "practices", "mean_list_size", "organisations",
        "pcn", "kind", "band", "min_patients", "max_patients", "payments", "opens", "changes", "date", "set",
        "additional_roles", "employer", "extends", "money", "fixed_costs", "workforce", "closure", "<<", "source"]
YAML_BITS = ["&a ", "*a", "!!python/object/apply:os.system ['true']", "!!binary aGk=", "!!set {a}", "!foo ", "<<: *a",
             "? ", "- ", ": ", "\t", "{", "}", "[", "]", "'", '"', "\n", "\n---\n", "%YAML 1.1\n", "#", "|\n  ", ">\n  ",
             "~", "null", "yes", "1e999", "-.inf", ".nan", "0x1F", "0o17", "1_000", "2019-02-30", "9" * 60, "\x00", "\ufeff",
             "extends: /dev/zero\n", "extends: .\n", "extends: " + "../" * 30 + "x.yaml\n"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """One folder for every example of the module (hypothesis runs many examples per test)."""
    return tmp_path_factory.mktemp("fuzz")


def check(folder: Path, content: str | bytes) -> None:
    path = folder / "fuzzed.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    try:
        scenario = load(path)
    except InputError as error:
        message = str(error)
        assert "\n" not in message and "\r" not in message
        assert message.startswith(f"{path}:") or ": extends" in message, message
        return
    assert isinstance(scenario, Scenario)


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.dates()
    | st.sampled_from(["2019-07", "2013-04", "network", "pcn", "", "0", "-1", "1e9"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=4),
    max_leaves=20)


@FUZZ
@given(st.text(max_size=400))
def test_any_text(folder, text):
    check(folder, text)


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes(folder, data):
    check(folder, data)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(VALID_TEXT)), st.integers(0, 5), st.sampled_from(YAML_BITS) | st.text(max_size=5)),
                min_size=1, max_size=6))
def test_valid_file_with_malformed_edits(folder, edits):
    text = VALID_TEXT
    for at, cut, inserted in edits:
        at = min(at, len(text))
        text = text[:at] + inserted + text[at + cut:]
    check(folder, text)


@FUZZ
@given(st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=10), yaml_values, max_size=6))
def test_structured_but_wrong_top_level(folder, data):
    check(folder, yaml.safe_dump(data, allow_unicode=True))


SECTIONS = ["population", "demand", "workforce", "money", "behaviour", "continuity", "closure", "additional_roles"]


@FUZZ
@given(st.sampled_from(SECTIONS + ["organisations.pcn", "organisations.pcn.band", "organisations.federation.payments"]),
       st.sampled_from(KEYS) | st.text(min_size=1, max_size=12), yaml_values)
def test_one_wrong_value_in_a_valid_scenario(folder, section, key, value):
    data = small_data(months=30)
    node = data
    for part in section.split("."):
        node = node.setdefault(part, {})
    node[key] = value
    check(folder, yaml.safe_dump(data, allow_unicode=True))


@FUZZ
@given(st.lists(st.text(max_size=30) | st.builds(lambda k, v: f"{k}={v}", st.sampled_from(
    ["months", "seed", "population.practices", "organisations.pcn.band.min_patients", "changes.0", "name", "a..b", ".x",
     "organisations.pcn.opens", "money", "organisations.0"]), st.sampled_from(YAML_BITS) | st.text(max_size=10)), max_size=4),
       st.none() | st.integers(-5, 2**64), st.none() | st.integers(-5, 20_000))
def test_overrides_and_options(folder, overrides, seed, replications):
    path = folder / "valid.yaml"
    path.write_text(VALID_TEXT, encoding="utf-8")
    try:
        scenario = load(path, overrides, seed=seed, replications=replications)
    except InputError as error:
        assert "\n" not in str(error)
        return
    assert isinstance(scenario, Scenario)


@pytest.mark.parametrize("text", [
    "a: " + "[" * 3000 + "]" * 3000,                     # nesting past the interpreter's recursion limit
    "a: " + "{b: " * 3000 + "1" + "}" * 3000,
    "".join(f"k{i}: &k{i} [" + ", ".join([f"*k{i - 1}" if i else "x"] * 9) + "]\n" for i in range(12)),  # 9^12 values
    "a: &a [*a, *a]\n",
    "start: !!timestamp 2019-99-99\n",
    "months: !!int 12.5\n",
    "months: !!float x\n",
    "? !!python/tuple [1, 2]\n: 3\n",
])
def test_nasty_yaml(folder, text):
    check(folder, text)
