"""A long run with no growth settles, patients are never lost, and money moves by dated uplifts."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.app.cli import main
from sim.model import closure, entry, money
from sim.model.model import GPModel
from sim.scenario.errors import InputError

from .conftest import small, small_data

ZERO_GROWTH = {"demand": {"annual_list_growth": 0.0, "annual_consultation_growth": 0.0}}


def test_fifty_years_without_growth_settle_and_keep_every_patient():
    # Plausible range: consolidation goes on (England lost a fifth of its practices in 2013-23,
    # mostly to mergers), but with new practices where lists grow large it slows and settles: over
    # fifty years at least half the practices remain (none more than 110%), and in the last decade
    # the count moves by under a tenth.
    model = GPModel(small(months=600, **ZERO_GROWTH))
    registered = model.practices.list_size.sum()
    start = int(model.practices.open.sum())
    model.run()
    frame = model.timeseries()
    assert np.abs(frame["patients"] - registered).max() < 1.0
    assert 0.5 * start <= frame["practices"].min() and frame["practices"].max() <= 1.1 * start
    last_decade = frame["practices"].iloc[-120:]
    assert abs(last_decade.iloc[-1] - last_decade.iloc[0]) < 0.1 * last_decade.iloc[0]
    assert frame["openings_12m"].iloc[-120:].sum() > 0


def test_without_entry_the_same_run_keeps_consolidating():
    settled = GPModel(small(months=360, **ZERO_GROWTH)).run().timeseries()
    no_entry = GPModel(small(months=360, entry={"rate": 0.0}, **ZERO_GROWTH)).run().timeseries()
    assert no_entry["openings_12m"].sum() == 0
    assert no_entry["practices"].iloc[-1] < settled["practices"].iloc[-1]


def test_a_new_practice_opens_at_an_underserved_vacant_site_and_moves_patients_only():
    model = GPModel(small())
    model.step()
    state = model.practices
    site = int(np.argmax(state.list_size))
    closure.close(state, model.geography, model.national, model.in_force, site, model.month)
    neighbours = entry.nearest_open(state, model.geography, np.array([site]), 4)[0]
    state.list_size[neighbours] = 20_000.0  # make the neighbourhood underserved
    total, lists = state.list_size.sum(), state.list_size.copy()
    model.scenario = small(entry={"rate": 12.0})
    model.in_force = type(model.in_force)(model.scenario, tuple(model.kinds), model.start_month)
    for _ in range(12):
        entry.open_practices(state, model.geography, model.national, model.in_force, model.streams, model.month)
        if state.open[site]:
            break
    assert state.open[site] and state.partners[site] == 1
    assert state.list_size[site] == pytest.approx(4000.0)
    assert state.list_size.sum() == pytest.approx(total, rel=1e-12)
    assert (lists[neighbours] - state.list_size[neighbours]) == pytest.approx(np.full(4, 1000.0))
    assert model.national.events["openings"].sum() >= 1


def test_a_contract_with_nowhere_to_send_its_patients_is_taken_over():
    model = GPModel(small(population={"practices": 1, "commissioner_areas": 1, "regions": 1}))
    model.step()
    state = model.practices
    patients, salaried = state.list_size[0], state.salaried[0]
    closure.close(state, model.geography, model.national, model.in_force, 0, model.month)
    assert state.open[0] and state.list_size[0] == patients and state.salaried[0] == salaried
    assert state.partners[0] == 1 and state.reserves[0] == 0.0
    assert model.national.events["closures"].sum() == 1 and model.national.events["openings"].sum() == 1


def test_an_england_of_one_practice_runs(tmp_path):
    scenario = tmp_path / "one.yaml"
    scenario.write_text(yaml.safe_dump(small_data(population={"practices": 1, "commissioner_areas": 1, "regions": 1},
                                                  closure={"distress_rate": 1.0, "min_viable_gp_fte": 10})))
    assert main(["run", str(scenario), "--no-charts", "--quiet", "--out", str(tmp_path / "out")]) == 0
    frame = pd.read_csv(tmp_path / "out" / "timeseries.csv")
    assert (frame["practices"] == 1).all() and frame["contracts_handed_back_12m"].max() >= 1
    assert frame["patients"].iloc[-1] == pytest.approx(frame["patients"].iloc[0] * 1.011 ** 4, rel=0.01)


# -- money paths -------------------------------------------------------------------------------

def test_uplifts_move_income_and_each_cost_in_their_month():
    uplifts = [{"date": "2017-06", "funding": 0.10, "gp_pay": 0.20, "staff_pay": 0.05, "employer_on_costs": 0.02,
                "other_costs": 0.03}]
    model = GPModel(small(money={"uplifts": uplifts}))
    national = model.national
    for month in range(2):
        money.apply_uplifts(national, model.in_force, month)
    assert national.funding_index == 1.0 and national.gp_pay_index == 1.0
    money.apply_uplifts(national, model.in_force, 2)
    assert (national.funding_index, national.gp_pay_index, national.staff_pay_index, national.on_cost_index,
            national.other_cost_index) == pytest.approx((1.10, 1.20, 1.05, 1.02, 1.03))


def test_dearer_gp_pay_puts_practices_in_deficit():
    flat = GPModel(small(months=36)).run().timeseries()
    dearer = GPModel(small(months=36, money={"uplifts": [{"date": "2017-05", "gp_pay": 0.15}]})).run().timeseries()
    # Practices recruit only what they can afford, so dearer GPs show as fewer recruits as well as deficits.
    assert dearer["practices_in_deficit"].iloc[-1] > flat["practices_in_deficit"].iloc[-1] + 0.04


def test_one_uplift_a_month():
    twice = [{"date": "2018-04", "funding": 0.01}, {"date": "2018-04", "gp_pay": 0.01}]
    with pytest.raises(InputError, match="one entry per month"):
        small(money={"uplifts": twice})
