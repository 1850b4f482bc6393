"""Integrated providers: procurement, step-in, the population budget's accounting, the no-step-in
variant, and the shipped provider scenarios."""
from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.model import closure, providers
from sim.model.model import GPModel
from sim.model.networks import membership_benefits
from sim.model.networks.membership import set_membership
from sim.model.reporters import PROVIDERS
from sim.scenario.errors import InputError
from sim.scenario.loading import validate
from sim.state import CLOSED, LED_BY, NO_NETWORK, OPEN

from .conftest import ROOT, small_data

OPENS_MONTH = 12   # the small scenario starts 2017-04; providers open 2018-04


def provider_data(step_in: float = 1.0, strained: bool = False, **contract) -> dict:
    """The small scenario with one kind of multi-neighbourhood provider of 100,000 patients
    (areas of about 260,000), procured quickly from April 2018; `strained` makes practices short
    of GPs, so that many would hand back their contracts."""
    mnp = {"kind": "integrated_provider", "opens": "2018-04", "staff_support": 0.05, "pooled_cover": 0.2,
           "leader_burnout": 0.0,
           "provider": {"size_patients": 100000, "procurement_rate": 12, "lead_kinds": ["federation"],
                        "lead_min_patients": 60000, "trust_lead_share": 0.3, "integration_share": 0.3,
                        "budget_per_patient": 100.0, "practice_share": 0.05, "shared_staff_share": 0.05,
                        "step_in_probability": step_in, **contract}}
    changes = {"workforce": {"new_gps_per_1000_patients": 0.01, "leaving_rate": 0.12},
               "closure": {"distressed_merger_share": 0.0, "understaffed_share": 0.8}} if strained else {}
    return small_data(organisations={"mnp": mnp}, **changes)


def model_of(data: dict, months: int | None = None) -> GPModel:
    model = GPModel(validate(data, "test"))
    return model.run() if months is None else model.run_until(months)


@pytest.fixture(scope="module")
def procured():
    return model_of(provider_data(), OPENS_MONTH + 6)


def test_commissioners_procure_contracts_of_the_size_covering_whole_areas(procured):
    state, networks = procured.practices, procured.networks
    kind = procured.kinds.index("mnp")
    ts = procured.timeseries().set_index("month")
    assert ts.loc["2018-03", "patient_coverage_mnp"] == 0.0, "nothing before the kind opens"
    assert ts.loc["2018-04", "patient_coverage_mnp"] == pytest.approx(0.556, abs=0.02)   # 63% of areas procure in a month
    assert ts.loc["2018-09", "patient_coverage_mnp"] == pytest.approx(1.0, abs=1e-12)
    covered = state.open & (state.membership[kind] >= 0)
    for area in np.unique(state.area[state.open]):
        in_area = state.open & (state.area == area)
        assert covered[in_area].all(), f"area {area} partly covered"
        assert (networks.area[state.membership[kind][in_area]] == area).all(), "a contract spans two areas"
    table = procured.network_table()
    providers = table[table["type"] == "mnp"]
    assert providers["patients"].median() == pytest.approx(100000, rel=0.15)
    assert providers["patients"].max() < 1.5 * 100000 + 60000   # at most the size, a last practice and a small remainder
    assert set(providers["lead"]) == set(LED_BY)
    assert (table.loc[table["type"] != "mnp", "lead"] == "").all()
    # a quarter to a third of practices integrate (integration_share 0.3), and their sites are counted
    assert ts["integrated_mnp"].iloc[-1] == pytest.approx(0.3, abs=0.05)
    assert providers["integrated_sites"].sum() == (covered & state.integrated).sum()


def test_gp_organisations_lead_where_big_enough_and_trusts_otherwise_at_their_share(procured):
    networks = procured.networks
    mnp = networks.view("kind") == procured.kinds.index("mnp")
    led_by = networks.view("led_by")[mnp]
    # with no trusts, every area with a federation of 60,000 is GP-led first
    no_trusts = model_of(provider_data(trust_lead_share=0.0), OPENS_MONTH + 6)
    other = no_trusts.networks.view("led_by")[no_trusts.networks.view("kind") == no_trusts.kinds.index("mnp")]
    assert (other != LED_BY.index("trust")).all()
    assert (other == LED_BY.index("gp_organisation")).sum() >= (led_by == LED_BY.index("gp_organisation")).sum()
    assert 0.1 <= (led_by == LED_BY.index("trust")).mean() <= 0.4


def test_a_single_site_procurement_stops_at_the_target_coverage():
    model = model_of(provider_data(tile_area=False, target_coverage=0.1, size_patients=150000), OPENS_MONTH + 12)
    coverage = model.timeseries()["patient_coverage_mnp"].iloc[-1]
    assert 0.1 <= coverage <= 0.1 + 0.06   # one contract of about 150,000 in 4.2 million overshoots by at most that
    assert model.timeseries()["networks_mnp"].iloc[-1] == pytest.approx(0.1 * 4.2e6 / 150000, abs=2)


