# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Compiled loops for the searches that run once per practice acting in a month: a merger
partner among the nearest practices, the nearest network with room in an area, a founder's
nearest willing neighbours, and the network sites nearest the practices joining.

Each gives exactly what the Python loop it stands for gives (sim/closure.py and
sim/networks.py keep those loops, used where this module is not built; the tests compare them).
"""
from libc.math cimport INFINITY, sqrt
from libc.stdint cimport int32_t, int64_t

import numpy as np

SEARCH_ALL = -2  # no open practice among the nearest within reach: search every practice


def merger_partner(Py_ssize_t practice, const int64_t[::1] nearest, const double[::1] nearest_km, double within_km,
                   const unsigned char[::1] is_open, const int32_t[::1] distress_months,
                   const int32_t[:, ::1] membership, Py_ssize_t practices):
    """The nearest open, undistressed practice within reach among a practice's nearest, preferring
    one that shares an organisation with it; -1 if none, SEARCH_ALL if none of the nearest is
    open within reach and there are practices beyond them."""
    cdef Py_ssize_t i, kind, other, first = -1
    cdef Py_ssize_t kinds = membership.shape[0]
    cdef bint kept = False
    for i in range(nearest.shape[0]):
        other = nearest[i]
        if not is_open[other] or not nearest_km[i] <= within_km:
            continue
        kept = True
        if distress_months[other] != 0:
            continue
        if first < 0:
            first = other
        for kind in range(kinds):
            if membership[kind, practice] != -1 and membership[kind, other] == membership[kind, practice]:
                return other
    if not kept and nearest.shape[0] < practices - 1:
        return SEARCH_ALL
    return first


def nearest_network(list slots, Py_ssize_t excluding, const unsigned char[::1] active, const int32_t[::1] members,
                    const double[::1] patients, const double[::1] target, const int32_t[::1] lead,
                    const double[::1] km, const int64_t[::1] position, double reach, bint need_room,
                    double room_for, bint has_floor, double capacity_floor):
    """The nearest of these network slots within reach (the first of equals), skipping
    `excluding`, inactive and empty networks and, when need_room, those without room for
    room_for more patients; -1 if none. km: distances from the practice to its area's practices,
    indexed by their position in the area."""
    cdef Py_ssize_t slot, best = -1
    cdef double best_km = INFINITY, distance, room
    for item in slots:
        slot = <Py_ssize_t>item
        if slot == excluding or not active[slot] or members[slot] <= 0:
            continue
        if need_room:
            if has_floor:  # Python's max(target, floor)
                room = capacity_floor if capacity_floor > target[slot] else target[slot]
            else:
                room = 2.0 * target[slot]
            if room - patients[slot] < room_for:
                continue
        distance = km[position[lead[slot]]]
        if distance <= reach and distance < best_km:
            best, best_km = slot, distance
    return best


def willing_neighbours(const int64_t[::1] area_practices, const int32_t[::1] nearest_first, const double[::1] km,
                       double reach, const unsigned char[::1] is_open, const int32_t[::1] membership,
                       const unsigned char[::1] accept, const double[::1] list_size, double needed):
    """A founder's nearest willing outsiders within reach, nearest first, until their lists reach
    `needed`: (practices, their lists' running total, the total before the last one)."""
    cdef Py_ssize_t i, other, position
    cdef double running = 0.0, before = 0.0
    taken = []
    for i in range(nearest_first.shape[0]):
        position = nearest_first[i]
        if km[position] > reach:
            break
        other = area_practices[position]
        if is_open[other] and membership[other] < 0 and accept[other]:
            taken.append(other)
            before, running = running, running + list_size[other]
            if running >= needed:
                break
    return taken, running, before


def nearest_sites(const double[::1] site_x, const double[::1] site_y, const double[::1] x, const double[::1] y,
                  Py_ssize_t k):
    """The k nearest sites to each point, nearest first, as cKDTree(sites).query(points, k) gives
    them: (km, site indices, tied). Sites are ranked by squared distance, as the tree ranks them,
    and the km are the square roots. tied is True when two sites are at exactly the same squared
    distance from a point among its nearest, where the tree's order is its own: ask the tree."""
    cdef Py_ssize_t points = x.shape[0], sites = site_x.shape[0], p, s, j, position
    out_km = np.empty((points, k), dtype=np.float64)
    out_index = np.empty((points, k), dtype=np.int64)
    cdef double[:, ::1] km = out_km
    cdef int64_t[:, ::1] index = out_index
    cdef double dx, dy, squared
    cdef bint tied = False
    for p in range(points):
        j = 0  # sites kept so far, in km[p, :j] (squared) and index[p, :j], nearest first
        for s in range(sites):
            dx = site_x[s] - x[p]
            dy = site_y[s] - y[p]
            squared = dx * dx + dy * dy
            if j == k and squared >= km[p, k - 1]:
                if squared == km[p, k - 1]:
                    tied = True
                continue
            if j < k:
                j += 1
            position = j - 1
            while position > 0 and km[p, position - 1] > squared:
                km[p, position] = km[p, position - 1]
                index[p, position] = index[p, position - 1]
                position -= 1
            if position > 0 and km[p, position - 1] == squared:
                tied = True
            km[p, position] = squared
            index[p, position] = s
        for j in range(k):
            km[p, j] = sqrt(km[p, j])
    return out_km, out_index, tied
