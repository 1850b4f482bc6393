"""The rules that tie workforce to money, the additional roles scheme, joining under money and
commissioners' waivers: each rule's direction and size on a small England, worked by hand."""
from __future__ import annotations

import numpy as np
import pytest

from sim.model import money, roles
from sim.model.closure import update_distress
from sim.model.demand import required_gp_fte
from sim.model.in_force import InForce
from sim.model.networks import membership_benefits, paid_networks
from sim.model.networks.choice import money_value, stake
from sim.model.networks.founding import band_aim, target_size
from sim.model.workforce import gp_fte
from sim.scenario.schema import month_number
from sim.state import ROLE_GROUPS

from .conftest import small, small_model_in_month


@pytest.fixture(scope="module")
def model():
    """The small England 30 months on: PCNs open (month 27) and the roles scheme running."""
    return small_model_in_month(30)


def in_force_of(scenario, month: str = "2017-04") -> InForce:
    return InForce(scenario, tuple(scenario.organisations), month_number(month))


# -- workforce and money ---------------------------------------------------------------------

def test_affordable_gp_time_is_partners_plus_what_is_left_over_at_salaried_cost(model):
    practices, national, in_force = model.practices, model.national, model.in_force
    benefits = membership_benefits(practices, model.networks, in_force, model.month)
    affordable = money.affordable_gp_fte(practices, national, in_force, benefits, model.month)
    slot = int(np.flatnonzero(practices.open)[0])
    work, cash = in_force.workforce, in_force.money
    partner_fte = practices.partners[slot] * work.partner_fte_per_head
    left = (money.core_income(practices, national, in_force)[slot]
            - money.other_costs(practices, national, in_force, benefits, model.month)[slot]
            - partner_fte * cash.partner_drawings_per_fte * national.gp_pay_index)
    per_fte = cash.salaried_gp_cost_per_fte * national.gp_pay_index * national.on_cost_index
    assert affordable[slot] == pytest.approx(partner_fte + max(left, 0.0) / per_fte)
    # a practice income pays about 1.2-1.7 times the GP time its list needs (2019/20 prices)
    needed = required_gp_fte(practices, national, in_force)
    ratio = np.median(affordable[practices.open] / needed[practices.open])
    assert 1.1 < ratio < 2.0


class GPModelRun:
    """GP FTE and locum FTE of a small England after 24 months."""

    def __init__(self, scenario):
        from sim.model.model import GPModel
        model = GPModel(scenario)
        for _ in range(24):
            model.step()
        self.gp_fte = float(gp_fte(model.practices, model.in_force).sum())
        self.locum_fte = float(model.practices.locum_fte.sum())


def test_poorer_practices_recruit_fewer_gps():
    rich, poor = (GPModelRun(small(money={"global_sum_per_weighted_patient": value})) for value in (89.88, 60.0))
    assert poor.gp_fte < rich.gp_fte - 0.02 * rich.gp_fte


def test_with_partners_leaving_whatever_they_earn_poorer_practices_buy_fewer_locums():
    # Locums are bought only with the money for posts left unfilled. (With partners' leaving
    # following their earnings, poorer practices lose partners and spend their drawings on
    # locums instead, so the locum comparison isolates the money rule.)
    def run(value: float) -> GPModelRun:
        return GPModelRun(small(money={"global_sum_per_weighted_patient": value},
                                workforce={"partner_earnings_elasticity": 0.0}, closure={"unviable_partner_earnings": -10.0}))
    rich, poor = run(89.88), run(60.0)
    assert poor.locum_fte < rich.locum_fte


def test_running_costs_per_patient_rise_with_list_size():
    scenario = small()
    in_force = in_force_of(scenario)
    from sim.model.model import GPModel
    model = GPModel(scenario)
    practices = model.practices
    benefits = membership_benefits(practices, model.networks, in_force, 0)
    practices.nurse_fte[:] = practices.direct_care_fte[:] = practices.admin_fte[:] = 0.0
    practices.list_size[:2] = [2_500.0, 12_000.0]
    per_patient = money.other_costs(practices, model.national, in_force, benefits, 0)[:2] / practices.list_size[:2]
    cost = in_force.money
    expected = cost.premises_per_patient * (practices.list_size[:2] / cost.reference_list_size) ** cost.size_cost_elasticity
    assert per_patient == pytest.approx(expected - benefits.back_office_saving[:2])
    # the published gradient: about 10 GBP more per patient from 2,500 to 12,000 patients (2013/14)
    assert 7.0 < expected[1] - expected[0] < 13.0


