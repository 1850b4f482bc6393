"""`gpsim schema --json` is JSON Schema for scenario files as people write them: editors accept
every shipped scenario (extends, null removals, dated changes) and flag the mistakes the loader
refuses for their shape."""
from __future__ import annotations

import contextlib
import json

import jsonschema
import pytest
import yaml

from sim.app.cli import main

from .conftest import ROOT

SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
BAD = ["unknown_top_key", "unknown_nested_key", "unknown_band_key", "type_months_quoted", "type_months_fraction",
       "type_kind_unknown", "type_changes_set_list", "change_missing_date", "extends_number", "share_above_one",
       "name_escapes_outputs", "type_start_month_13", "type_start_words", "zero_practices"]


@pytest.fixture(scope="module")
def validator(tmp_path_factory):
    out = tmp_path_factory.mktemp("schema") / "schema.json"
    with open(out, "w", encoding="utf-8") as handle, contextlib.redirect_stdout(handle):
        assert main(["schema", "--json"]) == 0
    schema = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", SHIPPED + [ROOT / "tests" / "fixtures" / "nhs" / "scenario.yaml"], ids=lambda p: p.name)
def test_every_shipped_scenario_is_valid(validator, path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [error.message for error in validator.iter_errors(data)] == []


def test_the_shipped_files_use_what_the_schema_adds():
    texts = [path.read_text(encoding="utf-8") for path in SHIPPED]
    assert any("extends:" in text for text in texts) and any("changes:" in text for text in texts)
    assert any(": null" in text for text in texts)


@pytest.mark.parametrize("name", BAD)
def test_shapes_the_loader_refuses_are_flagged(validator, name):
    data = yaml.safe_load((ROOT / "tests" / "bad_inputs" / f"{name}.yaml").read_text(encoding="utf-8"))
    assert not validator.is_valid(data)
