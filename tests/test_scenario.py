"""Scenario loading: valid files load; every kind of bad input names file, key, expected, found."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim.scenario.errors import InputError
from sim.scenario.loading import load, timeline
from sim.scenario.reference import markdown_reference
from sim.scenario.schema import Scenario

from .conftest import ROOT, small_data


def write(tmp_path, text: str):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path, overrides=()) -> str:
    with pytest.raises(InputError) as caught:
        load(path, overrides)
    return str(caught.value)


@pytest.mark.parametrize("name", ["history_2013_2023", "no_network_contract", "status_quo_2024",
                                  "networks_100k_2024", "roles_withdrawn_2024", "new_care_models_2016",
                                  "new_care_models_quarter_2016", "neighbourhood_providers_2026",
                                  "neighbourhood_providers_no_step_in_2026"])
def test_shipped_scenarios_load(name):
    scenario = load(ROOT / "scenarios" / f"{name}.yaml")
    assert scenario.name == name
    if name.endswith(("_2024", "_2026")):   # ten years from the history's simulated April 2024
        assert (scenario.start, scenario.months) == ("2024-04", 120)
        assert scenario.start_from.month == "2024-04"
        assert Path(scenario.start_from.scenario) == (ROOT / "scenarios/history_2013_2023.yaml").resolve()
    else:                        # April 2013 to April 2024 inclusive
        assert (scenario.start, scenario.months, scenario.end) == ("2013-04", 133, "2024-05")


def test_counterfactual_is_history_without_the_contract():
    history = load(ROOT / "scenarios/history_2013_2023.yaml")
    counterfactual = load(ROOT / "scenarios/no_network_contract.yaml")
    assert "pcn" in history.organisations and "pcn" not in counterfactual.organisations
    assert counterfactual.additional_roles.start is None
    assert counterfactual.start == history.start and counterfactual.population == history.population


def test_misspelled_key_gets_did_you_mean(tmp_path):
    message = error_of(write(tmp_path, "name: x\npopulation:\n  practises: 100\n"))
    assert message.startswith(str(tmp_path / "s.yaml") + ": population.practises: unknown key 'practises'")
    assert "did you mean 'practices'" in message


@pytest.mark.parametrize("text, expected", [
    ("population:\n  practices: lots\n", ["population.practices: expected a valid integer", "'lots'"]),
    ("population:\n  practices: -5\n", ["population.practices: expected greater than 0; found -5"]),
    ("population:\n  rural_share: 1.5\n", ["population.rural_share: expected less than or equal to 1; found 1.5"]),
    ("start: 2019-13\n", ["start: expected a month written YYYY-MM"]),
    ("name: a\nname: b\n", ["duplicate key 'name'"]),
])
def test_bad_value_names_key_expected_and_found(tmp_path, text, expected):
    message = error_of(write(tmp_path, text))
    for fragment in expected:
        assert fragment in message


def test_band_maximum_below_minimum(tmp_path):
    data = small_data()
    data["organisations"]["pcn"]["band"] = {"min_patients": 60000, "max_patients": 50000}
    message = error_of(write(tmp_path, yaml.safe_dump(data)))
    assert "organisations.pcn.band" in message and "max_patients must not be below min_patients" in message


def test_date_outside_simulated_period(tmp_path):
    data = small_data()
    data["organisations"]["pcn"]["opens"] = "2031-01"
    message = error_of(write(tmp_path, yaml.safe_dump(data)))
    assert "organisations.pcn.opens: expected a month from 2017-04 to before 2021-04; found 2031-01" in message


def test_yaml_syntax_error_reports_line(tmp_path):
    message = error_of(write(tmp_path, "name: x\npopulation:\n  practices: [1, 2\n"))
    assert "line " in message and "YAML does not parse" in message


def test_python_object_tags_refused(tmp_path):
    message = error_of(write(tmp_path, "name: !!python/object/apply:os.system ['echo hi']\n"))
    assert "name: expected plain data" in message and "found the tag '!!python/object/apply:os.system'" in message


def test_missing_file(tmp_path):
    assert "expected an existing scenario file" in error_of(tmp_path / "nope.yaml")


def test_not_a_mapping(tmp_path):
    assert "expected a mapping" in error_of(write(tmp_path, "- a\n- b\n"))


def test_set_overrides_any_field(small_file):
    scenario = load(small_file, ["organisations.pcn.band.min_patients=20000", "months=30"])
    assert scenario.organisations["pcn"].band.min_patients == 20000
    assert scenario.months == 30


def test_set_with_unknown_key_is_reported_against_set(small_file):
    message = error_of(small_file, ["money.fixed_cost=5"])
    assert "(with --set): money.fixed_cost: unknown key" in message and "did you mean 'fixed_costs'" in message


def test_set_without_equals(small_file):
    assert "--set: months: expected key.path=value" in error_of(small_file, ["months"])


def test_extends_merges_and_null_removes(tmp_path, small_file):
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {small_file.name}\nname: child\norganisations:\n  pcn: null\nadditional_roles: null\n")
    scenario = load(child)
    assert scenario.name == "child" and list(scenario.organisations) == ["federation"]
    assert scenario.population.practices == 600


def test_extends_loop_refused(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    assert "without loops" in error_of(tmp_path / "a.yaml")


def test_dated_changes_take_effect_in_order(tmp_path):
    data = small_data(changes=[{"date": "2019-04", "set": {"organisations.pcn.band.min_patients": 100000,
                                                           "organisations.pcn.band.max_patients": 200000}},
                               {"date": "2018-04", "set": {"money.fixed_costs": 1000}}])
    steps = timeline(load(write(tmp_path, yaml.safe_dump(data))))
    assert [offset for offset, _ in steps] == [0, 12, 24]
    assert steps[1][1].money.fixed_costs == 1000 and steps[1][1].organisations["pcn"].band.min_patients == 30000
    assert steps[2][1].money.fixed_costs == 1000 and steps[2][1].organisations["pcn"].band.min_patients == 100000


def test_change_with_bad_value_is_named(tmp_path):
    data = small_data(changes=[{"date": "2019-04", "set": {"money.fixed_costs": -1}}])
    message = error_of(write(tmp_path, yaml.safe_dump(data)))
    assert "changes.0.set: money.fixed_costs: expected greater than or equal to 0" in message


def test_change_may_not_alter_population(tmp_path):
    data = small_data(changes=[{"date": "2019-04", "set": {"population.practices": 10}}])
    assert "fixed at the start" in error_of(write(tmp_path, yaml.safe_dump(data)))


def test_roles_employer_must_exist(tmp_path):
    data = small_data()
    data["additional_roles"]["employer"] = "icb"
    assert "additional_roles.employer: expected one of the organisations (federation, pcn); found 'icb'" in error_of(write(tmp_path, yaml.safe_dump(data)))


def test_reference_documents_every_field_with_unit_and_source():
    text = markdown_reference()
    for section in ("## population", "## workforce", "## organisations.<name>", "## organisations.<name>.band"):
        assert section in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| key")]
    assert len(rows) > 100
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert all(cells[i] for i in (0, 1, 2, 4)), f"undocumented field: {row}"
    assert "Pettigrew" not in text  # sources point at evidence.md rows, not raw citations
    assert Scenario.model_json_schema()["title"] == "Scenario"
