"""Integrated providers: whole-population contracts that commissioners procure, area by area.

An area's commissioner lets a contract of about the kind's size to a lead (the area's largest
GP organisation of a leading kind, if big enough, or else an NHS trust) and the contract covers
contiguous practices of the area, nearest the lead first (a contract whose area has no GP
organisation able to lead, and is not let to a trust, is led by its practices together). Each covered practice integrates fully
(its contract passes to the provider; it becomes a site) or joins in an alliance (keeping its
own). The provider holds a population budget for services beyond core general practice: a share
reaches member practices (integrated sites' overdrafts first), a share pays GPs employed across
practices (covering members' missing GP time), the rest buys other services. A provider that steps in takes over a covered
practice that would hand back its contract: the practice stays open as a site, its patients
stay, and those whose GP stays keep their usual GP. Its staff and continuity effects of
membership are the organisation kind's, ramped by maturity (networks/benefits.py).

All draws here come from streams named for the provider kind, so scenarios without providers
draw exactly what they drew before.
"""
from __future__ import annotations

import numpy as np

from sim.model import money, rates
from sim.model.demand import required_gp_fte
from sim.model.in_force import InForce
from sim.model.national import NationalState
from sim.model.networks import Benefits
from sim.model.networks.membership import add_network, set_membership
from sim.model.streams import Streams
from sim.model.workforce import gp_fte
from sim.state import LED_BY, Geography, NetworkState, PracticeState


def provider_kinds(in_force: InForce) -> list[int]:
    """The organisation kinds that are integrated providers, in kind order."""
    return [kind for kind, organisation in enumerate(in_force.organisations()) if organisation.provider is not None]


# -- procurement ---------------------------------------------------------------------------
def procure(practices: PracticeState, networks: NetworkState, geography: Geography, in_force: InForce,
            streams: Streams, month: int) -> None:
    """Areas with practices not yet covered let contracts, at each kind's procurement rate, while
    the kind's national patient coverage is below its target."""
    patients = practices.list_size.sum()
    for kind in provider_kinds(in_force):
        organisation = in_force.organisation(kind)
        contract, name = organisation.provider, in_force.kinds[kind]
        if not in_force.is_open(organisation, month) or contract.procurement_rate <= 0 or patients <= 0:
            continue
        if contract.tile_area:
            _join_area_providers(practices, networks, geography, kind)
        uncovered = practices.open & (practices.membership[kind] < 0)
        covered = practices.list_size[practices.open & ~uncovered].sum()
        draw = streams.uniform(f"procurement:{name}", month, size=len(geography.area_practices))
        for area in np.unique(practices.area[uncovered]).tolist():
            if covered >= contract.target_coverage * patients:
                break
            if draw[area] < rates.hazard(contract.procurement_rate):
                covered += _let_contracts(practices, networks, geography, in_force, streams, kind, area, month)


def _let_contracts(practices: PracticeState, networks: NetworkState, geography: Geography, in_force: InForce,
                   streams: Streams, kind: int, area: int, month: int) -> float:
    """One area's procurement: a contract (or, tiling the area, contracts until every practice is
    covered), each to a lead, covering the nearest uncovered practices to its size. Returns the
    patients covered."""
    contract, name = in_force.organisation(kind).provider, in_force.kinds[kind]
    rng = streams.generator(f"lead:{name}:{area}", month)
    in_area = geography.area_practices[area]
    seed, covered = None, 0.0
    while True:
        uncovered = in_area[practices.open[in_area] & (practices.membership[kind, in_area] < 0)]
        if uncovered.size == 0:
            break
        gp_lead = _gp_lead(practices, networks, in_force, kind, area)
        led_by = LED_BY.index("trust") if rng.random() < contract.trust_lead_share else \
            LED_BY.index("practices") if gp_lead is None else LED_BY.index("gp_organisation")
        if led_by == LED_BY.index("gp_organisation"):
            seed = gp_lead
        elif seed is None:
            seed = _central(practices, uncovered)
        km = geography.area_distances.row(seed)[geography.area_distances.position[uncovered]]
        nearest = uncovered[np.argsort(km, kind="stable")]
        reached = np.cumsum(practices.list_size[nearest]) >= contract.size_patients
        count = int(np.argmax(reached)) + 1 if reached.any() else nearest.size
        rest = practices.list_size[nearest[count:]].sum()
        if contract.tile_area and rest < contract.size_patients / 2:
            count = nearest.size  # a remainder too small for a contract of its own joins this one
        members = nearest[:count]
        slot = add_network(practices, networks, kind=kind, lead=int(members[0]), target_patients=contract.size_patients,
                           month=month)
        networks.led_by[slot] = led_by
        set_membership(practices, networks, kind, members, slot)
        integrating = streams.uniform_of(f"integration:{name}", month, members) < contract.integration_share
        practices.integrated[members[integrating]] = True
        covered += practices.list_size[members].sum()
        seed = int(members[-1])  # the next contract starts at the edge of this one
        if not contract.tile_area:
            break
    return covered


