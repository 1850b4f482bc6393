"""The levers a scenario offers (incentive, size band, start date, roles, commissioner push, GP
supply, practices) and the scenario overrides they become."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from sim.scenario.schema import (
    AdditionalRoles,
    Band,
    Organisation,
    Payments,
    Population,
    Scenario,
)


def paid_kind(scenario: Scenario) -> str | None:
    """The organisation kind the incentive levers act on: the first with a paid size band, else
    the first of kind 'network', else the first kind; None when the scenario has no kinds."""
    kinds = scenario.organisations
    for name, organisation in kinds.items():
        if organisation.band is not None:
            return name
    for name, organisation in kinds.items():
        if organisation.kind == "network":
            return name
    return next(iter(kinds), None)


def incentive(scenario: Scenario, kind: str) -> float:
    """Network payments of a kind, GBP per patient per year (participation, core and leadership)."""
    pay = scenario.organisations[kind].payments
    return pay.participation_per_weighted_patient + pay.core_per_patient + pay.leadership_per_patient


def supply_field(scenario: Scenario) -> tuple[str, bool]:
    """The workforce field the supply lever sets, and whether it is a national total (which a
    smaller England scales down) rather than a rate per patient."""
    if "new_gps_per_1000_patients" in type(scenario.workforce).model_fields:
        return "new_gps_per_1000_patients", False
    return "new_gps_per_year", True


def lever_defaults(scenario: Scenario) -> dict[str, Any]:
    """Each lever this scenario offers, at the scenario's own value."""
    levers: dict[str, Any] = {"new_gps": getattr(scenario.workforce, supply_field(scenario)[0])}
    from_state = scenario.start_from is not None and scenario.start_from.state is not None
    if scenario.population.source == "synthetic" and not from_state:   # a saved state fixes its England
        levers["practices"] = scenario.population.practices
    kind = paid_kind(scenario)
    if kind is not None:
        organisation = scenario.organisations[kind]
        levers["incentive_per_patient"] = incentive(scenario, kind)
        if organisation.band is not None:
            levers["band_min_patients"] = organisation.band.min_patients
            levers["band_max_patients"] = organisation.band.max_patients
        levers["network_opens"] = organisation.opens or scenario.start
        levers["commissioner_push"] = organisation.commissioner_push
    if scenario.additional_roles.start:
        levers["reimbursement_rate"] = scenario.additional_roles.reimbursement_rate
    return levers


def _differs(value: Any, default: Any, tolerance: float = 1e-9) -> bool:
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        return abs(float(value) - float(default)) > tolerance
    return value != default


def _number(value: float) -> str:
    """A number as an override value: integers without a decimal point."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def changed_levers(scenario: Scenario, levers: dict[str, Any], resolution: dict[str, float] | None = None) -> dict[str, Any]:
    """The levers set away from the scenario's value (by more than half their resolution)."""
    defaults, resolution = lever_defaults(scenario), resolution or {}
    return {name: value for name, value in levers.items() if value is not None and name in defaults
            and _differs(value, defaults[name], max(resolution.get(name, 0.0) / 2, 1e-9))}


def lever_overrides(scenario: Scenario, levers: dict[str, Any],
                    resolution: dict[str, float] | None = None) -> tuple[list[str], list[str]]:
    """The `key.path=value` overrides that put levers into a scenario, and notes on any lever
    that had to be adjusted. A lever missing, None, or at the scenario's value adds nothing;
    with a resolution (a slider's step) it is at the scenario's value when within half a step,
    as the browser shows a slider's value rounded to its step.

    Args:
        scenario: the scenario as loaded (with any command-line overrides).
        levers: lever values by name, as in lever_defaults.

    Returns:
        (overrides, notes)
    """
    defaults = lever_defaults(scenario)
    wanted = {name: value for name, value in levers.items() if value is not None and name in defaults}
    changed = changed_levers(scenario, levers, resolution)
    overrides: list[str] = []
    notes: list[str] = []
    pop = scenario.population
    fraction = 1.0
    if "practices" in changed:
        practices = int(changed["practices"])
        fraction = practices / pop.practices
        areas = max(1, round(pop.commissioner_areas * fraction))
        smaller = [f"population.practices={practices}",
                   f"population.commissioner_areas={areas}",
                   f"population.regions={min(pop.regions, areas)}",
                   f"population.side_km={_number(round(max(pop.side_km * math.sqrt(fraction), 10.5), 3))}"]
        # A run that starts from another scenario's simulated month gets its England from that
        # run: the smaller England is built there (start_from.set), and national totals scaled in both.
        spun_up = scenario.start_from is not None
        overrides += [f"start_from.set.{setting}" for setting in smaller] if spun_up else smaller
        roles = scenario.additional_roles
        if roles.start and "national_recruits_per_year" in type(roles).model_fields:
            recruits = f"additional_roles.national_recruits_per_year={_number(round(roles.national_recruits_per_year * fraction, 3))}"
            overrides += [recruits, f"start_from.set.{recruits}"] if spun_up else [recruits]
    field, national = supply_field(scenario)
    supply = float(wanted.get("new_gps", defaults["new_gps"]))
    if "new_gps" in changed or (national and "practices" in changed):
        overrides.append(f"workforce.{field}={_number(round(supply * (fraction if national else 1.0), 6))}")
        if national and "practices" in changed and scenario.start_from is not None:
            overrides.append(f"start_from.set.workforce.{field}={_number(round(supply * fraction, 6))}")
    kind = paid_kind(scenario)
    if kind is not None:
        prefix = f"organisations.{kind}"
        if "incentive_per_patient" in changed:
            overrides += _split_incentive(scenario, kind, float(changed["incentive_per_patient"]))
        if "band_min_patients" in changed or "band_max_patients" in changed:
            low = float(wanted.get("band_min_patients", defaults["band_min_patients"]))
            high = float(wanted.get("band_max_patients", defaults["band_max_patients"]))
            if high < low:
                notes.append(f"Largest paid network raised to the smallest ({low:,.0f} patients).")
                high = low
            overrides += [f"{prefix}.band.min_patients={_number(low)}", f"{prefix}.band.max_patients={_number(high)}"]
        if "network_opens" in changed:
            overrides.append(f"{prefix}.opens={changed['network_opens']}")
        if "commissioner_push" in changed:
            overrides.append(f"{prefix}.commissioner_push={_number(changed['commissioner_push'])}")
    if "reimbursement_rate" in changed:
        overrides.append(f"additional_roles.reimbursement_rate={_number(changed['reimbursement_rate'])}")
    return overrides, notes


