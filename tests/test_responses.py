"""The response atlas: its folder contract, common random numbers, bad input, and the directions
of the documented responses that the model satisfies on a small England."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

import sim
from sim.analysis.evaluate import OUTCOMES
from sim.analysis.levers import ATLAS_OUTCOMES, LEVERS
from sim.analysis.responses import observed_direction
from sim.app.cli import main
from tests.conftest import small_data

COLUMNS = ["lever", "level", "setting", "outcome", "median", "low", "high", "expected", "observed", "agrees"]


@pytest.fixture(scope="module")
def short_atlas():
    """Two levers on a short small England (PCNs open in month 27 of 30)."""
    return sim.responses(small_data(months=30), ["gp_supply", "commissioner_support"], replications=2, seed=4)


def test_folder_contract(short_atlas, tmp_path):
    folder = short_atlas.save(tmp_path / "atlas")
    assert sorted(p.name for p in folder.iterdir()) == ["charts", "manifest.json", "responses.csv", "runs.csv"]
    assert sorted(p.name for p in (folder / "charts").iterdir()) == [
        "commissioner_support.png", "commissioner_support.svg", "gp_supply.png", "gp_supply.svg"]
    table = pd.read_csv(folder / "responses.csv", keep_default_na=False)
    assert list(table.columns) == COLUMNS
    assert len(table) == (4 + 5) * len(ATLAS_OUTCOMES)
    assert (table["low"].astype(float) <= table["median"].astype(float)).all()
    assert (table["median"].astype(float) <= table["high"].astype(float)).all()
    supply = table[(table["lever"] == "gp_supply") & (table["outcome"] == "gp_fte_per_1000_end")]
    assert set(supply["expected"]) == {"up"} and set(supply["observed"]) == {"up"} and set(supply["agrees"]) == {"yes"}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "responses" and manifest["seed"] == 4 and manifest["replications"] == 2
    assert [lever["name"] for lever in manifest["levers"]] == ["gp_supply", "commissioner_support"]
    assert manifest["levers"][1]["settings"][0]["values"] == {"organisations.federation.commissioner_push": 0.0}
    assert set(manifest["files"]) >= {"responses.csv", "runs.csv", "charts/gp_supply.png"}


def test_every_level_runs_with_the_same_seed(short_atlas):
    runs = short_atlas.runs
    assert set(runs["seed"]) == {4} and len(runs) == (4 + 5) * 2
    # gp_supply x1 and commissioner support 0.5 are both the scenario itself: the same draws give
    # the same outcomes, so differences between levels are the lever's doing.
    same = [runs[(runs["lever"] == lever) & (runs["level"] == level)].drop(columns=["lever", "level"]).reset_index(drop=True)
            for lever, level in (("gp_supply", 1.0), ("commissioner_support", 0.5))]
    pd.testing.assert_frame_equal(*same)


def test_bad_lever_exits_2_with_one_line_and_writes_nothing(tmp_path, small_file, capsys):
    out = tmp_path / "atlas"
    assert main(["responses", str(small_file), "--levers", "gp_supply,gp_suply", "--out", str(out), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--levers: gp_suply: expected one of the levers (network_payment," in error
    assert not out.exists()


def test_a_level_the_scenario_refuses_exits_2_before_running(tmp_path, small_file, capsys):
    out = tmp_path / "atlas"
    assert main(["responses", str(small_file), "--levers", "band_minimum", "--set", "organisations.pcn.band.min_patients=10000",
                 "--set", "organisations.pcn.band.max_patients=15000",
                 "--out", str(out), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "lever 'band_minimum' at level 20000" in error
    assert not out.exists()


def test_a_scenario_without_the_kinds_the_levers_name_exits_2(tmp_path, capsys):
    data = small_data()
    del data["organisations"]["federation"]
    path = tmp_path / "nofed.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["responses", str(path), "--levers", "gp_supply", "--out", str(tmp_path / "atlas"), "--quiet"]) == 2
    assert "organisations.federation: expected the organisation kinds" in capsys.readouterr().err
    assert not (tmp_path / "atlas").exists()


def test_observed_direction():
    assert observed_direction([0.10, 0.101, 0.1005], 0.002) == "flat"
    assert observed_direction([0.10, 0.11, 0.11, 0.13], 0.002) == "up"
    assert observed_direction([100.0, 90.0, 90.5, 80.0], 1.0) == "down"
    assert observed_direction([0.07, 0.09, 0.06, 0.05], 0.002) == "mixed"
    assert observed_direction([1000.0, 1005.0], 1.0) == "flat"  # under 1% of the outcome's size
    assert observed_direction([2417.0, 2413.0, 2401.0, 2428.0], 1.0) == "up"  # the one step that counts
    assert observed_direction([0.10, 0.1015, 0.103, 0.1045], 0.002) == "up"  # small steps, a range that counts


def test_the_lever_data_names_real_outcomes():
    assert set(ATLAS_OUTCOMES) <= set(OUTCOMES)
    for lever in LEVERS.values():
        assert list(lever.levels) == sorted(lever.levels) and 3 <= len(lever.levels) <= 5, lever.name
        assert all(len(e.reason) > 20 for e in lever.expected.values()), lever.name


@pytest.fixture(scope="module")
def atlas():
    """The levers whose documented directions the model satisfies, on the small England."""
    levers = ["network_payment", "band_minimum", "roles_reimbursement", "gp_supply", "commissioner_support", "cost_growth",
              "funding_growth"]
    return sim.responses(small_data(), levers, replications=2, seed=5)


def medians(atlas, lever: str, outcome: str) -> list[float]:
    table = atlas.table
    return table[(table["lever"] == lever) & (table["outcome"] == outcome)]["median"].tolist()


def not_above(values: list[float], resolution: float) -> bool:
    """Each value at most the first one, give or take the outcome's resolution (a practice or two)."""
    return all(value <= values[0] + resolution for value in values[1:])