def _join_area_providers(practices: PracticeState, networks: NetworkState, geography: Geography, kind: int) -> None:
    """A practice opened in an area whose contracts are let joins the provider of the nearest
    covered practice there (in an alliance): an area-wide contract covers every practice."""
    outside = np.flatnonzero(practices.open & (practices.membership[kind] < 0))
    if outside.size == 0 or networks.count == 0:
        return
    let = np.zeros(len(geography.area_practices), dtype=bool)
    let[networks.view("area")[networks.view("active") & (networks.view("kind") == kind)]] = True
    for practice in outside[let[practices.area[outside]]].tolist():
        others, _ = geography.area_distances.others_by_distance(practice)
        covered = [other for other in others if practices.open[other] and practices.membership[kind, other] >= 0]
        if covered:
            set_membership(practices, networks, kind, np.array([practice]), int(practices.membership[kind, covered[0]]))


def _gp_lead(practices: PracticeState, networks: NetworkState, in_force: InForce, kind: int, area: int) -> int | None:
    """The lead practice of the area's largest GP organisation of a leading kind big enough to
    lead, among those whose lead practice is open and not yet covered; None if there is none."""
    contract = in_force.organisation(kind).provider
    leading = [in_force.kinds.index(name) for name in contract.lead_kinds if name in in_force.kinds]
    if not leading or networks.count == 0:
        return None
    lead = networks.view("lead")
    eligible = (networks.view("active") & np.isin(networks.view("kind"), leading) & (networks.view("area") == area)
                & (networks.view("patients") >= contract.lead_min_patients) & practices.open[lead]
                & (practices.membership[kind, lead] < 0))
    if not eligible.any():
        return None
    slots = np.flatnonzero(eligible)
    return int(lead[slots[np.argmax(networks.patients[slots])]])


def _central(practices: PracticeState, candidates: np.ndarray) -> int:
    """The candidate practice nearest its group's patient-weighted centre."""
    weights = np.maximum(practices.list_size[candidates], 1e-9)
    x, y = practices.x_km[candidates], practices.y_km[candidates]
    centre_x, centre_y = np.average(x, weights=weights), np.average(y, weights=weights)
    return int(candidates[np.argmin(np.hypot(x - centre_x, y - centre_y))])


# -- money ---------------------------------------------------------------------------------
def pay_budgets(practices: PracticeState, networks: NetworkState, national: NationalState, in_force: InForce,
                month: int) -> None:
    """The month's population budgets: each provider's practice share covers its integrated
    sites' overdrafts, then passes to members per patient; the shared-staff share pays the
    staff employed across practices; the rest buys other services. Every pound is booked."""
    ledger = national.ledger
    for kind in provider_kinds(in_force):
        contract = in_force.organisation(kind).provider
        slot = practices.membership[kind]
        member = (slot >= 0) & practices.open
        if not member.any():
            continue
        safe = np.maximum(slot, 0)
        budget = rates.amount(practices.list_size * contract.budget_per_patient * national.funding_index) * member
        total = float(budget.sum())
        for_practices = np.bincount(safe, weights=budget, minlength=networks.count) * contract.practice_share
        overdraft = np.maximum(-practices.reserves, 0.0) * (member & practices.integrated)
        needed = np.bincount(safe, weights=overdraft, minlength=networks.count)
        covered = np.divide(np.minimum(for_practices, needed), needed, out=np.zeros(networks.count), where=needed > 0)
        left = for_practices - needed * covered
        lists = np.bincount(safe, weights=practices.list_size * member, minlength=networks.count)
        per_patient = np.divide(left, lists, out=np.zeros(networks.count), where=lists > 0)
        received = (overdraft * covered[safe] + per_patient[safe] * practices.list_size) * member
        practices.reserves += received
        practices.income += received
        paid = float(received.sum())
        shared_staff = total * contract.shared_staff_share
        _shared_cover(practices, networks, national, in_force, member, safe,
                      np.bincount(safe, weights=budget, minlength=networks.count) * contract.shared_staff_share)
        ledger["practice_income"] += paid
        ledger["provider_budget"] += total
        ledger["provider_to_practices"] += paid
        ledger["provider_shared_staff"] += shared_staff
        ledger["provider_other_services"] += total - paid - shared_staff