def _split_incentive(scenario: Scenario, kind: str, total: float) -> list[str]:
    """Share a new total of network payments out in the scenario's own proportions."""
    pay = scenario.organisations[kind].payments
    parts = {"participation_per_weighted_patient": pay.participation_per_weighted_patient,
             "core_per_patient": pay.core_per_patient, "leadership_per_patient": pay.leadership_per_patient}
    before = sum(parts.values())
    shares = {name: value / before for name, value in parts.items()} if before > 0 else \
        {"participation_per_weighted_patient": 1.0, "core_per_patient": 0.0, "leadership_per_patient": 0.0}
    return [f"organisations.{kind}.payments.{name}={_number(round(total * share, 6))}" for name, share in shares.items()]



def _schema_help(section: type[BaseModel], name: str) -> str:
    """A schema field's meaning and source, in one line."""
    info = section.model_fields[name]
    source = (info.json_schema_extra or {}).get("source", "")
    return f"{info.description} Source: {source}." if source else str(info.description)


def lever_help(scenario: Scenario) -> dict[str, str]:
    """One line per lever: what the scenario field it sets means, and where its value comes from."""
    workforce = type(scenario.workforce)
    return {"incentive_per_patient": "Network payments per patient a year, shared out as the scenario does: "
                                     + _schema_help(Payments, "participation_per_weighted_patient"),
            "band_min_patients": _schema_help(Band, "min_patients"),
            "band_max_patients": _schema_help(Band, "max_patients"),
            "network_opens": _schema_help(Organisation, "opens"),
            "reimbursement_rate": _schema_help(AdditionalRoles, "reimbursement_rate"),
            "commissioner_push": _schema_help(Organisation, "commissioner_push"),
            "new_gps": _schema_help(workforce, supply_field(scenario)[0]),
            "practices": _schema_help(Population, "practices") + " Fewer make a smaller, faster England."}


@dataclass(frozen=True)
class LeverField:
    """How the page offers a lever: a number typed or stepped, with its unit, or a month."""
    name: str
    label: str
    unit: str
    step: float
    low: float
    high: float
    integer: bool = False
    months: tuple[str, ...] = ()   # the choices of a month lever


def lever_fields(scenario: Scenario, months: tuple[str, ...] = ()) -> list[LeverField]:
    """The levers this scenario offers, in the page's order, with steps a person can use:
    pounds in 0.05, patients in 1,000s, shares in 0.05."""
    defaults, (_, national) = lever_defaults(scenario), supply_field(scenario)
    kind = paid_kind(scenario)
    fields = []
    if "incentive_per_patient" in defaults:
        fields.append(LeverField("incentive_per_patient", f"{kind} payments", "£ per patient a year", 0.05, 0.0, 1000.0))
    if "band_min_patients" in defaults:
        fields.append(LeverField("band_min_patients", "Smallest paid network", "patients", 1000, 0, 1_000_000, integer=True))
        fields.append(LeverField("band_max_patients", "Largest paid network", "patients", 1000, 1000, 1_000_000, integer=True))
    if "network_opens" in defaults:
        fields.append(LeverField("network_opens", f"{kind} networks open", "month", 0, 0, 0, months=months))
    if "reimbursement_rate" in defaults:
        fields.append(LeverField("reimbursement_rate", "Additional roles reimbursed", "share of cost, 0-1", 0.05, 0.0, 1.0))
    if "commissioner_push" in defaults:
        fields.append(LeverField("commissioner_push", "Commissioner support", "0-1", 0.05, 0.0, 1.0))
    if national:
        fields.append(LeverField("new_gps", "New GPs", "a year, England", 100, 0, 100_000, integer=True))
    else:
        fields.append(LeverField("new_gps", "New GPs", "a year per 1,000 patients", 0.001, 0.0, 10.0))
    if "practices" in defaults:
        fields.append(LeverField("practices", "Practices at the start", "practices", 100, 10, defaults["practices"], integer=True))
    return fields


def lever_text(value: Any, field: LeverField | None = None) -> str:
    """A lever's value as the page shows it: pounds to the penny, patients with separators."""
    if isinstance(value, float):
        if field is not None and field.unit.startswith("£"):
            return f"£{value:,.2f}" if round(value, 2) == round(value, 6) else f"£{value:,.3f}"
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def input_text(value: Any) -> str:
    """A lever's value as the text of its input: exact enough that leaving it as shown changes
    nothing (no thousands separators, which a number input refuses)."""
    return f"{value:.10g}" if isinstance(value, float) else str(value)
