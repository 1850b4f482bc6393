"""The parameters in force in a month: the scenario with its dated changes up to that month.

A run keeps two things apart: the scenario as given (its start, length, population and list of
dated changes, fixed for the run) and the parameters in force, which the dated changes replace
from their month on. Mechanisms read only the latter.
"""
from __future__ import annotations

from sim.scenario.schema import (
    AdditionalRoles,
    Behaviour,
    Closure,
    Continuity,
    Demand,
    Entry,
    Money,
    Organisation,
    Scenario,
    Workforce,
    month_number,
)

SECTIONS = ("demand", "workforce", "money", "behaviour", "additional_roles", "continuity", "closure", "entry")


class InForce:
    """The scenario's parameters in force in one month, organisations in kind order.

    Its sections (demand, workforce, money, behaviour, additional_roles, continuity, closure,
    entry)
    are the scenario's, read as attributes.

    Args:
        scenario: the scenario with the dated changes up to this month applied.
        kinds: organisation kind names in the run's fixed order (the rows of membership).
        start_month: month_number of the run's first month, for dates in the scenario.
    """

    demand: Demand
    workforce: Workforce
    money: Money
    behaviour: Behaviour
    additional_roles: AdditionalRoles
    continuity: Continuity
    closure: Closure
    entry: Entry

    def __init__(self, scenario: Scenario, kinds: tuple[str, ...], start_month: int, month: int = 0):
        self.scenario, self.kinds, self.start_month = scenario, kinds, start_month
        for section in SECTIONS:
            setattr(self, section, getattr(scenario, section))
        self.set_month(month)

    def set_month(self, month: int) -> None:
        """Bring what changes with the calendar up to a month (offset from the run's start): the
        working time of partners and salaried GPs (`partner_fte_per_head`, `salaried_fte_per_head`)
        and relative to before its change (`partner_working_time_factor`,
        `salaried_working_time_factor`), GPs' leaving hazard outside workload relative to before
        its change (`leaving_factor`) and the supply of new GPs relative to the calibrated one
        (`new_gp_supply_index`)."""
        calendar_month = self.start_month + month
        self.partner_fte_per_head, self.salaried_fte_per_head = self.workforce.fte_per_head(calendar_month)
        self.partner_working_time_factor = self.workforce.working_time_factor(calendar_month, partners=True)
        self.salaried_working_time_factor = self.workforce.working_time_factor(calendar_month)
        self.leaving_factor = self.workforce.leaving_factor(calendar_month)
        self.new_gp_supply_index = self.workforce.new_gp_supply_index(calendar_month)

    def organisation(self, kind: int) -> Organisation:
        """One organisation kind, by its index in kinds."""
        return self.scenario.organisations[self.kinds[kind]]

    def organisations(self) -> list[Organisation]:
        """Every organisation kind, in kind order."""
        return [self.scenario.organisations[name] for name in self.kinds]

    def month_of(self, when: str) -> int:
        """Month offset from the start of the run of a YYYY-MM date."""
        return month_number(when) - self.start_month

    def is_open(self, organisation: Organisation, month: int) -> bool:
        """Whether practices may form and join this kind of organisation in a month."""
        return organisation.opens is None or month >= self.month_of(organisation.opens)

    def roles_active(self, month: int) -> bool:
        """Whether the additional roles scheme has started by a month."""
        start = self.additional_roles.start
        return bool(start) and month >= self.month_of(start)

    def reimbursement_rate(self, month: int) -> float:
        """Share of additional-role costs reimbursed in a month."""
        return self.additional_roles.reimbursement_rate if self.roles_active(month) else 0.0