def test_understaffed_practices_count_distress_months(model):
    practices, national, in_force = model.practices, model.national, model.in_force
    saved = (practices.partners.copy(), practices.salaried.copy(), practices.locum_fte.copy(),
             practices.pooled_cover_fte.copy(), practices.distress_months.copy(), practices.reserves.copy())
    try:
        practices.reserves[:] = 1e6
        practices.distress_months[:] = 0
        needed = required_gp_fte(practices, national, in_force)
        slots = np.flatnonzero(practices.open & (needed > 4))[:2]
        practices.partners[slots], practices.salaried[slots] = 0, 0
        practices.pooled_cover_fte[slots] = 0.0
        share = in_force.closure.understaffed_share
        practices.locum_fte[slots] = needed[slots] * np.array([share - 0.05, share + 0.05])
        update_distress(practices, national, in_force)
        assert practices.distress_months[slots].tolist() == [1, 0]
        update_distress(practices, national, in_force)
        assert practices.distress_months[slots].tolist() == [2, 0]
    finally:
        (practices.partners[:], practices.salaried[:], practices.locum_fte[:], practices.pooled_cover_fte[:],
         practices.distress_months[:], practices.reserves[:]) = saved


# -- the additional roles scheme -------------------------------------------------------------

def test_groups_become_eligible_on_their_dates_and_share_the_plan():
    in_force = in_force_of(small(start="2024-04", months=24, organisations={"pcn": {"opens": None}},
                                  additional_roles={"start": "2024-04"}), "2024-04")
    before = {name: share for name, _, share in roles.eligible_groups(in_force, 0)}          # April 2024
    with_gps = {name: share for name, _, share in roles.eligible_groups(in_force, 6)}        # October 2024
    with_nurses = {name: share for name, _, share in roles.eligible_groups(in_force, 12)}    # April 2025
    assert set(before) == {"clinical_pharmacists", "first_contact", "social_prescribers", "care_coordinators"}
    assert set(with_gps) == set(before) | {"gps"} and set(with_nurses) == set(with_gps) | {"nurses"}
    for shares in (before, with_gps, with_nurses):
        assert sum(shares.values()) == pytest.approx(1.0)
    assert before["clinical_pharmacists"] == pytest.approx(0.28 / 0.90)
    assert with_nurses["gps"] == pytest.approx(0.05)


def test_fully_reimbursed_networks_plan_their_whole_entitlement(model):
    practices, networks, in_force = model.practices, model.networks, model.in_force
    kind = in_force.kinds.index("pcn")
    plan = roles.planned_spend(practices, networks, in_force, model.streams, kind, model.month)
    paid = paid_networks(networks, in_force, kind, model.month)
    slot = int(np.flatnonzero(paid)[0])
    members = (practices.membership[kind] == slot) & practices.open
    weighted = (practices.list_size * practices.funding_weight)[members].sum()
    assert plan[slot] == pytest.approx(weighted * in_force.additional_roles.entitlement_per_weighted_patient)
    assert (plan[~paid] == 0).all()


def test_part_reimbursement_leaves_out_networks_that_value_roles_below_their_share(model):
    practices, networks, streams = model.practices, model.networks, model.streams
    kind = model.in_force.kinds.index("pcn")
    scheme = model.in_force.additional_roles
    valuation = roles.valuation(practices, networks, model.in_force, streams)
    taking_up = []
    for rate in (0.3, 0.7, 1.0):
        in_force = InForce(model.scenario.model_copy(update={"additional_roles": scheme.model_copy(update={"reimbursement_rate": rate})}),
                           model.in_force.kinds, model.in_force.start_month)
        plan = roles.planned_spend(practices, networks, in_force, streams, kind, model.month)
        paid = paid_networks(networks, in_force, kind, model.month)
        assert ((plan > 0) <= (valuation >= 1.0 - rate)).all()
        taking_up.append(float((plan[paid] > 0).mean()))
    # lognormal valuations, median 0.35 and spread 0.6: about 12%, 60% and all networks take part
    assert taking_up[0] == pytest.approx(0.12, abs=0.08)
    assert taking_up[1] == pytest.approx(0.60, abs=0.12)
    assert taking_up[2] == 1.0


