"""Money each month: practice income and costs, network payments into pooled funds, pooled
funds supporting members in deficit, and what incentives cost the public purse.

Partners' target drawings count as a cost, so a practice in deficit is one that cannot pay its
partners what keeps them; reserves above a cap are drawn by the partners as profit. Every pound
is accounted for: income minus costs equals the change in practice reserves and network pools
plus the surplus partners draw.
"""
from __future__ import annotations

import numpy as np

from sim.model.networks import Benefits, is_open, paid, paid_members

POOL_SHARE_OUT_MONTHS = 3  # a network passes its unspent pool to members over about a quarter


def practice_costs(model, benefits: Benefits) -> np.ndarray:
    """Monthly costs of every practice, GBP."""
    practices, money, work = model.practices, model.params.money, model.params.workforce
    roles = model.params.additional_roles
    yearly = (practices.partners * work.partner_fte_per_head * money.partner_drawings_per_fte
              + practices.salaried * work.salaried_fte_per_head * money.salaried_gp_cost_per_fte
              + practices.locum_fte * money.salaried_gp_cost_per_fte * money.locum_premium
              + practices.nurse_fte * money.nurse_cost_per_fte
              + practices.direct_care_fte * money.direct_care_cost_per_fte
              + practices.admin_fte * money.admin_cost_per_fte
              + practices.list_size * (money.premises_per_patient - benefits.back_office_saving)
              + practices.roles_fte * roles.cost_per_fte * (1.0 - model.reimbursement_rate())
              + money.fixed_costs)
    return yearly / 12.0 * practices.open * model.cost_index


def monthly_accounts(model, benefits: Benefits) -> None:
    """Book a month of income and costs, pay networks, and share pools out to members."""
    practices, money, networks = model.practices, model.params.money, model.networks
    weighted = practices.list_size * practices.need_weight
    income = (weighted * money.global_sum_per_weighted_patient + practices.list_size * money.other_income_per_patient) * model.funding_index
    spend = 0.0
    for kind, organisation in enumerate(model.organisations()):
        if not is_open(model, organisation):
            continue
        pay = organisation.payments
        members = paid_members(model, kind)
        participation = weighted * pay.participation_per_weighted_patient * members
        slot = practices.membership[kind]
        young = members & (model.month - networks.formed[np.maximum(slot, 0)] < organisation.sustainability_ramp_months)
        support = practices.list_size * pay.support_per_patient * young
        income = income + participation + support
        paid_patients = np.where(paid(model, kind), networks.view("patients"), 0.0)
        networks.view("pool")[:] += paid_patients * pay.core_per_patient / 12.0
        model.ledger["network_income"] += paid_patients.sum() * pay.core_per_patient / 12.0
        # Leadership payments buy leaders' time: spent, not pooled.
        spend += (participation.sum() + support.sum() + paid_patients.sum() * (pay.core_per_patient + pay.leadership_per_patient)) / 12.0
    practices.income = income / 12.0 * practices.open
    practices.costs = practice_costs(model, benefits)
    practices.reserves += practices.income - practices.costs
    cap = money.reserve_cap_months * practices.costs
    model.ledger["partner_surplus"] += float(np.maximum(practices.reserves - cap, 0.0).sum())
    practices.reserves = np.minimum(practices.reserves, cap)
    model.ledger["practice_income"] += practices.income.sum()
    model.ledger["practice_costs"] += practices.costs.sum()
    spend += (practices.roles_fte.sum() * model.params.additional_roles.cost_per_fte * model.reimbursement_rate()) / 12.0
    model.incentive_spend_month = spend
    _share_out_pools(model)


def _share_out_pools(model) -> None:
    """Pools first cover members' overdrafts, then pass a slice of what is left to members."""
    practices, networks = model.practices, model.networks
    if networks.count == 0:
        return
    pool = networks.view("pool")
    for kind in range(len(model.kinds)):
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


def in_deficit(model) -> np.ndarray:
    """Bool over practice slots: open practices with negative reserves."""
    return model.practices.open & (model.practices.reserves < 0)
