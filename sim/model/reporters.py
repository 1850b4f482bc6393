"""National figures recorded every month: one small function per column of timeseries.csv.

Shares are 0-1. Rolling "_12m" figures cover the 12 months up to and including this one; in
a run's first 11 months they are annualised from the months so far.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from sim.model.continuity import survey_share
from sim.model.demand import required_gp_fte
from sim.model.money import in_deficit
from sim.model.networks import paid_members
from sim.model.workforce import gp_fte
from sim.scenario.schema import year_month
from sim.state import ROLE_GROUPS


def _share(part: float, whole: float) -> float:
    return float(part / whole) if whole > 0 else 0.0


def _fraction(part: float, whole: float) -> float:
    """A share of a whole, 0-1 (rounding in a patient-weighted sum cannot push it past 1)."""
    return min(_share(part, whole), 1.0)


def _cached(model, name: str, compute):
    """Arrays several reporters need, computed once per collection (the model clears the cache
    at the start of every step)."""
    cache = model.reporting_cache
    if name not in cache:
        cache[name] = compute()
    return cache[name]


def _gp_fte(model) -> np.ndarray:
    return _cached(model, "gp_fte", lambda: gp_fte(model.practices, model.in_force))


def _annualised(model, total: float) -> float:
    """A rolling 12-month total; in the first 11 months, scaled up from the months so far."""
    return total * 12.0 / min(model.month + 1, 12)


def month(model) -> str:
    """Calendar month, YYYY-MM."""
    return year_month(model.start_month + model.month)


def practices(model) -> int:
    """Open practices."""
    return _cached(model, "practices", lambda: int(model.practices.open.sum()))


def patients(model) -> float:
    """Registered patients in open practices."""
    return _cached(model, "patients", lambda: float(model.practices.list_size.sum()))


def mean_list_size(model) -> float:
    """Mean registered list per open practice."""
    return _share(patients(model), practices(model))


def networks(model) -> int:
    """Active organisations of every kind."""
    return int(model.networks.view("active").sum())


def _in_any(model) -> np.ndarray:
    return _cached(model, "in_any", lambda: model.practices.open & (model.practices.membership >= 0).any(axis=0))


def network_coverage_practices(model) -> float:
    """Share of open practices in at least one organisation of any kind."""
    return _fraction(_in_any(model).sum(), practices(model))


def network_coverage_patients(model) -> float:
    """Share of registered patients whose practice is in at least one organisation."""
    return _fraction(model.practices.list_size[_in_any(model)].sum(), patients(model))


def gp_fte_per_1000(model) -> float:
    """GP FTE in post (partners and salaried, locums excluded) per 1,000 registered patients."""
    return _share(_gp_fte(model).sum() * 1000.0, patients(model))


def partner_fte_per_1000(model) -> float:
    """GP partner FTE per 1,000 registered patients."""
    return _share(model.practices.partners.sum() * model.in_force.partner_fte_per_head * 1000.0, patients(model))


def salaried_gp_fte_per_1000(model) -> float:
    """Salaried GP FTE per 1,000 registered patients."""
    return _share(model.practices.salaried.sum() * model.in_force.salaried_fte_per_head * 1000.0, patients(model))


def gp_turnover_12m(model) -> float:
    """GPs who left general practice in the last 12 months over mean GP headcount in that time
    (moves between practices not counted)."""
    state = model.practices
    return _share(_annualised(model, state.leavers_12m.sum()), state.heads_12m.sum() / 12.0)


def gp_practice_turnover_12m(model) -> float:
    """GPs who left their practice in the last 12 months, out of general practice or to another
    practice, over mean GP headcount (practice-level turnover, national)."""
    state = model.practices
    return _share(_annualised(model, state.leavers_12m.sum() + state.movers_12m.sum()), state.heads_12m.sum() / 12.0)


def locum_share(model) -> float:
    """Locum FTE over all GP FTE (in post and locum)."""
    locums = model.practices.locum_fte.sum()
    return _fraction(locums, _gp_fte(model).sum() + locums)


def continuity(model) -> float:
    """Patient-weighted mean share of GP consultations with the usual GP (SLICC-like)."""
    state = model.practices
    return _fraction((state.continuity * state.list_size).sum(), state.list_size.sum())


def continuity_survey(model) -> float:
    """Share of patients who would tell the GP Patient Survey they see their preferred GP always,
    almost always or a lot of the time (patient-weighted; see continuity.survey_share)."""
    state = model.practices
    return _fraction((survey_share(state.continuity, model.in_force) * state.list_size).sum(), state.list_size.sum())


def practices_in_deficit(model) -> float:
    """Share of open practices with negative reserves (unable to pay partners' target drawings)."""
    return _fraction(in_deficit(model.practices).sum(), practices(model))


def closures_12m(model) -> int:
    """Practices that ended (merged or closed) in the last 12 months."""
    return int(round(_annualised(model, model.national.events["mergers"].sum() + model.national.events["closures"].sum())))


def mergers_12m(model) -> int:
    """Practices that merged into a neighbour in the last 12 months."""
    return int(round(_annualised(model, model.national.events["mergers"].sum())))


def contracts_handed_back_12m(model) -> int:
    """Practices that handed back their contract (patients dispersed) in the last 12 months."""
    return int(round(_annualised(model, model.national.events["closures"].sum())))


def openings_12m(model) -> int:
    """New practices opened, or handed-back lists taken over by a new provider, in the last 12 months."""
    return int(round(_annualised(model, model.national.events["openings"].sum())))


def displaced_patients_12m(model) -> float:
    """Patients dispersed to other practices by closures in the last 12 months."""
    return _annualised(model, model.national.events["displaced"].sum())


def patients_lost_usual_gp_12m(model) -> float:
    """Patients who lost their usual GP through a closure in the last 12 months."""
    return _annualised(model, model.national.events["lost_usual_gp"].sum())


def staff_fte_per_1000(model) -> float:
    """Whole practice workforce FTE (GPs, locums, nurses, direct care, admin, additional roles) per 1,000."""
    state = model.practices
    total = (_gp_fte(model) + state.locum_fte + state.nurse_fte + state.direct_care_fte + state.admin_fte + state.roles_fte).sum()
    return _share(total * 1000.0, patients(model))


def additional_roles_fte(model) -> float:
    """FTE of network-employed additional roles."""
    return float(model.practices.roles_fte.sum())


def roles_group_fte(model, group: str) -> float:
    """FTE of one group of additional roles in networks with members."""
    networks = model.networks
    return float((networks.view(f"roles_{group}_fte") * (networks.view("members") > 0)).sum())


def access(model) -> float:
    """GP time supplied (in post, locum, pooled cover) over GP time needed, patient-weighted, capped at 1."""
    state = model.practices
    supplied = _gp_fte(model) + state.locum_fte + state.pooled_cover_fte
    needed = required_gp_fte(model.practices, model.national, model.in_force)
    ratio = np.minimum(np.divide(supplied, needed, out=np.ones(state.size), where=needed > 0), 1.0)
    return _fraction((ratio * state.list_size).sum(), state.list_size.sum())


def incentive_spend_gbp(model) -> float:
    """Public money spent this month on network payments, support and reimbursed roles, GBP."""
    return float(model.national.incentive_spend_month)


def networks_of_kind(model, kind: int) -> int:
    """Active organisations of one kind."""
    return int((model.networks.view("active") & (model.networks.view("kind") == kind)).sum())


def coverage_of_kind(model, kind: int) -> float:
    """Share of open practices in an organisation of one kind."""
    member = model.practices.open & (model.practices.membership[kind] >= 0)
    return _fraction(member.sum(), practices(model))


def paid_coverage_of_kind(model, kind: int) -> float:
    """Share of open practices in a paid organisation of one kind."""
    return _fraction(paid_members(model.practices, model.networks, model.in_force, kind, model.month).sum(), practices(model))


NATIONAL = [month, practices, patients, mean_list_size, networks, network_coverage_practices,
            network_coverage_patients, gp_fte_per_1000, gp_turnover_12m, locum_share, continuity,
            practices_in_deficit, closures_12m, displaced_patients_12m, mergers_12m,
            contracts_handed_back_12m, openings_12m, patients_lost_usual_gp_12m, partner_fte_per_1000,
            salaried_gp_fte_per_1000, staff_fte_per_1000,
            additional_roles_fte, access, incentive_spend_gbp,
            # added later: new columns go at the end, so the contract's order holds
            gp_practice_turnover_12m, continuity_survey]


def practices_taken_over_12m(model) -> int:
    """Practices taken over by an integrated provider instead of handing back their contract in
    the last 12 months (not counted in closures_12m or contracts_handed_back_12m)."""
    return round(float(_annualised(model, model.national.events["taken_over"].sum())))


def patients_kept_12m(model) -> float:
    """Patients who kept their practice because a provider took it over, in the last 12 months."""
    return _annualised(model, model.national.events["patients_kept"].sum())


def continuity_kept_at_takeover_12m(model) -> float:
    """Patient-weighted continuity, just after the takeover, of the practices taken over in the
    last 12 months (patients dispersed by a closure start at continuity.moved_patient_continuity;
    empty when none were taken over)."""
    events = model.national.events
    kept = events["patients_kept"].sum()
    return _fraction(events["continuity_kept"].sum(), kept) if kept > 0 else float("nan")


def taken_over_continuity(model) -> float:
    """Patient-weighted continuity now of the open practices a provider has taken over (empty when none)."""
    state = model.practices
    taken = state.open & (state.taken_over_month >= 0)
    patients_there = state.list_size[taken].sum()
    return _fraction((state.continuity * state.list_size)[taken].sum(), patients_there) if patients_there > 0 else float("nan")


def provider_budget_gbp(model) -> float:
    """Integrated providers' population budgets this month, GBP."""
    return float(model.national.ledger["provider_budget"])


def provider_budget_to_practices_gbp(model) -> float:
    """The part of providers' budgets that reached member practices this month, GBP."""
    return float(model.national.ledger["provider_to_practices"])


PROVIDERS = [practices_taken_over_12m, patients_kept_12m, continuity_kept_at_takeover_12m, taken_over_continuity,
             provider_budget_gbp, provider_budget_to_practices_gbp]
"""Columns recorded only in scenarios with an integrated provider kind."""


def patient_coverage_of_kind(model, kind: int) -> float:
    """Share of registered patients whose practice is in an organisation of one kind."""
    member = model.practices.open & (model.practices.membership[kind] >= 0)
    return _fraction(model.practices.list_size[member].sum(), patients(model))


def integrated_of_kind(model, kind: int) -> float:
    """Share of open practices that are integrated sites (contract held) of a provider of one kind."""
    state = model.practices
    return _fraction((state.open & state.integrated & (state.membership[kind] >= 0)).sum(), practices(model))


def _sizes_of_kind(model, kind: int) -> np.ndarray:
    networks = model.networks
    return networks.view("patients")[networks.view("active") & (networks.view("kind") == kind)]


def median_patients_of_kind(model, kind: int) -> float:
    """Median registered patients of the active organisations of one kind (empty when there are none)."""
    sizes = _sizes_of_kind(model, kind)
    return float(np.median(sizes)) if sizes.size else float("nan")


def in_band_of_kind(model, kind: int) -> float:
    """Share of the active organisations of one kind whose patients lie within that kind's paid
    band in force (empty when there are none or the kind has no band)."""
    band = model.in_force.organisation(kind).band
    sizes = _sizes_of_kind(model, kind)
    if band is None or sizes.size == 0:
        return float("nan")
    return _share(((sizes >= band.min_patients) & (sizes <= band.max_patients)).sum(), sizes.size)


def model_reporters(kinds: list[str], only: list[str] | None = None, providers: list[str] = ()) -> dict:
    """Reporter functions by column name, for mesa.DataCollector (all, or the month and those
    named in `only`); `providers` names the kinds that are integrated providers, which add
    their own columns."""
    reporters = {function.__name__: function for function in NATIONAL}
    if providers:
        reporters.update({function.__name__: function for function in PROVIDERS})
        for name in providers:
            index = kinds.index(name)
            reporters[f"patient_coverage_{name}"] = partial(patient_coverage_of_kind, kind=index)
            reporters[f"integrated_{name}"] = partial(integrated_of_kind, kind=index)
    for index, name in enumerate(kinds):
        reporters[f"networks_{name}"] = partial(networks_of_kind, kind=index)
        reporters[f"coverage_{name}"] = partial(coverage_of_kind, kind=index)
        reporters[f"paid_coverage_{name}"] = partial(paid_coverage_of_kind, kind=index)
        reporters[f"median_patients_{name}"] = partial(median_patients_of_kind, kind=index)
        reporters[f"in_band_{name}"] = partial(in_band_of_kind, kind=index)
    for group in ROLE_GROUPS:
        reporters[f"roles_{group}_fte"] = partial(roles_group_fte, group=group)
    if only is None:
        return reporters
    unknown = sorted(set(only) - set(reporters))
    if unknown:
        raise ValueError(f"no national figure called {', '.join(unknown)}")
    return {column: reporter for column, reporter in reporters.items() if column == "month" or column in only}
