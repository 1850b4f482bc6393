"""Money each month: practice income and costs, network payments into pooled funds, pooled
funds supporting members in deficit, and what incentives cost the public purse.

Partners' target drawings count as a cost, so a practice in deficit is one that cannot pay its
partners what keeps them; reserves above a cap are drawn by the partners as profit. What the
partners earn in a month, their target drawings plus the month's profit or less its loss, over
those drawings is `partner_earnings`: partners leave faster as it falls (workforce.py), and a
practice where it is too low is in distress (closure.py). Every pound
is accounted for: income minus costs equals the change in practice reserves and network pools
plus the surplus partners draw.

Funding and costs move by the scenario's dated uplifts (money.uplifts): income per patient with
the contract uplift, GP costs with GP pay awards, staff costs with staff pay awards, employed pay
with employers' on-costs, premises and running costs with prices; beyond them a scenario may
assume steady yearly growth of funding and of costs. Network payments and the
additional roles' cost are set in the scenario in the money of their year.
"""
from __future__ import annotations

import numpy as np

from sim.model import rates
from sim.model.in_force import InForce
from sim.model.national import NationalState
from sim.model.networks import Benefits, paid_members, paid_networks
from sim.state import NetworkState, PracticeState

POOL_SHARE_OUT_MONTHS = 3  # a network passes its unspent pool to members over about a quarter


def apply_uplifts(national: NationalState, in_force: InForce, month: int) -> None:
    """Raise the money indices by the uplifts dated this month, and by the steady yearly growth
    assumed beyond them (money.funding_growth, money.cost_growth; none unless a scenario says)."""
    money = in_force.money
    if money.funding_growth:
        national.funding_index *= 1.0 + rates.growth(money.funding_growth)
    if money.cost_growth:
        step = 1.0 + rates.growth(money.cost_growth)
        national.gp_pay_index *= step
        national.staff_pay_index *= step
        national.other_cost_index *= step
    for uplift in money.uplifts:
        if in_force.month_of(uplift.date) == month:
            national.funding_index *= 1.0 + uplift.funding
            national.gp_pay_index *= 1.0 + uplift.gp_pay
            national.staff_pay_index *= 1.0 + uplift.staff_pay
            national.on_cost_index *= 1.0 + uplift.employer_on_costs
            national.other_cost_index *= 1.0 + uplift.other_costs


def gp_cost_per_fte(national: NationalState, in_force: InForce) -> float:
    """What one more salaried GP FTE costs a practice this month, GBP per year."""
    return in_force.money.salaried_gp_cost_per_fte * national.gp_pay_index * national.on_cost_index


def partner_drawings(practices: PracticeState, national: NationalState, in_force: InForce) -> np.ndarray:
    """Partners' target drawings of every practice, GBP per year."""
    per_head = in_force.partner_fte_per_head * in_force.money.partner_drawings_per_fte * national.gp_pay_index
    return practices.partners * per_head


def core_income(practices: PracticeState, national: NationalState, in_force: InForce) -> np.ndarray:
    """Contract income of every practice before any network money, GBP per year."""
    money = in_force.money
    weighted = practices.list_size * practices.funding_weight
    return (weighted * money.global_sum_per_weighted_patient + practices.list_size * money.other_income_per_patient) * national.funding_index


def other_costs(practices: PracticeState, national: NationalState, in_force: InForce, benefits: Benefits,
                month: int) -> np.ndarray:
    """Yearly costs other than GPs: staff, premises and running costs (per patient rising with
    list size, as in the published expenses), and the members' share of additional roles' pay
    that the scheme does not reimburse; GBP per year."""
    money = in_force.money
    staff_pay = national.staff_pay_index * national.on_cost_index
    running = (money.premises_per_patient * practices.list_size
               * (np.maximum(practices.list_size, 1.0) / money.reference_list_size) ** money.size_cost_elasticity)
    return ((practices.nurse_fte * money.nurse_cost_per_fte + practices.direct_care_fte * money.direct_care_cost_per_fte
             + practices.admin_fte * money.admin_cost_per_fte) * staff_pay
            + (running + money.fixed_costs) * national.other_cost_index
            - practices.list_size * benefits.back_office_saving
            + practices.roles_cost_gbp * (1.0 - in_force.reimbursement_rate(month)))


def affordable_gp_fte(practices: PracticeState, national: NationalState, in_force: InForce, benefits: Benefits,
                      month: int) -> np.ndarray:
    """GP FTE each practice's contract income pays for: its partners, and the salaried GP time
    that what is left once its other costs and its partners' target drawings are met buys. The
    most GP time it will employ or buy in."""
    left = (core_income(practices, national, in_force) - other_costs(practices, national, in_force, benefits, month)
            - partner_drawings(practices, national, in_force))
    return practices.partners * in_force.partner_fte_per_head + np.maximum(left, 0.0) / gp_cost_per_fte(national, in_force)


