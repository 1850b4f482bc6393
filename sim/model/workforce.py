"""Workforce flows each month: leaving, retirement, partners turning salaried, recruitment from
a finite national supply, locums and pooled rotas filling gaps, and network-employed additional
roles."""
from __future__ import annotations

import numpy as np

from sim.model.demand import required_gp_fte
from sim.model.networks import Benefits, paid
from sim.model.streams import binomial


def monthly_hazard(yearly: np.ndarray | float) -> np.ndarray:
    """Monthly probability equivalent to a yearly hazard (capped below 1)."""
    return 1.0 - (1.0 - np.minimum(yearly, 0.99)) ** (1.0 / 12.0)


def gp_fte(model) -> np.ndarray:
    """GP FTE in post (partners and salaried, locums excluded)."""
    work = model.params.workforce
    return model.practices.gp_fte(work.partner_fte_per_head, work.salaried_fte_per_head)


def measure_workload(model, needed: np.ndarray) -> None:
    """Workload: GP time needed (FTE) over GP time available (in post, locum and pooled cover)."""
    practices = model.practices
    available = gp_fte(model) + practices.locum_fte + practices.pooled_cover_fte
    workload = needed / np.maximum(available, 0.25)
    practices.workload = np.where(practices.open, np.clip(workload, 0.25, 4.0), 1.0)


def gp_flows(model, benefits: Benefits) -> None:
    """GPs leave, retire, give up partnership and are recruited; locums fill part of the gap."""
    practices, work = model.practices, model.params.workforce
    month, drawer = model.month, model.streams.drawer
    needed = required_gp_fte(model)  # lists and roles do not change until the month's roles step
    measure_workload(model, needed)
    deprived = model.fixed(("deprived leaving", work.deprivation_leaving_ratio),
                           lambda: work.deprivation_leaving_ratio ** practices.deprivation)
    yearly = (work.leaving_rate * practices.workload ** work.workload_elasticity * deprived * (1.0 - benefits.staff_support))
    partner_yearly = (yearly * (1.0 + benefits.leader_burnout) * np.where(practices.reserves < 0, work.deficit_leaving_ratio, 1.0)
                      + work.partner_retirement_rate)
    partner_leavers = binomial(practices.partners, monthly_hazard(partner_yearly), drawer("partner_leaving", month))
    salaried_leavers = binomial(practices.salaried, monthly_hazard(yearly), drawer("salaried_leaving", month))
    practices.partners -= partner_leavers
    practices.salaried -= salaried_leavers
    turning = binomial(practices.partners, monthly_hazard(work.partner_to_salaried_rate), drawer("partner_to_salaried", month))
    practices.partners -= turning
    practices.salaried += turning
    # Somebody must hold the contract: a salaried GP takes on the partnership.
    no_partner = (practices.partners == 0) & (practices.salaried > 0)
    practices.partners[no_partner] += 1
    practices.salaried[no_partner] -= 1

    _recruit(model, benefits, needed)
    gap = np.maximum(needed - gp_fte(model), 0.0) * practices.open
    practices.pooled_cover_fte = gap * benefits.pooled_cover
    practices.locum_fte = (gap - practices.pooled_cover_fte) * work.locum_cover
    practices.record_gp_month(month, partner_leavers + salaried_leavers, practices.gp_heads())


def _recruit(model, benefits: Benefits, needed: np.ndarray) -> None:
    practices, work = model.practices, model.params.workforce
    fte_per_head = (work.partner_fte_per_head + work.salaried_fte_per_head) / 2.0
    vacancies = np.maximum(np.round(needed / fte_per_head) - practices.gp_heads(), 0).astype(np.int64)
    vacancies[~practices.open] = 0
    place = model.fixed(("attraction of place", work.rural_attraction, work.deprived_attraction),
                        lambda: np.where(practices.rural, work.rural_attraction, 1.0)
                        * (1.0 - (1.0 - work.deprived_attraction) * practices.deprivation))
    attraction = place * np.where(benefits.mature_member, work.network_attraction, 1.0)
    weighted = float((vacancies * attraction).sum())
    if weighted <= 0:
        return
    supply = work.new_gps_per_1000_patients * practices.list_size.sum() / 1000.0 / 12.0
    fill = np.minimum(work.vacancy_fill_rate, supply * attraction / weighted)
    recruits = binomial(vacancies, fill, model.streams.drawer("recruitment", model.month))
    partners = binomial(recruits, work.new_gp_partner_share, model.streams.drawer("new_partner", model.month))
    practices.partners += partners
    practices.salaried += recruits - partners


def other_staff(model) -> None:
    """Nurses, other direct care and admin staff follow the list at the scenario's ratios."""
    practices, work = model.practices, model.params.workforce
    for attribute, per_1000 in (("nurse_fte", work.nurse_fte_per_1000), ("direct_care_fte", work.direct_care_fte_per_1000),
                                ("admin_fte", work.admin_fte_per_1000)):
        current = getattr(practices, attribute)
        current += (practices.list_size * per_1000 / 1000.0 - current) / 12.0
        current[~practices.open] = 0.0


def additional_roles(model) -> None:
    """Paid networks of the employing kind recruit towards their entitlement from a national
    supply; staff leave; entitlement lapses when reimbursement stops. Members share by list."""
    practices, networks, roles = model.practices, model.networks, model.params.additional_roles
    if not roles.start or roles.employer not in model.kinds or networks.count == 0:
        return
    kind = model.kinds.index(roles.employer)
    staff = networks.view("roles_fte")
    staff *= 1.0 - monthly_hazard(roles.leaving_rate)
    entitled = paid(model, kind) & model.roles_active() & (roles.reimbursement_rate > 0)
    entitlement = np.where(entitled, networks.view("patients") * roles.target_fte_per_1000 / 1000.0, 0.0)
    excess = np.maximum(staff - entitlement, 0.0)
    staff -= excess / 12.0  # contracts run down over about a year when funding stops
    gap = np.maximum(entitlement - staff, 0.0)
    total_gap = gap.sum()
    if total_gap > 0:
        supply = roles.recruits_per_1000_patients * practices.list_size.sum() / 1000.0 / 12.0
        staff += gap * min(1.0, supply / total_gap)
    slot = practices.membership[kind]
    member = (slot >= 0) & practices.open
    safe = np.maximum(slot, 0)
    share = np.divide(practices.list_size, networks.patients[safe], out=np.zeros(practices.size), where=member & (networks.patients[safe] > 0))
    practices.roles_fte = staff[safe] * share if networks.count else np.zeros(practices.size)


def roles_in_post_at_start(model) -> None:
    """Staff a scheme already running at the start has in post in paid networks."""
    roles, networks = model.params.additional_roles, model.networks
    if not roles.start or roles.initial_fte_per_1000 <= 0 or roles.employer not in model.kinds:
        return
    kind = model.kinds.index(roles.employer)
    networks.view("roles_fte")[:] = np.where(paid(model, kind), networks.view("patients") * roles.initial_fte_per_1000 / 1000.0, 0.0)
