"""Two monthly passes over every practice of sim/model/networks.py: each network's patients and
members, and what one kind of membership brings."""
from __future__ import annotations

import numpy as np

from sim.model.kernels.jit import jit

# The organisation's figures add_benefits reads, in the order it reads them.
BENEFIT_TERMS = ("workforce_ramp_months", "sustainability_ramp_months", "large_size_patients", "staff_support",
                 "large_staff_support", "pooled_cover", "back_office_saving_per_patient", "cross_site_continuity_cost",
                 "leader_burnout")


def benefit_terms(organisation) -> np.ndarray:
    """An organisation kind's figures for add_benefits, as floats in BENEFIT_TERMS order."""
    return np.array([getattr(organisation, name) for name in BENEFIT_TERMS], dtype=np.float64)


@jit
def count_members(membership, is_open, list_size, rural, patients, members, rural_patients):
    """Add each network's patients, members and rural patients over open member practices, in kind
    then slot order (the order np.bincount sums in), to the outputs (which start at zero).

    Args:
        membership: (kinds, practices) network slot or -1.
        is_open, list_size, rural: by practice slot.
        patients, members, rural_patients: by network slot.
    """
    kinds, practices = membership.shape
    for kind in range(kinds):
        for i in range(practices):
            network = membership[kind, i]
            if network >= 0 and is_open[i]:
                patients[network] += list_size[i]
                members[network] += 1
                rural_patients[network] += list_size[i] * rural[i]


@jit
def add_benefits(month, slot, is_open, formed, patients, lead, terms, staff, burnout, cover, saving, cross_site,
                 mature):
    """Add one organisation kind's effects to each practice's benefits, in place. A member's ramps
    rise from 0 to 1 over the months since its network formed.

    Args:
        month: the model month.
        slot: each practice's network slot of this kind, or -1.
        is_open: by practice slot.
        formed, patients, lead: by network slot (month formed, patients, lead practice).
        terms: the kind's figures, from benefit_terms().
        staff, burnout, cover, saving, cross_site, mature: by practice slot, updated.
    """
    workforce_months, money_months, large_size, support, large_support = terms[0], terms[1], terms[2], terms[3], terms[4]
    pooled, back_office, cross_site_cost, leader = terms[5], terms[6], terms[7], terms[8]
    for i in range(slot.size):
        member = slot[i] >= 0 and is_open[i]
        network = max(slot[i], 0)
        age = month - formed[network] if member else 0
        workforce_ramp = min(max(age / workforce_months, 0.0), 1.0) * member
        money_ramp = min(max(age / money_months, 0.0), 1.0) * member
        value = (support + (patients[network] > large_size) * large_support) * workforce_ramp
        staff[i] = max(staff[i], value)
        cover[i] = max(cover[i], pooled * workforce_ramp)
        saving[i] += back_office * money_ramp
        cross_site[i] += cross_site_cost * workforce_ramp
        mature[i] |= workforce_ramp >= 1.0
        burnout[i] += leader * (1.0 - money_ramp) * (member and lead[network] == i)
