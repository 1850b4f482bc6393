"""The searches made once per practice acting in a month (sim/model/closure.py and
sim/model/networks.py): a merger partner among the nearest practices, the nearest network with
room in an area, a founder's nearest willing neighbours, and the network sites nearest the
practices joining."""
from __future__ import annotations

import math

import numpy as np

from sim.model.kernels.jit import jit

SEARCH_ALL = -2  # no open practice among the nearest within reach: search every practice


@jit
def merger_partner(practice, nearest, nearest_km, within_km, is_open, distress_months, membership, practices):
    """The nearest open, undistressed practice within reach, preferring one that shares an
    organisation with the practice; -1 if none, SEARCH_ALL if none of those searched is open
    within reach and there are practices beyond them.

    Args:
        practice: the practice seeking a partner.
        nearest, nearest_km: the practices to search, nearest first, and their km.
        within_km: the reach of a merger.
        is_open, distress_months: by practice slot.
        membership: (kinds, practices) network slot or -1.
        practices: the number of practice slots.
    """
    first = -1
    kept = False
    for i in range(nearest.size):
        other = nearest[i]
        if not is_open[other] or not nearest_km[i] <= within_km:
            continue
        kept = True
        if distress_months[other] != 0:
            continue
        if first < 0:
            first = other
        for kind in range(membership.shape[0]):
            if membership[kind, practice] != -1 and membership[kind, other] == membership[kind, practice]:
                return other
    if not kept and nearest.size < practices - 1:
        return SEARCH_ALL
    return first


@jit
def nearest_network(candidates, excluding, active, members, patients, target, lead, km, position, reach, need_room,
                    room_for, capacity_multiple):
    """The nearest of the candidate networks within reach (the first of equals), skipping
    `excluding`, inactive and empty networks and, when need_room, those without room for
    room_for more patients; -1 if none.

    Args:
        candidates: network slots of the practice's area, oldest first.
        active, members, patients, target, lead: by network slot.
        km: from the practice to each practice of its area, in area order.
        position: each practice's place in its area's order.
        reach: km.
        capacity_multiple: a network takes members up to this multiple of its founders' target
            (payment.capacity's rule).
    """
    best, best_km = -1, math.inf
    for slot in candidates:
        if slot == excluding or not active[slot] or members[slot] <= 0:
            continue
        if need_room:
            if capacity_multiple * target[slot] - patients[slot] < room_for:
                continue
        distance = km[position[lead[slot]]]
        if distance <= reach and distance < best_km:
            best, best_km = slot, distance
    return best


@jit
def willing_neighbours(area_practices, nearest_first, km, reach, is_open, membership, accept, list_size, needed):
    """A founder's nearest willing outsiders within reach, nearest first, until their lists reach
    `needed` patients: (practices, their lists' running total, the total before the last one).

    Args:
        area_practices: the area's practice slots, in area order.
        nearest_first: the founder's area neighbours nearest first (places in area order).
        km: from the founder to each practice of its area, in area order.
        is_open, membership, accept, list_size: by practice slot (membership of this kind).
    """
    taken = np.empty(nearest_first.size, dtype=np.int64)
    count = 0
    running, before = 0.0, 0.0
    for place in nearest_first:
        if km[place] > reach:
            break
        other = area_practices[place]
        if is_open[other] and membership[other] < 0 and accept[other]:
            taken[count] = other
            count += 1
            before, running = running, running + list_size[other]
            if running >= needed:
                break
    return taken[:count], running, before


@jit
def nearest_sites(site_x, site_y, x, y, k):
    """The k nearest sites to each point, nearest first, as cKDTree(sites).query(points, k) gives
    them: (km, site indices, tied). Sites are ranked by squared distance, as the tree ranks them,
    and the km are the square roots. tied is True when two sites are at exactly the same squared
    distance from a point among its nearest, where the tree's order is its own.

    Args:
        site_x, site_y: the sites (km).
        x, y: the points (km).
        k: sites wanted per point (1 to the number of sites).
    """
    km = np.empty((x.size, k))
    index = np.empty((x.size, k), dtype=np.int64)
    tied = False
    for p in range(x.size):
        kept = 0  # sites kept so far, in km[p, :kept] (squared) and index[p, :kept], nearest first
        for s in range(site_x.size):
            dx = site_x[s] - x[p]
            dy = site_y[s] - y[p]
            squared = dx * dx + dy * dy
            if kept == k and squared >= km[p, k - 1]:
                tied |= squared == km[p, k - 1]
                continue
            if kept < k:
                kept += 1
            place = kept - 1
            while place > 0 and km[p, place - 1] > squared:
                km[p, place] = km[p, place - 1]
                index[p, place] = index[p, place - 1]
                place -= 1
            tied |= place > 0 and km[p, place - 1] == squared
            km[p, place] = squared
            index[p, place] = s
        for j in range(k):
            km[p, j] = math.sqrt(km[p, j])
    return km, index, tied
