"""The model as researchers' tools see it: one override style, every scalar outcome with a
documented list, series with their time axis, plausible ranges with sources, an EMA Workbench
model, and one rule for a smaller England."""
from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.analysis.evaluate import OUTCOMES
from sim.scenario.errors import InputError
from sim.scenario.loading import resolve

TINY = {"population.scale": 0.03}  # 241 practices in 6 commissioner areas


def test_overrides_are_a_dict_or_keywords_everywhere_and_whole_numbers_are_rounded(tmp_path):
    as_dict = resolve("history_2013_2023", {"behaviour.neighbours": 7.6, "behaviour.peer_weight": 3.0})
    assert as_dict.scenario.behaviour.neighbours == 8
    assert as_dict.overrides == ("behaviour.neighbours=8", "behaviour.peer_weight=3.0")
    assert resolve("history_2013_2023", {"behaviour.neighbours": 6.5}).scenario.behaviour.neighbours == 6  # halves to even, as sweeps
    assert resolve("history_2013_2023", {"population.practices": np.float64(300.2)}).scenario.population.practices == 300
    band = resolve("history_2013_2023", {"organisations.pcn.band.min_patients": 20000.4}).scenario.organisations["pcn"].band
    assert band.min_patients == 20000.4  # not a whole-number field
    with pytest.raises(InputError, match="behaviour.neighbours"):  # --set text is read as written
        resolve("history_2013_2023", ["behaviour.neighbours=7.6"])
    keywords = sim.run("history_2013_2023", replications=1, overrides=TINY, behaviour__peer_weight=3.0)
    as_one_dict = sim.run("history_2013_2023", replications=1, overrides={**TINY, "behaviour.peer_weight": 3.0})
    compared = sim.compare(["history_2013_2023", "no_network_contract"], replications=1, overrides=TINY,
                           behaviour__peer_weight=3.0, uncertainty="stochastic")
    assert keywords.timeseries.equals(as_one_dict.timeseries)
    assert keywords.timeseries.equals(compared.baseline.timeseries)
    assert keywords.scenario.behaviour.peer_weight == 3.0 and keywords.scenario.population.practices == 241
    texts = sim.run("history_2013_2023", replications=1, overrides=["population.scale=0.03"], behaviour__peer_weight=3.0)
    assert texts.timeseries.equals(keywords.timeseries)
    # In a notebook: headline tables; a second save says how to replace what the first wrote.
    assert "<table" in keywords._repr_html_() and "Practices open" in keywords._repr_html_()
    assert "<table" in compared._repr_html_() and "no_network_contract" in compared._repr_html_()
    compared.save(tmp_path / "c", charts=False)
    with pytest.raises(InputError, match=r"force=True"):
        compared.save(tmp_path / "c", charts=False)
    assert compared.save(tmp_path / "c", charts=False, force=True) == tmp_path / "c"


def test_evaluate_returns_every_outcome_and_series_with_their_months():
    names = sim.outcomes()
    assert list(names) == list(OUTCOMES) and all(names.values())
    result = sim.evaluate(scenario_file="history_2013_2023", seed=2, overrides=TINY, behaviour__neighbours=7.6,
                          series=["continuity"])
    assert [key for key in result if key in names] == list(names)
    assert all(isinstance(result[name], float) for name in names)
    months = result["month_by_year"]
    assert list(months[:2]) == ["2014-03", "2015-03"] and months[-1] == "2024-04"
    assert len(result["continuity_by_year"]) == len(months)
    monthly = sim.evaluate("history_2013_2023", seed=2, overrides=TINY, behaviour__neighbours=8, series=["continuity"],
                           step="month", outcomes=["continuity_end"])
    assert list(monthly) == ["continuity_end", "continuity_by_month", "month_by_month"]
    assert len(monthly["month_by_month"]) == 133 and monthly["month_by_month"][0] == "2013-04"
    # The yearly values are the monthly series read at those months (7.6 neighbours is 8).
    at = [list(monthly["month_by_month"]).index(month) for month in months]
    assert np.array_equal(monthly["continuity_by_month"][at], result["continuity_by_year"])
    with pytest.raises(InputError, match="step"):
        sim.evaluate("history_2013_2023", overrides=TINY, series=["continuity"], step="week")


