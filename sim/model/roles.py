"""Additional roles as the national scheme works: each paid network of the employing kind has an
entitlement (GBP per weighted patient per year) and plans posts costing up to it, group by group,
if it values the roles enough to pay the part the scheme does not reimburse and its members can
afford that part; it recruits towards its plan from a national supply; staff leave; posts above
the plan run down. Members share the staff, their cost and the GP time they save by list.
"""
from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from sim.model import rates
from sim.model.in_force import InForce
from sim.model.networks import paid_networks
from sim.model.streams import Streams
from sim.scenario.schema import RoleGroup
from sim.state import ROLE_GROUPS, NetworkState, PracticeState


def eligible_groups(in_force: InForce, month: int) -> list[tuple[str, RoleGroup, float]]:
    """The groups the scheme reimburses in a month, each with its share of a network's plan
    (budget shares of the eligible groups, scaled to add up to 1)."""
    groups = in_force.additional_roles.groups
    eligible = [(name, getattr(groups, name)) for name in ROLE_GROUPS
                if getattr(groups, name).eligible_from is None
                or month >= in_force.month_of(getattr(groups, name).eligible_from)]
    total = sum(group.budget_share for _, group in eligible)
    return [(name, group, group.budget_share / total) for name, group in eligible if total > 0]


def valuation(practices: PracticeState, networks: NetworkState, in_force: InForce, streams: Streams) -> np.ndarray:
    """What each network would pay towards a post from its members' money, as a share of the
    post's cost (lognormal between networks; fixed for a network, drawn for its lead practice)."""
    roles = in_force.additional_roles
    draw = practices.fixed(("roles valuation draw",), lambda: streams.uniform("roles_valuation", 0))
    quantile = ndtri(np.clip(draw[networks.view("lead")], 1e-9, 1 - 1e-9))
    return roles.top_up_valuation_median * np.exp(roles.top_up_valuation_sigma * quantile)


def planned_spend(practices: PracticeState, networks: NetworkState, in_force: InForce, streams: Streams, kind: int,
                  month: int) -> np.ndarray:
    """GBP per year each network plans to spend on posts: its entitlement if it values the roles
    above the part not reimbursed, cut to what its members' surplus can top up; else nothing."""
    roles = in_force.additional_roles
    rate = in_force.reimbursement_rate(month)
    slot = practices.membership[kind]
    member = (slot >= 0) & practices.open
    safe = np.maximum(slot, 0)
    weighted = np.bincount(safe, weights=practices.list_size * practices.funding_weight * member, minlength=networks.count)
    entitled = paid_networks(networks, in_force, kind, month) & (rate > 0)
    willing = valuation(practices, networks, in_force, streams) >= 1.0 - rate
    plan = np.where(entitled & willing, weighted * roles.entitlement_per_weighted_patient, 0.0)
    if rate < 1.0:
        surplus = np.bincount(safe, weights=(practices.income - practices.costs) * 12.0 * member, minlength=networks.count)
        spending = np.bincount(safe, weights=practices.roles_cost_gbp * member, minlength=networks.count)
        plan = np.minimum(plan, spending + np.maximum(surplus, 0.0) / (1.0 - rate))
    return plan


def hire_and_lose(practices: PracticeState, networks: NetworkState, in_force: InForce, streams: Streams,
                  month: int) -> None:
    """A month of the scheme: staff leave, networks recruit towards their plans from the national
    supply and run down posts above them; members get their shares by list."""
    roles = in_force.additional_roles
    if not roles.start or roles.employer not in in_force.kinds or networks.count == 0:
        return
    kind = in_force.kinds.index(roles.employer)
    staying = 1.0 - rates.hazard(roles.leaving_rate)
    groups = eligible_groups(in_force, month) if in_force.roles_active(month) else []
    plan = planned_spend(practices, networks, in_force, streams, kind, month) if groups else np.zeros(networks.count)
    planned = {name: plan * share / group.cost_per_fte for name, group, share in groups}
    gaps = {}
    for name in ROLE_GROUPS:
        staff = networks.view(f"roles_{name}_fte")
        staff *= staying
        target = planned.get(name, np.zeros(networks.count))
        staff -= np.maximum(staff - target, 0.0) / roles.run_down_months  # contracts run out when money falls
        gaps[name] = np.maximum(target - staff, 0.0)
    total_gap = sum(gap.sum() for gap in gaps.values())
    if total_gap > 0:
        supply = rates.amount(roles.recruits_per_1000_patients * practices.list_size.sum() / 1000.0)
        fill = min(1.0, supply / total_gap)
        for name, gap in gaps.items():
            networks.view(f"roles_{name}_fte")[:] += gap * fill
    share_out(practices, networks, in_force, kind)


def share_out(practices: PracticeState, networks: NetworkState, in_force: InForce, kind: int) -> None:
    """Members' shares, by list, of their network's roles staff, its full cost and the GP time saved."""
    slot = practices.membership[kind]
    member = (slot >= 0) & practices.open
    safe = np.maximum(slot, 0)
    patients = networks.patients[safe]
    share = np.divide(practices.list_size, patients, out=np.zeros(practices.size), where=member & (patients > 0))
    groups = in_force.additional_roles.groups
    total, gp_time, cost = (np.zeros(networks.count) for _ in range(3))
    for name in ROLE_GROUPS:
        staff, group = networks.view(f"roles_{name}_fte"), getattr(groups, name)
        total += staff
        gp_time += staff * group.gp_time_saved_per_fte
        cost += staff * group.cost_per_fte
    networks.view("roles_fte")[:] = total
    practices.roles_fte = total[safe] * share
    practices.roles_gp_time_fte = gp_time[safe] * share
    practices.roles_cost_gbp = cost[safe] * share


def in_post_at_start(practices: PracticeState, networks: NetworkState, in_force: InForce) -> None:
    """Staff a scheme already running at the start has in post in paid networks, shared between
    the groups eligible then as their budget shares buy posts."""
    roles = in_force.additional_roles
    if not roles.start or roles.initial_fte_per_1000 <= 0 or roles.employer not in in_force.kinds or networks.count == 0:
        return
    kind = in_force.kinds.index(roles.employer)
    staff = np.where(paid_networks(networks, in_force, kind, 0), networks.view("patients") * roles.initial_fte_per_1000 / 1000.0, 0.0)
    posts = {name: share / group.cost_per_fte for name, group, share in eligible_groups(in_force, 0)}
    total = sum(posts.values())
    for name, per_pound in posts.items():
        networks.view(f"roles_{name}_fte")[:] = staff * per_pound / total
    share_out(practices, networks, in_force, kind)