def test_more_payment_coverage_not_lower_and_deficit_not_higher(atlas):
    coverage = medians(atlas, "network_payment", "pcn_coverage_end")  # x0, x0.5, x1, x2
    assert coverage == sorted(coverage) and coverage[-1] > coverage[0] + 0.002  # nothing offered: some stay out
    deficit = medians(atlas, "network_payment", "practices_in_deficit_end")
    assert not_above(deficit, 0.002) and deficit[-1] < deficit[0] - 0.005   # 0.9% in deficit with no payment, none at x2


def test_more_gp_supply_more_gp_fte_and_no_more_closures(atlas):
    fte = medians(atlas, "gp_supply", "gp_fte_per_1000_end")  # x0.5 .. x2
    assert all(later >= earlier - 0.002 for earlier, later in zip(fte, fte[1:])) and fte[-1] > fte[0] + 0.1   # flat once posts are full
    closures = medians(atlas, "gp_supply", "closures_total")
    assert closures == sorted(closures, reverse=True) and closures[-1] < closures[0] - 5  # less supply, more closures


def test_higher_reimbursement_more_roles_staff_and_deficit_not_up(atlas):
    roles = medians(atlas, "roles_reimbursement", "roles_fte_end")  # 0, 0.3, 0.7, 1
    assert roles[0] == 0 and roles[1] > 100 and roles[-1] > 2.5 * roles[1]
    assert all(later >= earlier - 1 for earlier, later in zip(roles, roles[1:]))
    assert not_above(medians(atlas, "roles_reimbursement", "practices_in_deficit_end"), 0.002)


def test_higher_band_minimum_fewer_networks(atlas):
    networks = medians(atlas, "band_minimum", "pcn_networks_end")  # 10k .. 40k
    assert networks == sorted(networks, reverse=True) and networks[-1] < 0.85 * networks[0]


def test_more_commissioner_support_more_federation_members(atlas):
    coverage = medians(atlas, "commissioner_support", "federation_coverage_end")  # 0 .. 1
    assert coverage == sorted(coverage) and coverage[-1] > coverage[0] + 0.1


def test_faster_cost_growth_more_deficits(atlas):
    deficit = medians(atlas, "cost_growth", "practices_in_deficit_end")  # 0 .. 3% a year
    # 2.5% of practices against 0.2%: practices shed GPs before they overdraw, so deficits stay few.
    assert deficit == sorted(deficit) and deficit[-1] > deficit[0] + 0.015


def test_a_deep_money_squeeze_ends_more_practices(atlas):
    # Funding 3% a year slower than costs, or costs 3% a year faster, brings partners' earnings
    # under three quarters of their target drawings and practices end; modest squeezes move
    # closures little, but never the other way by more than a couple of practices.
    funding = medians(atlas, "funding_growth", "closures_total")  # -3%, -1.5%, 0, +1.5% a year
    # In four years on the small England's 600 practices the deep squeezes end 56 and 56.5
    # against 53 (full England, ten years: 5,758 and 5,653 against 2,588, docs/responses.md).
    assert funding[0] >= funding[2] + 3
    assert all(later <= earlier + 2 for earlier, later in zip(funding, funding[1:]))
    costs = medians(atlas, "cost_growth", "closures_total")  # 0 .. 3% a year
    assert costs[-1] >= costs[0] + 3
    assert all(later >= earlier - 2 for earlier, later in zip(costs, costs[1:]))
