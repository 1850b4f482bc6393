# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled loops for the random draws of sim/streams.py.

Each function gives, bit for bit, what the numpy code in streams.py gives (the tests compare
them): the same 64-bit integer mixing, and the same floating-point operations in the same order
(built with -ffp-contract=off, so no multiply-add is fused). Powers stay in numpy, whose pow is
not the C library's.
"""
from libc.stdint cimport int64_t, uint64_t

import numpy as np

cdef uint64_t GOLDEN = 0x9E3779B97F4A7C15ULL
cdef uint64_t MIX1 = 0xBF58476D1CE4E5B9ULL
cdef uint64_t MIX2 = 0x94D049BB133111EBULL
cdef double TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


cdef inline double _unit(uint64_t slot, uint64_t key) noexcept nogil:
    """The uniform draw in [0, 1) of a practice slot under a key (SplitMix64 of its counter)."""
    cdef uint64_t x = (slot + 1) * GOLDEN + key
    x ^= x >> 30
    x *= MIX1
    x ^= x >> 27
    x *= MIX2
    x ^= x >> 31
    return <double>(x >> 11) * TO_UNIT


def uniform_range(uint64_t key, Py_ssize_t count):
    """Draws for practice slots 0 .. count - 1."""
    out = np.empty(count, dtype=np.float64)
    cdef double[::1] draws = out
    cdef Py_ssize_t i
    for i in range(count):
        draws[i] = _unit(<uint64_t>i, key)
    return out


def uniform_of(uint64_t key, const int64_t[::1] slots):
    """Draws for the given practice slots."""
    cdef Py_ssize_t i, count = slots.shape[0]
    out = np.empty(count, dtype=np.float64)
    cdef double[::1] draws = out
    for i in range(count):
        draws[i] = _unit(<uint64_t>slots[i], key)
    return out


def binomial_walk(uint64_t key, const int64_t[::1] slots, const int64_t[::1] trials, const double[::1] p,
                  const double[::1] p_zero, int64_t[::1] result):
    """Binomial draws by inversion for practices with trials > 0, written into result[slots].

    Args:
        key: the event's and month's key; each slot's uniform is drawn here.
        slots, trials, p: practice slots, their trials (> 0) and probabilities (clipped to 0-1).
        p_zero: P(k = 0) = (1 - p) ** trials for each, as numpy computes it.
        result: the draws by slot (left unchanged where the draw is 0).
    """
    cdef Py_ssize_t i, count = slots.shape[0]
    cdef double u, probability, cumulative, odds
    cdef int64_t k, n
    for i in range(count):
        n = trials[i]
        if p[i] >= 1.0:
            result[slots[i]] = n
            continue
        u = _unit(<uint64_t>slots[i], key)
        probability = p_zero[i]
        if not (u >= probability):
            continue  # most draws end here, at k = 0 (and p = 0 gives P = 1 > u)
        odds = p[i] / (1.0 - p[i])
        cumulative = probability
        k = 0
        while True:
            probability *= <double>(n - k) / <double>(k + 1) * odds
            cumulative += probability
            k += 1
            if u < cumulative or n <= k:
                break
        result[slots[i]] = k
