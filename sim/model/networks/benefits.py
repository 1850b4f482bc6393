"""What membership brings each month, ramped by each organisation's age (maturity)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model import kernels
from sim.model.in_force import InForce
from sim.state import NetworkState, PracticeState


@dataclass
class Benefits:
    """What each practice gets from its memberships this month (arrays over practice slots)."""

    staff_support: np.ndarray      # proportional cut in GP leaving hazard
    leader_burnout: np.ndarray     # extra partner leaving hazard for founders of young networks
    pooled_cover: np.ndarray       # share of missing GP time covered by the network's rota
    back_office_saving: np.ndarray # GBP per patient per year
    cross_site_cost: np.ndarray    # share of continuity lost to cross-site working
    mature_member: np.ndarray      # bool: in a network past its workforce ramp


def membership_benefits(practices: PracticeState, networks: NetworkState, in_force: InForce, month: int) -> Benefits:
    """Workforce, money and continuity effects of each practice's memberships, with maturity."""
    n = practices.size
    staff, burnout, cover, saving, cross_site = (np.zeros(n) for _ in range(5))
    mature = np.zeros(n, dtype=bool)
    for kind, organisation in enumerate(in_force.organisations()):
        if not (networks.view("active") & (networks.view("kind") == kind)).any():
            continue  # no members, so nothing to add
        kernels.add_benefits(month, practices.membership[kind], practices.open, networks.formed, networks.patients,
                             networks.lead, kernels.benefit_terms(organisation), staff, burnout, cover, saving,
                             cross_site, mature)
    return Benefits(np.minimum(staff, in_force.workforce.max_staff_support), burnout, cover, saving,
                    np.minimum(cross_site, in_force.continuity.max_cross_site_cost), mature)