def test_members_share_roles_staff_cost_and_gp_time_by_list(model):
    practices, networks = model.practices, model.networks
    kind = model.in_force.kinds.index("pcn")
    slot = int(np.argmax(networks.view("roles_fte")))
    members = (practices.membership[kind] == slot) & practices.open
    # shares follow this month's lists; the network's count of patients is last month's
    assert practices.roles_fte[members].sum() == pytest.approx(networks.roles_fte[slot], rel=2e-3)
    groups = model.in_force.additional_roles.groups
    cost = sum(networks.view(f"roles_{name}_fte")[slot] * getattr(groups, name).cost_per_fte for name in ROLE_GROUPS)
    assert practices.roles_cost_gbp[members].sum() == pytest.approx(cost, rel=2e-3)
    shares = practices.roles_fte[members] / practices.list_size[members]
    assert shares == pytest.approx(np.full(shares.size, shares[0]))


# -- joining under money ---------------------------------------------------------------------

def test_money_value_is_payments_and_valued_roles_less_duties():
    scenario = small(organisations={"pcn": {"payments": {"obligations_per_patient": 2.0}}},
                     additional_roles={"reimbursement_rate": 0.7, "entitlement_per_weighted_patient": 10.0})
    in_force = in_force_of(scenario)
    kind = in_force.kinds.index("pcn")
    month = in_force.month_of("2019-07")
    roles_value = 10.0 * (0.35 - 0.3)
    assert stake(in_force, kind, month) == pytest.approx(1.761 + 1.5 + 0.514 + roles_value)
    assert money_value(in_force, kind, month) == pytest.approx(1.761 + 1.5 + 0.514 + roles_value - 2.0)
    assert stake(in_force, kind, month - 1) == pytest.approx(1.761 + 1.5 + 0.514)  # before the scheme starts


def test_founders_aim_for_the_band_more_often_the_more_is_at_stake():
    aims = []
    for scale in (0.0, 0.05, 1.0):
        pay = {"participation_per_weighted_patient": 1.761 * scale, "core_per_patient": 1.5 * scale,
               "leadership_per_patient": 0.514 * scale}
        in_force = in_force_of(small(organisations={"pcn": {"payments": pay}}, additional_roles=None))
        aims.append(band_aim(in_force, in_force.kinds.index("pcn"), 30))
    at_stake = 0.05 * 3.775
    assert aims == pytest.approx([0.0, at_stake / (at_stake + 0.1), 3.775 / 3.875])
    in_force = in_force_of(small(additional_roles=None))
    kind = in_force.kinds.index("pcn")
    assert target_size(in_force, kind, 0.0, 30) == 30_000 and target_size(in_force, kind, aims[2] / 2, 30) == pytest.approx(40_000)
    assert target_size(in_force, kind, 0.999, 30) > 50_000  # past the band's share of draws: the kind's natural size


def test_waivers_follow_the_commissioners_rules(model):
    networks, in_force = model.networks, model.in_force
    kind = in_force.kinds.index("pcn")
    band = in_force.organisation(kind).band
    slots = np.flatnonzero(networks.view("active") & (networks.view("kind") == kind))[:4]
    saved = networks.patients[slots].copy(), networks.rural_share[slots].copy()
    try:
        networks.patients[slots] = [20_000, 20_000, 95_000, 105_000]
        networks.rural_share[slots] = [0.9, 0.1, 0.0, 0.0]
        paid = paid_networks(networks, in_force, kind, model.month)[slots]
        assert band.above_max_margin == 1.0 and band.rural_floor_share == 0.0
        assert paid.tolist() == [True, False, True, False]  # rural under the minimum; up to twice the maximum
    finally:
        networks.patients[slots], networks.rural_share[slots] = saved
