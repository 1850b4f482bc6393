"""Workforce flows each month: leaving, retirement, partners turning salaried, recruitment of
what practices can afford from a finite national supply, and locums and pooled rotas filling
part of the gap. Unfilled posts raise workload (so leaving) and locum spending."""
from __future__ import annotations

import numpy as np

from sim.model import money, rates
from sim.model.demand import funded_gp_fte, required_gp_fte
from sim.model.in_force import InForce
from sim.model.national import NationalState
from sim.model.networks import Benefits
from sim.model.streams import Streams, binomial
from sim.state import PracticeState

EARNINGS_RANGE = (0.25, 2.0)  # partners' earnings over target beyond which leaving responds no further


def gp_fte(practices: PracticeState, in_force: InForce) -> np.ndarray:
    """GP FTE in post (partners and salaried, locums excluded)."""
    return practices.gp_fte(in_force.partner_fte_per_head, in_force.salaried_fte_per_head)


def measure_workload(practices: PracticeState, in_force: InForce, needed: np.ndarray) -> None:
    """Workload: GP time needed (FTE) over GP time available (in post, locum and pooled cover)."""
    work = in_force.workforce
    available = gp_fte(practices, in_force) + practices.locum_fte + practices.pooled_cover_fte
    workload = needed / np.maximum(available, work.min_available_gp_fte)
    practices.workload = np.where(practices.open, np.clip(workload, work.min_workload, work.max_workload), 1.0)


def partner_leaving_rate(practices: PracticeState, in_force: InForce, yearly: np.ndarray, benefits: Benefits) -> np.ndarray:
    """Partners' yearly leaving hazard: the GPs' `yearly` hazard, raised for founders of young
    networks and by partners' earnings falling against their target drawings (lowered by earnings
    above it), plus retirement."""
    work = in_force.workforce
    earnings = np.clip(practices.partner_earnings, *EARNINGS_RANGE) ** -work.partner_earnings_elasticity
    return yearly * (1.0 + benefits.leader_burnout) * earnings + work.partner_retirement_rate


def leaving_pressure(practices: PracticeState, in_force: InForce, benefits: Benefits) -> np.ndarray:
    """How workload, deprivation and support scale each practice's GP leaving and moving hazards
    (1 at normal workload in the least deprived practice without support). Workload counts up to
    `leaving_workload_cap`: beyond it a practice rations access rather than its GPs working longer."""
    work = in_force.workforce
    deprived = practices.fixed(("deprived leaving", work.deprivation_leaving_ratio),
                               lambda: work.deprivation_leaving_ratio ** practices.deprivation)
    felt = np.minimum(practices.workload, work.leaving_workload_cap)
    return felt ** work.workload_elasticity * deprived * (1.0 - benefits.staff_support)


def gp_flows(practices: PracticeState, national: NationalState, in_force: InForce, benefits: Benefits,
             streams: Streams, month: int) -> None:
    """GPs leave, retire, give up partnership and are recruited to the posts each practice can
    afford; pooled rotas and locums (paid from the money for posts left unfilled) cover part of
    the gap."""
    work, drawer = in_force.workforce, streams.drawer
    needed = required_gp_fte(practices, national, in_force)  # lists and roles do not change until the month's roles step
    affordable = money.affordable_gp_fte(practices, national, in_force, benefits, month)
    measure_workload(practices, in_force, needed)
    pressure = leaving_pressure(practices, in_force, benefits)
    yearly = work.leaving_rate * in_force.leaving_factor * pressure
    partner_yearly = partner_leaving_rate(practices, in_force, yearly, benefits)
    # Yearly hazards (events per GP-year, like the turnover they are fitted to), so the ratios
    # multiply them and retirement adds to them.
    partner_leavers = binomial(practices.partners, rates.hazard(partner_yearly), drawer("partner_leaving", month))
    salaried_leavers = binomial(practices.salaried, rates.hazard(yearly), drawer("salaried_leaving", month))
    practices.partners -= partner_leavers
    practices.salaried -= salaried_leavers
    turning = binomial(practices.partners, rates.hazard(work.partner_to_salaried_rate), drawer("partner_to_salaried", month))
    practices.partners -= turning
    practices.salaried += turning
    # Somebody must hold the contract: a salaried GP takes on the partnership.
    no_partner = (practices.partners == 0) & (practices.salaried > 0)
    practices.partners[no_partner] += 1
    practices.salaried[no_partner] -= 1
    looking = binomial(practices.salaried, rates.hazard(work.moving_rate * pressure), drawer("moving", month))

    posts = np.minimum(funded_gp_fte(practices, national, in_force), affordable)
    movers = _recruit(practices, in_force, benefits, posts, looking, streams, month)
    in_post = gp_fte(practices, in_force)
    gap = np.maximum(needed - in_post, 0.0) * practices.open
    practices.pooled_cover_fte = gap * benefits.pooled_cover
    # Locums cost more than the posts they stand in for, so the money for unfilled posts buys less time.
    locum_budget = np.maximum(affordable - in_post, 0.0) / in_force.money.locum_premium
    practices.locum_fte = np.minimum((gap - practices.pooled_cover_fte) * work.locum_cover, locum_budget)
    practices.record_gp_month(month, partner_leavers + salaried_leavers, practices.gp_heads(), movers)