def test_every_plausible_range_has_a_source_and_holds_the_default():
    ranges = sim.uncertainties()
    assert len(ranges) >= 25
    assert {"behaviour.peer_weight", "behaviour.money_weight", "behaviour.neighbours"} <= set(ranges)
    for key, entry in ranges.items():
        assert entry["low"] < entry["high"] and entry["low"] <= entry["default"] <= entry["high"], key
        assert entry["kind"] in ("real", "integer") and len(entry["source"]) > 10, key
        for end in ("low", "high"):  # each end is a valid scenario, inside the validation limits
            resolve("history_2013_2023", {key: entry[end]})
    # Policies of an organisation kind the scenario lacks are left out.
    assert "organisations.federation.commissioner_push" in ranges
    assert "organisations.pcn.band.min_patients" not in sim.uncertainties("no_network_contract")


def test_an_ema_workbench_model_runs_16_experiments():
    from ema_workbench import perform_experiments

    model = sim.ema_model(overrides=TINY, parameters=["behaviour.peer_weight", "behaviour.neighbours",
                                                      "organisations.pcn.band.min_patients"])
    experiments, outcomes = perform_experiments(model, scenarios=16)
    assert len(experiments) == 16 and set(outcomes) == set(OUTCOMES)
    assert all(np.isfinite(outcomes[name]).all() for name in ("coverage_year_2", "closures_10y", "continuity_year_10"))
    assert len(set(outcomes["coverage_year_2"])) > 8  # the parameters move the outcome
    # Each experiment is sim.evaluate with the same parameters.
    row = experiments.iloc[3]
    again = sim.evaluate(overrides=TINY, outcomes=["coverage_year_2"], behaviour__peer_weight=row["behaviour__peer_weight"],
                         behaviour__neighbours=row["behaviour__neighbours"],
                         organisations__pcn__band__min_patients=row["organisations__pcn__band__min_patients"])
    assert again["coverage_year_2"] == outcomes["coverage_year_2"][3]
    with pytest.raises(InputError, match="expected one of the uncertainties"):
        sim.ema_model(parameters=["behaviour.peer_wieght"])


def test_scale_resizes_practices_areas_regions_and_geography_together():
    full = resolve("history_2013_2023").scenario.population
    tenth = resolve("history_2013_2023", {"population.scale": 0.1}).scenario.population
    assert (tenth.practices, tenth.commissioner_areas, tenth.regions, tenth.scale) == (804, 21, 7, 1.0)
    assert tenth.side_km == pytest.approx(full.side_km * 0.1 ** 0.5, abs=1e-3)
    # Applied once: the resolved scenario validates to itself.
    assert resolve(resolve("history_2013_2023", {"population.scale": 0.1}).scenario).scenario.population == tenth
    with pytest.raises(InputError, match="population.scale"):
        resolve("history_2013_2023", {"population.scale": 0})


NATIONAL = {  # outcome -> (how a tenth's value is compared, tolerance)
    "coverage_year_2": ("share", 0.02), "coverage_end": ("share", 0.01), "continuity_year_10": ("share", 0.015),
    "gp_fte_per_1000_end": ("share", 0.015), "practices_in_deficit_end": ("share", 0.01),
    "federation_coverage_end": ("share", 0.02), "practices_end": ("count", 0.03), "closures_10y": ("count", 0.10),
    "roles_fte_end": ("count", 0.05),
}


def _means(replications: int, **changes) -> dict[str, float]:
    runs = [sim.evaluate(replication=r, outcomes=list(NATIONAL), overrides=changes) for r in range(replications)]
    return {name: float(np.mean([run[name] for run in runs])) for name in NATIONAL}


