"""What the model keeps for the country as a whole: demand and money indices, the month's money
ledger and incentive spend, and practice endings and displaced patients over the last 12 months."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.state import MERGED

EVENT_NAMES = ("mergers", "closures", "openings", "displaced", "lost_usual_gp", "taken_over", "patients_kept",
               "continuity_kept")
LEDGER = ("practice_income", "practice_costs", "network_income", "partner_surplus", "written_off", "provider_budget",
          "provider_to_practices", "provider_shared_staff", "provider_other_services")


@dataclass
class NationalState:
    """National figures the mechanisms update.

    Indices start at 1: consultation_index (GP time needed per patient) grows monthly; the money
    indices (funding, GP pay, staff pay, employer on-costs, other costs) rise by the scenario's
    dated uplifts (money.py). The ledger holds this month's GBP flows; events
    hold counts per calendar month of the last 12 (ring buffers indexed by month % 12).
    """

    consultation_index: float = 1.0
    funding_index: float = 1.0
    gp_pay_index: float = 1.0
    staff_pay_index: float = 1.0
    on_cost_index: float = 1.0
    other_cost_index: float = 1.0
    incentive_spend_month: float = 0.0
    ledger: dict[str, float] = field(default_factory=lambda: dict.fromkeys(LEDGER, 0.0))
    events: dict[str, np.ndarray] = field(default_factory=lambda: {name: np.zeros(12) for name in EVENT_NAMES})

    def begin_month(self, month: int) -> None:
        """Clear this month's ledger and the event counts of the same month a year ago."""
        self.ledger = dict.fromkeys(LEDGER, 0.0)
        for counts in self.events.values():
            counts[month % 12] = 0.0

    def record_ending(self, month: int, status: int) -> None:
        """Count a practice merged (status MERGED) or closed this month."""
        self.events["mergers" if status == MERGED else "closures"][month % 12] += 1

    def record_opening(self, month: int) -> None:
        """Count a new practice opened, or a handed-back list taken over, this month."""
        self.events["openings"][month % 12] += 1

    def record_taken_over(self, month: int, patients: float, continuity: float) -> None:
        """Count a practice taken over by an integrated provider this month, the patients it
        keeps and their continuity (patient-weighted, summed)."""
        self.events["taken_over"][month % 12] += 1
        self.events["patients_kept"][month % 12] += patients
        self.events["continuity_kept"][month % 12] += patients * continuity

    def record_displaced(self, month: int, displaced: float, lost_usual_gp: float) -> None:
        """Count patients moved by a closure this month."""
        self.events["displaced"][month % 12] += displaced
        self.events["lost_usual_gp"][month % 12] += lost_usual_gp