def distressed_member(model: GPModel) -> int:
    """A covered practice with GPs, made to be in distress for long enough to end."""
    kind = model.kinds.index("mnp")
    state = model.practices
    candidates = np.flatnonzero(state.open & (state.membership[kind] >= 0) & (state.gp_heads() >= 3) & ~state.integrated)
    practice = int(candidates[0])
    state.distress_months[practice] = 10
    state.reserves[practice] = -50_000.0
    return practice


def end_month_of_distress(model: GPModel, practice: int):
    """Run the month's closure step with the practice sure to end and sure to hand back (no merger)."""
    forced = model.in_force.closure.model_copy(update={"distress_rate": 1.0, "distressed_merger_share": 0.0,
                                                       "min_viable_gp_fte": 1000.0})
    model.in_force.closure = forced
    before = {"list": model.practices.list_size[practice], "continuity": model.practices.continuity[practice],
              "heads": int(model.practices.gp_heads()[practice]), "patients": model.practices.list_size.sum()}
    model.national.begin_month(model.month)
    benefits = membership_benefits(model.practices, model.networks, model.in_force, model.month)
    closure.close_and_merge(model.practices, model.geography, model.national, model.in_force, benefits, model.streams,
                            model.month)
    return before


def test_step_in_keeps_the_practice_open_with_its_patients_and_is_not_a_closure():
    model = model_of(provider_data(), OPENS_MONTH + 6)
    practice = distressed_member(model)
    before = end_month_of_distress(model, practice)
    state, events = model.practices, model.national.events
    assert state.open[practice] and state.status[practice] == OPEN
    assert state.list_size[practice] == before["list"], "its patients stay"
    assert state.taken_over_month[practice] == model.month and state.integrated[practice]
    assert state.distress_months[practice] == 0 and state.reserves[practice] == 0.0
    taken = events["taken_over"][model.month % 12]
    assert taken >= 1 and events["closures"][model.month % 12] == 0, "taken over, not handed back"
    assert events["patients_kept"][model.month % 12] >= before["list"]
    # 70% of its GPs stay, as salaried GPs; their patients keep their usual GP, the rest start afresh (0.2)
    kept = int(np.floor(before["heads"] * 0.7 + 0.5))
    assert (state.partners[practice], state.salaried[practice]) == (0, kept)
    share = kept / before["heads"]
    assert state.continuity[practice] == pytest.approx(before["continuity"] * share + 0.2 * (1 - share), rel=1e-12)
    assert state.list_size.sum() == pytest.approx(before["patients"], rel=1e-12), "no patient moves"


def test_without_step_in_the_same_practice_hands_back_its_contract():
    model = model_of(provider_data(step_in=0.0), OPENS_MONTH + 6)
    practice = distressed_member(model)
    end_month_of_distress(model, practice)
    assert not model.practices.open[practice] and model.practices.status[practice] == CLOSED
    assert model.national.events["taken_over"].sum() == 0 and model.national.events["closures"][model.month % 12] >= 1


@pytest.fixture(scope="module")
def strained_pair():
    return model_of(provider_data(strained=True)), model_of(provider_data(step_in=0.0, strained=True))


def handed_back_after_opening(model: GPModel, months: int = 0) -> int:
    state = model.practices
    return int(((state.status == CLOSED) & (state.ended_month >= OPENS_MONTH + months)).sum())


def test_the_no_step_in_variant_hands_back_more_contracts(strained_pair):
    with_step_in, without = strained_pair
    taken = int((with_step_in.practices.taken_over_month >= 0).sum())
    # identical before the providers open (their draws are their own)
    assert with_step_in.timeseries().iloc[:OPENS_MONTH].equals(without.timeseries().iloc[:OPENS_MONTH])
    # once every area has let its contracts (within 6 months), no contract is handed back
    assert handed_back_after_opening(with_step_in, 6) == 0, "every covered practice that would hand back is taken over"
    # a handful (7) only while areas are still letting contracts
    assert handed_back_after_opening(with_step_in) <= 0.05 * handed_back_after_opening(without)
    # Strained as it is, the small England hands back about a third of its contracts without
    # step-in (193 of 600 with the calibrated defaults); with it, fewer practices are taken over
    # than that, because a taken-over practice keeps its patients and does not push its
    # neighbours over the edge.
    assert 100 <= handed_back_after_opening(without) <= 420
    assert 50 <= taken < handed_back_after_opening(without)
    assert with_step_in.practices.open.sum() - without.practices.open.sum() >= 15
    series = with_step_in.timeseries()
    assert series["practices_taken_over_12m"].max() >= 5 and series["patients_kept_12m"].max() > 20_000
    assert (without.timeseries()["practices_taken_over_12m"] == 0).all()