def practice_costs(practices: PracticeState, national: NationalState, in_force: InForce, benefits: Benefits,
                   month: int) -> np.ndarray:
    """Monthly costs of every practice, GBP."""
    money = in_force.money
    gp_pay, employed = national.gp_pay_index, national.on_cost_index
    yearly = (partner_drawings(practices, national, in_force)
              + practices.salaried * in_force.salaried_fte_per_head * money.salaried_gp_cost_per_fte * gp_pay * employed
              + practices.locum_fte * money.salaried_gp_cost_per_fte * money.locum_premium * gp_pay
              + other_costs(practices, national, in_force, benefits, month))
    return rates.amount(yearly) * practices.open


def monthly_accounts(practices: PracticeState, networks: NetworkState, national: NationalState, in_force: InForce,
                     benefits: Benefits, month: int) -> None:
    """Book a month of income and costs, pay networks, and share pools out to members."""
    money, ledger = in_force.money, national.ledger
    weighted = practices.list_size * practices.funding_weight
    income = core_income(practices, national, in_force)
    spend = 0.0
    for kind, organisation in enumerate(in_force.organisations()):
        if not in_force.is_open(organisation, month):
            continue
        pay = organisation.payments
        members = paid_members(practices, networks, in_force, kind, month)
        participation = weighted * pay.participation_per_weighted_patient * members
        slot = practices.membership[kind]
        young = members & (month - networks.formed[np.maximum(slot, 0)] < organisation.sustainability_ramp_months)
        support = practices.list_size * pay.support_per_patient * young
        income = income + participation + support
        paid_patients = np.where(paid_networks(networks, in_force, kind, month), networks.view("patients"), 0.0)
        networks.view("pool")[:] += rates.amount(paid_patients * pay.core_per_patient)
        ledger["network_income"] += rates.amount(paid_patients.sum() * pay.core_per_patient)
        # Leadership payments buy leaders' time: spent, not pooled.
        spend += rates.amount(participation.sum() + support.sum() + paid_patients.sum() * (pay.core_per_patient + pay.leadership_per_patient))
    practices.income = rates.amount(income) * practices.open
    practices.costs = practice_costs(practices, national, in_force, benefits, month)
    target = rates.amount(partner_drawings(practices, national, in_force))
    practices.partner_earnings = np.divide(target + practices.income - practices.costs, target, out=np.ones(practices.size),
                                           where=target > 0)
    practices.reserves += practices.income - practices.costs
    cap = money.reserve_cap_months * practices.costs
    ledger["partner_surplus"] += float(np.maximum(practices.reserves - cap, 0.0).sum())
    practices.reserves = np.minimum(practices.reserves, cap)
    ledger["practice_income"] += practices.income.sum()
    ledger["practice_costs"] += practices.costs.sum()
    spend += rates.amount(practices.roles_cost_gbp.sum() * in_force.reimbursement_rate(month))
    national.incentive_spend_month = spend
    _share_out_pools(practices, networks, len(in_force.kinds))


def _share_out_pools(practices: PracticeState, networks: NetworkState, kinds: int) -> None:
    """Pools first cover members' overdrafts, then pass a slice of what is left to members."""
    if networks.count == 0:
        return
    pool = networks.view("pool")
    for kind in range(kinds):
        slot = practices.membership[kind]
        member = (slot >= 0) & practices.open
        safe = np.maximum(slot, 0)
        overdraft = np.maximum(-practices.reserves, 0.0) * member
        needed = np.bincount(safe, weights=overdraft, minlength=networks.count)
        covered = np.divide(np.minimum(pool, needed), needed, out=np.zeros(networks.count), where=needed > 0)
        practices.reserves += overdraft * covered[safe] * member
        pool -= needed * covered
        # Shares follow this month's lists, so exactly what leaves the pool reaches members.
        lists = np.bincount(safe, weights=practices.list_size * member, minlength=networks.count)
        share_out = np.where((networks.view("kind") == kind) & (lists > 0), pool / POOL_SHARE_OUT_MONTHS, 0.0)
        per_patient = np.divide(share_out, lists, out=np.zeros(networks.count), where=lists > 0)
        practices.reserves += per_patient[safe] * practices.list_size * member
        pool -= share_out


def in_deficit(practices: PracticeState) -> np.ndarray:
    """Bool over practice slots: open practices with negative reserves."""
    return practices.open & (practices.reserves < 0)
