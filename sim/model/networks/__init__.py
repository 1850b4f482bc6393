"""Networks: who gets paid, what membership brings, and how practices join, found and merge them.

A practice outside an organisation of some kind weighs joining it each month (a logit utility of
money, peers, commissioner push, pressure, independence and trust). When it acts it joins a
nearby network that is still recruiting, or founds one and recruits its nearest willing
neighbours in its commissioner area until the size its founders aim for. The size band is a
payment rule, not a constraint: networks outside it form, and are paid only by waiver.

    payment.py     the payment rule and the sizes that follow from it
    benefits.py    what membership brings, ramped by maturity
    choice.py      the logit choice of membership
    search.py      the spatial searches for networks and willing neighbours
    membership.py  who is in which network; sizes kept current
    joining.py     the month's joining and leaving
    founding.py    founding networks, and those that exist at the start
    merging.py     unpaid networks merging
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.networks.benefits import Benefits, membership_benefits
from sim.model.networks.founding import form_initial
from sim.model.networks.joining import join_leave_and_form
from sim.model.networks.membership import update_sizes
from sim.model.networks.merging import merge_unpaid_networks
from sim.model.networks.payment import paid_members, paid_networks

if TYPE_CHECKING:
    from sim.model.model import GPModel

__all__ = ["Benefits", "form_initial", "join_leave_and_form", "membership_benefits", "merge_unpaid_networks",
           "paid", "paid_members", "paid_networks", "update_sizes"]


def paid(model: GPModel, kind: int) -> np.ndarray:
    """Bool over network slots: a running model's networks of this kind paid this month (for
    views of a model, such as the dashboard's map)."""
    return paid_networks(model.networks, model.in_force, kind, model.month)