def _misses(tenth: dict, full: dict) -> list[str]:
    misses = []
    for name, (kind, tolerance) in NATIONAL.items():
        gap = abs(tenth[name] - full[name]) if kind == "share" else abs(10 * tenth[name] / full[name] - 1)
        if gap > tolerance:
            misses.append(f"{name}: {tenth[name]:.4g} against {full[name]:.4g}")
    return misses


def test_national_figures_at_one_tenth_scale_stay_near_full_size():
    """Tolerances: shares within 1-2 points, counts (times ten) within 3-10%; the means of 6
    replications at a tenth against 2 at full size (a tenth's replications vary about three
    times as much). Scaling the practices alone, keeping 211 areas, misses them."""
    full = _means(2)
    assert _misses(_means(6, **{"population.scale": 0.1}), full) == []
    assert _misses(_means(6, **{"population.practices": 804}), full) != []


def test_mesa_batch_run_passes_flat_parameters_and_iterations_differ():
    import mesa
    import pandas as pd

    flat = {"scenario": "history_2013_2023", "population__scale": 0.03, "behaviour__peer_weight": [1.0, 3.0]}
    rows = pd.DataFrame(mesa.batch_run(sim.GPModel, flat, iterations=2, max_steps=1000, display_progress=False))
    assert len(rows) == 4 and set(rows["behaviour__peer_weight"]) == {1.0, 3.0}
    ends = rows.set_index(["iteration", "behaviour__peer_weight"])["continuity"]
    assert ends[(0, 1.0)] != ends[(1, 1.0)]  # seed=None is a fresh seed each iteration, as in Mesa
    # With a seed, batch_run gives the run GPModel gives, and a run stops at the scenario's end.
    seeded = pd.DataFrame(mesa.batch_run(sim.GPModel, {**flat, "behaviour__peer_weight": 3.0, "seed": 5},
                                         iterations=1, max_steps=1000, display_progress=False))
    model = sim.GPModel("history_2013_2023", seed=5, population__scale=0.03, behaviour__peer_weight=3.0).run()
    assert seeded["continuity"].iloc[0] == model.timeseries()["continuity"].iloc[-1] and not model.running
    # A Scenario given alone keeps its own seed; seed=None draws a fresh one, kept in root_seed.
    scenario = sim.load("history_2013_2023", {"population.scale": 0.03})
    assert sim.GPModel(scenario).root_seed == scenario.seed == 2013
    fresh = sim.GPModel(scenario, seed=None)
    assert fresh.root_seed != scenario.seed and fresh.root_seed != sim.GPModel(scenario, seed=None).root_seed


def test_a_shortened_run_leaves_out_policies_after_its_end_with_a_note(tmp_path):
    shortened = resolve("history_2013_2023", {"months": 36, **TINY})
    assert shortened.beyond_end == ("2019-07 organisations.pcn.opens (after the run's end)",
                                    "2019-07 additional_roles.start (after the run's end)",
                                    "2020-04 changes.1 (after the run's end)", "2021-04 changes.2 (after the run's end)",
                                    "2022-04 changes.3 (after the run's end)", "2023-04 changes.4 (after the run's end)")
    result = sim.evaluate(months=36, overrides=TINY, outcomes=["coverage_year_2", "continuity_year_10", "pcn_coverage_end"])
    assert 0 < result["coverage_year_2"] < 1 and np.isnan(result["continuity_year_10"]) and result["pcn_coverage_end"] == 0
    assert resolve("history_2013_2023").beyond_end == ()
    # A file is checked as written: a date after its own end is a mistake there.
    (tmp_path / "short.yaml").write_text("extends: history_2013_2023\nmonths: 36\n", encoding="utf-8")
    with pytest.raises(InputError, match="organisations.pcn.opens: expected a month from 2013-04 to before 2016-04"):
        resolve(tmp_path / "short.yaml")