PROVIDER_COLUMNS = [f.__name__ for f in PROVIDERS]


def test_the_budget_balances_every_month():
    data = provider_data(strained=True)
    model = GPModel(validate(data, "test"))
    kind = model.kinds.index("mnp")
    contract = model.scenario.organisations["mnp"].provider
    for month in range(30):
        held = model.practices.reserves.sum() + model.networks.view("pool").sum()
        members = model.practices.open & (model.practices.membership[kind] >= 0)   # contracts let by last month
        lists = model.practices.list_size[members].sum()
        model.step()
        ledger, state = model.national.ledger, model.practices
        parts = ledger["provider_to_practices"] + ledger["provider_shared_staff"] + ledger["provider_other_services"]
        assert ledger["provider_budget"] == pytest.approx(parts, rel=1e-12, abs=1e-6), f"month {month}: budget parts"
        if month <= OPENS_MONTH:   # contracts are let at the end of the month the kind opens; budgets from the next
            assert ledger["provider_budget"] == 0.0
            continue
        assert ledger["provider_budget"] > 0
        assert ledger["provider_to_practices"] == pytest.approx(contract.practice_share * ledger["provider_budget"], rel=1e-9)
        assert ledger["provider_shared_staff"] == pytest.approx(contract.shared_staff_share * ledger["provider_budget"], rel=1e-12)
        # the budget follows the members' lists: 100 GBP a patient a year (lists grow a little before the payment)
        assert ledger["provider_budget"] == pytest.approx(lists * 100.0 * model.national.funding_index / 12, rel=0.002)
        # every pound: income (the budget's share included) minus costs is the change in reserves and pools
        now = state.reserves.sum() + model.networks.view("pool").sum()
        flows = (ledger["practice_income"] - ledger["practice_costs"] + ledger["network_income"]
                 - ledger["partner_surplus"] - ledger["written_off"])
        assert now - held == pytest.approx(flows, rel=1e-9, abs=1e-3), f"month {month}: money does not balance"
        row = model.timeseries().iloc[-1]
        assert row["provider_budget_gbp"] == ledger["provider_budget"]
        assert row["provider_budget_to_practices_gbp"] == ledger["provider_to_practices"]


def test_integrated_sites_lose_a_little_more_continuity_to_cross_site_working():
    base = model_of(provider_data(integration_share=0.0), OPENS_MONTH + 24)
    integrated = model_of(provider_data(integration_share=1.0, integrated_continuity_cost=0.1), OPENS_MONTH + 24)
    assert integrated.practices.integrated[integrated.practices.open].mean() > 0.98   # all but practices opened since
    drop = base.timeseries()["continuity"].iloc[-1] - integrated.timeseries()["continuity"].iloc[-1]
    assert 0.02 < drop < 0.1   # 10% of continuity lost once mature, reached over continuity's 12-month adjustment


def test_scenarios_without_providers_record_no_provider_columns():
    model = model_of(small_data(), 3)
    assert not set(PROVIDER_COLUMNS) & set(model.timeseries().columns)
    assert "lead" not in model.network_table().columns and "integrated" not in model.snapshot().columns


@pytest.mark.parametrize("change, message", [
    ({"organisations": {"mnp": {"provider": {"lead_kinds": ["trusts"]}}}},
     "organisations.mnp.provider.lead_kinds: expected GP organisation kinds of this scenario (federation, pcn); found 'trusts'"),
    ({"organisations": {"mnp": {"provider": None}}}, "expected a provider section exactly when kind is integrated_provider"),
    ({"organisations": {"mnp": {"provider": {"practice_share": 0.6, "shared_staff_share": 0.6}}}},
     "organisations.mnp.provider: expected practice_share and shared_staff_share adding up to at most 1; found 1.2"),
])
def test_bad_provider_settings_are_one_line_errors(change, message):
    from sim.scenario.loading import merge
    with pytest.raises(InputError) as caught:
        validate(merge(provider_data(), change), "test.yaml")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_the_neighbourhood_scenario_branches_from_history_and_takes_practices_over():
    quick = ["start_from.set.population.scale=0.1", "months=48"]
    results = sim.run(ROOT / "scenarios/neighbourhood_providers_2026.yaml", replications=1, overrides=quick)
    series = results.timeseries.set_index("month")
    assert series.loc["2026-03", "patient_coverage_multi_neighbourhood"] == 0.0
    assert series.loc["2028-03", "patient_coverage_multi_neighbourhood"] > 0.5
    assert series.loc["2028-03", "patient_coverage_neighbourhood"] > 0.7
    table = results.networks
    kinds = table[table["kind"] == "integrated_provider"]
    assert set(kinds["type"]) == {"neighbourhood", "multi_neighbourhood"}
    assert set(kinds["lead"]) <= set(LED_BY) and (kinds["lead"] != "").all()
    neighbourhood = kinds[kinds["type"] == "neighbourhood"]["patients"].median()
    multi = kinds[kinds["type"] == "multi_neighbourhood"]["patients"].median()
    assert 40_000 < neighbourhood < 65_000 and multi > 2.5 * neighbourhood