def _shared_cover(practices: PracticeState, networks: NetworkState, national: NationalState, in_force: InForce,
                  member: np.ndarray, slot: np.ndarray, spend: np.ndarray) -> None:
    """GP time the shared-staff money buys this month (salaried GPs employed by the provider,
    sessional, not from the supply of new GPs) covers members' missing GP time, in proportion
    to it, as pooled cover."""
    fte = spend * rates.MONTHS_PER_YEAR / money.gp_cost_per_fte(national, in_force)  # a month's spend pays a year's salary rate
    available = gp_fte(practices, in_force) + practices.locum_fte + practices.pooled_cover_fte
    gap = np.maximum(required_gp_fte(practices, national, in_force) - available, 0.0) * member
    gaps = np.bincount(slot, weights=gap, minlength=networks.count)
    share = np.divide(np.minimum(fte, gaps), gaps, out=np.zeros(networks.count), where=gaps > 0)
    practices.pooled_cover_fte += gap * share[slot]


# -- continuity ----------------------------------------------------------------------------
def add_site_costs(practices: PracticeState, networks: NetworkState, in_force: InForce, benefits: Benefits,
                   month: int) -> None:
    """Integrated sites lose a little more continuity to cross-site rotas as their provider
    matures (over the kind's workforce ramp)."""
    for kind in provider_kinds(in_force):
        organisation = in_force.organisation(kind)
        slot = practices.membership[kind]
        site = (slot >= 0) & practices.open & practices.integrated
        if not site.any():
            continue
        ramp = np.clip((month - networks.formed[np.maximum(slot, 0)]) / organisation.workforce_ramp_months, 0.0, 1.0)
        cost = benefits.cross_site_cost + organisation.provider.integrated_continuity_cost * ramp * site
        benefits.cross_site_cost = np.minimum(cost, in_force.continuity.max_cross_site_cost)


# -- step-in -------------------------------------------------------------------------------
def step_in(practices: PracticeState, national: NationalState, in_force: InForce, streams: Streams, practice: int,
            month: int) -> bool:
    """Whether a provider covering a practice that would hand back its contract takes it over
    instead (then done here). The first time, GPs who do not stay leave, the rest become the
    provider's salaried GPs, and continuity is kept for the patients of those who stay; a site
    taken over before only has its overdraft written off. Its patients stay either way."""
    for kind in provider_kinds(in_force):
        contract, name = in_force.organisation(kind).provider, in_force.kinds[kind]
        if practices.membership[kind, practice] < 0 or contract.step_in_probability <= 0:
            continue
        if streams.uniform_of(f"step_in:{name}", month, np.array([practice]))[0] >= contract.step_in_probability:
            continue
        if practices.taken_over_month[practice] < 0:
            _take_over(practices, national, in_force, contract.staff_kept_share, practice, month)
        national.ledger["written_off"] += practices.reserves[practice]
        practices.reserves[practice] = 0.0
        practices.distress_months[practice] = 0
        return True
    return False


def _take_over(practices: PracticeState, national: NationalState, in_force: InForce, kept_share: float, practice: int,
               month: int) -> None:
    heads = int(practices.partners[practice] + practices.salaried[practice])
    kept = int(np.floor(heads * kept_share + 0.5))
    practices.add_leavers(month, practice, heads - kept)
    practices.partners[practice], practices.salaried[practice] = 0, kept
    kept_gp = kept / heads if heads else 0.0
    moved = in_force.continuity.moved_patient_continuity
    practices.continuity[practice] = practices.continuity[practice] * kept_gp + moved * (1.0 - kept_gp)
    practices.integrated[practice] = True
    practices.taken_over_month[practice] = month
    national.record_taken_over(month, float(practices.list_size[practice]), float(practices.continuity[practice]))
