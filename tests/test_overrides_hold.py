"""An override (--set, or overrides given in code) holds for the whole run: a dated change that
sets the same key loses that setting, and the manifest says so."""
from __future__ import annotations

import json

import yaml

from sim.app.cli import main
from sim.scenario.loading import resolve
from tests.conftest import small_data

PUSH = "organisations.federation.commissioner_push"


def pushes(resolved) -> list[tuple[int, float]]:
    return [(offset, scenario.organisations["federation"].commissioner_push) for offset, scenario in resolved.timeline]


def test_set_on_history_holds_over_the_dated_change():
    before = resolve("history_2013_2023")
    assert pushes(before)[1] == (24, 0.8)  # the 2015-04 change raises the push
    held = resolve("history_2013_2023", [f"{PUSH}=0"])
    assert [push for _, push in pushes(held)] == [0.0] * len(before.timeline)
    assert held.dropped_changes == (f"2015-04 {PUSH} (changes.0)",)
    # The rest of that dated change still happens.
    assert held.scenario.changes[0].set == {"organisations.federation.payments.support_per_patient": 1.0}
    assert held.timeline[1][1].organisations["federation"].payments.support_per_patient == 1.0


def test_overrides_given_in_code_follow_the_same_rule():
    held = resolve("history_2013_2023", {PUSH: 0.3})
    assert [push for _, push in pushes(held)] == [0.3] * len(resolve("history_2013_2023").timeline)
    assert held.dropped_changes == (f"2015-04 {PUSH} (changes.0)",)


def test_nested_keys_either_way():
    # The user sets a whole mapping: every dated setting inside it gives way.
    whole = resolve("history_2013_2023", {"organisations.federation": {"kind": "federation", "commissioner_push": 0.1}})
    assert whole.scenario.changes[0].set == {}
    assert len(whole.dropped_changes) == 2
    # A dated change sets a whole mapping: the user's value is kept inside it.
    data = small_data(changes=[{"date": "2019-01", "set": {"organisations.federation": {"kind": "federation", "commissioner_push": 0.9,
                                                                                     "initial_coverage": 0.4}}}])
    held = resolve(data, [f"{PUSH}=0.2"])
    assert [push for _, push in pushes(held)] == [0.2, 0.2]
    assert held.dropped_changes == ("2019-01 organisations.federation (changes.0)",)


def test_unrelated_overrides_drop_nothing():
    assert resolve("history_2013_2023", ["money.fixed_costs=30000", "organisations.federation.staff_support=0.2"]).dropped_changes == ()
    assert resolve("history_2013_2023").dropped_changes == ()


def test_run_with_set_equals_the_scenario_without_that_dated_setting(tmp_path, capsys):
    dated = small_data(changes=[{"date": "2018-04", "set": {PUSH: 1.0, "money.fixed_costs": 30000}}])
    removed = small_data(changes=[{"date": "2018-04", "set": {"money.fixed_costs": 30000}}],
                         organisations={"federation": {"commissioner_push": 0.0}})
    (tmp_path / "dated.yaml").write_text(yaml.safe_dump(dated))
    (tmp_path / "removed.yaml").write_text(yaml.safe_dump(removed))
    assert main(["run", str(tmp_path / "dated.yaml"), "--set", f"{PUSH}=0", "--set", "months=30",
                 "--out", str(tmp_path / "a"), "--quiet", "--no-charts"]) == 0
    note = capsys.readouterr().err
    assert f"dated settings dropped: 2018-04 {PUSH} (changes.0)" in note
    assert main(["run", str(tmp_path / "removed.yaml"), "--set", "months=30", "--out", str(tmp_path / "b"),
                 "--quiet", "--no-charts"]) == 0
    assert (tmp_path / "a" / "timeseries.csv").read_bytes() == (tmp_path / "b" / "timeseries.csv").read_bytes()
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["dropped_changes"] == [f"2018-04 {PUSH} (changes.0)"]
    assert manifest["scenario"]["changes"][0]["set"] == {"money.fixed_costs": 30000}