def test_the_new_care_models_reach_their_coverage():
    quick = ["population.scale=0.5", "months=60"]
    vanguards = sim.run(ROOT / "scenarios/new_care_models_2016.yaml", replications=1, overrides=quick).timeseries
    planned = sim.run(ROOT / "scenarios/new_care_models_quarter_2016.yaml", replications=1, overrides=quick).timeseries
    at = lambda frame, month: frame.set_index("month").loc[month, ["patient_coverage_mcp", "patient_coverage_pacs"]].sum()  # noqa: E731
    assert at(vanguards, "2015-03") == 0.0
    assert 0.07 <= at(vanguards, "2016-12") <= 0.14   # about 8%, a contract of 150,000-250,000 in 11 million at most over
    assert at(planned, "2016-03") == at(vanguards, "2016-03"), "the same vanguards until the plan's roll-out"
    assert 0.24 <= at(planned, "2018-03") <= 0.32     # a quarter by 2018


def test_every_provider_column_is_defined_in_the_outputs_doc():
    text = (ROOT / "docs/outputs.md").read_text(encoding="utf-8")
    for column in [*PROVIDER_COLUMNS, "patient_coverage_<kind>", "integrated_<kind>", "lead", "integrated_sites"]:
        assert f"| {column} |" in text, column


def test_a_provider_run_restored_from_a_saved_state_continues_byte_for_byte(tmp_path):
    from sim.results.folder import table_text
    scenario = validate({**provider_data(strained=True), "months": 30}, "test")
    tables = lambda m: [table_text(m.timeseries()), table_text(m.network_table()), table_text(m.practice_table())]  # noqa: E731
    whole = GPModel(scenario).run()
    assert (whole.practices.taken_over_month >= 0).any() and whole.practices.integrated.any()
    GPModel(scenario).run_until(OPENS_MONTH + 6).save_state(tmp_path / "state.npz")
    assert tables(GPModel.restore(tmp_path / "state.npz").run()) == tables(whole)


def test_a_practice_opened_in_a_covered_area_joins_its_nearest_neighbours_provider(procured):
    state, kind = procured.practices, procured.kinds.index("mnp")
    newcomer = int(np.flatnonzero(state.open & (state.membership[kind] >= 0))[5])
    others, _ = procured.geography.area_distances.others_by_distance(newcomer)
    nearest = next(o for o in others if state.open[o] and state.membership[kind, o] >= 0)
    set_membership(state, procured.networks, kind, np.array([newcomer]), NO_NETWORK)   # as if it had just opened
    providers.procure(state, procured.networks, procured.geography, procured.in_force, procured.streams, procured.month)
    assert state.membership[kind, newcomer] == state.membership[kind, nearest]
    slot = state.membership[kind, newcomer]
    members = state.open & (state.membership[kind] == slot)
    assert procured.networks.patients[slot] == pytest.approx(state.list_size[members].sum(), rel=1e-12)


def test_the_planned_roll_out_keeps_every_dated_change_of_the_history():
    from sim.scenario.loading import load
    history = load(ROOT / "scenarios/history_2013_2023.yaml").changes
    planned = load(ROOT / "scenarios/new_care_models_quarter_2016.yaml").changes
    assert all(change in planned for change in history)
    assert [c.date for c in planned] == sorted(c.date for c in planned)
    assert len(planned) == len(history) + 1


def test_the_model_invariants_hold_every_month_with_providers_taking_practices_over():
    """The invariants of tests/test_invariants.py (patients conserved, money balancing, network
    sizes their members' sums, shares within 0-1) in a harsh world with lists fixed, so that
    practices fail and are taken over."""
    from .test_invariants import run_checked
    data = provider_data(strained=True, budget_per_patient=50.0)
    data.update(months=36, demand={"annual_list_growth": 0.0, "list_growth_sd": 0.0},
                closure={"merger_rate": 0.2, "distress_rate": 0.8, "min_viable_gp_fte": 2.0, "distressed_merger_share": 0.0},
                workforce={"new_gps_per_1000_patients": 0, "leaving_rate": 0.3})
    model = run_checked(data)
    assert (model.practices.taken_over_month >= 0).sum() > 20
    assert model.national.ledger["provider_budget"] > 0