def _recruit(practices: PracticeState, in_force: InForce, benefits: Benefits, posts_fte: np.ndarray,
             looking: np.ndarray, streams: Streams, month: int) -> np.ndarray:
    """Fill vacancies (the GP time posts are short of, in recruits) from the month's supply: new
    GPs, and salaried GPs `looking` to move from another practice. Returns the GPs who moved out
    of each practice: those looking who found a post, in proportion to their share of the supply
    (so the GPs moving in equal, in expectation, those moving out); the others stay where they
    are."""
    work = in_force.workforce
    moved = np.zeros(practices.size, dtype=np.int64)
    # Practices recruit to the GP time their posts are short of, in heads of the mix they recruit.
    share = work.new_gp_partner_share
    recruit_fte = share * in_force.partner_fte_per_head + (1.0 - share) * in_force.salaried_fte_per_head
    vacancies = np.maximum(np.round((posts_fte - gp_fte(practices, in_force)) / recruit_fte), 0).astype(np.int64)
    vacancies[~practices.open] = 0
    place = practices.fixed(("attraction of place", work.rural_attraction, work.deprived_attraction),
                            lambda: np.where(practices.rural, work.rural_attraction, 1.0)
                            * (1.0 - (1.0 - work.deprived_attraction) * practices.deprivation))
    attraction = place * np.where(benefits.mature_member, work.network_attraction, 1.0)
    weighted = float((vacancies * attraction).sum())
    if weighted <= 0:
        return moved
    new_gps = work.new_gps_per_1000_patients * in_force.new_gp_supply_index
    supply = rates.amount(new_gps * practices.list_size.sum() / 1000.0) + float(looking.sum())
    fill = np.minimum(work.vacancy_fill_rate, supply * attraction / weighted)
    recruits = binomial(vacancies, fill, streams.drawer("recruitment", month))
    partners = binomial(recruits, work.new_gp_partner_share, streams.drawer("new_partner", month))
    practices.partners += partners
    practices.salaried += recruits - partners
    if supply > 0 and looking.any():
        placed = min(float((vacancies * fill).sum()) / supply, 1.0)
        moved = binomial(looking, placed, streams.drawer("moved", month))
        practices.salaried -= moved
    return moved


def other_staff(practices: PracticeState, national: NationalState, in_force: InForce) -> None:
    """Nurses, other direct care and admin staff follow the list at the scenario's starting
    ratios, raised as each patient's consultations grow (the work grows for the whole
    practice, not only for its GPs)."""
    work = in_force.workforce
    for attribute, per_1000 in (("nurse_fte", work.nurse_fte_per_1000), ("direct_care_fte", work.direct_care_fte_per_1000),
                                ("admin_fte", work.admin_fte_per_1000)):
        current = getattr(practices, attribute)
        wanted = practices.list_size * per_1000 / 1000.0 * national.consultation_index
        current += (wanted - current) / work.staff_adjustment_months
        current[~practices.open] = 0.0
