"""The documentation stays in step with the code."""
from __future__ import annotations

import re

from sim.model import reporters
from sim.scenario.reference import parameter_table

from .conftest import ROOT


def test_odd_parameter_table_is_the_generated_one():
    text = (ROOT / "docs/ODD.md").read_text()
    embedded = re.search(r"<!-- parameters:start -->\n(.*)\n<!-- parameters:end -->", text, re.S).group(1)
    assert embedded == parameter_table(), "regenerate with: gpsim schema --table"


def test_every_scenario_field_is_in_the_odd_table():
    from sim.scenario.reference import _rows, model_of
    from sim.scenario.schema import Scenario
    table = (ROOT / "docs/ODD.md").read_text()
    for key, model, _, _ in _rows(Scenario, ""):
        prefix = "" if key == "(top level)" else key + "."
        for name, field in model.model_fields.items():
            if model_of(field.annotation) is None:
                assert f"| {prefix}{name} |" in table, f"{prefix}{name} missing from docs/ODD.md"


def test_every_timeseries_column_is_defined_in_docs():
    text = (ROOT / "docs/outputs.md").read_text()
    for function in reporters.NATIONAL:
        assert f"| {function.__name__} |" in text


def test_readme_starts_with_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text().splitlines()
    commands = [line for line in readme[:6] if line.startswith("python -m pip")]
    assert commands[0] == "python -m pip install -e . && gpsim run scenarios/history_2013_2023.yaml"
    assert (ROOT / ".ci/run").read_text().strip().splitlines()[-1] == commands[1]
