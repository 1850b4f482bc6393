"""The counter-based random draws and the binomial inversion of sim/model/streams.py.

A draw is SplitMix64 applied to (slot + 1) * golden ratio + key, its top 53 bits scaled to
[0, 1). Powers and other transcendental functions stay in numpy, whose vectorised versions do
not round as the C library's do, so the kernels give numpy's numbers exactly.
"""
from __future__ import annotations

import numpy as np

from sim.model.kernels.jit import jit

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
ONE = np.uint64(1)
SHIFT_1, SHIFT_2, SHIFT_3, TO_53_BITS = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@jit
def unit_draw(slot, key):
    """The uniform draw in [0, 1) of one practice slot under a key (both uint64); 64-bit
    arithmetic wraps around, as SplitMix64 intends."""
    x = (slot + ONE) * GOLDEN + key
    x ^= x >> SHIFT_1
    x *= MIX1
    x ^= x >> SHIFT_2
    x *= MIX2
    x ^= x >> SHIFT_3
    return np.float64(x >> TO_53_BITS) * TO_UNIT


@jit
def uniform_of(key, slots):
    """Uniform draws in [0, 1) for practice slots under a key.

    Args:
        key: the event's and month's key (uint64).
        slots: practice slots (int64, 0 or more).
    """
    draws = np.empty(slots.size)
    for i in range(slots.size):
        draws[i] = unit_draw(np.uint64(slots[i]), key)
    return draws


@jit
def binomial_walk(u, slots, trials, p, p_zero, result):
    """Binomial draws by inverting the CDF, walking k up from 0, written into result[slots].

    Args:
        u: one uniform per element.
        slots, trials, p: where each draw goes, its trials (> 0) and probability (clipped to 0-1).
        p_zero: P(k = 0) = (1 - p) ** trials for each, as numpy computes it.
        result: the draws (left unchanged where the draw is 0).
    """
    for i in range(slots.size):
        n = trials[i]
        if p[i] >= 1.0:
            result[slots[i]] = n
            continue
        probability = p_zero[i]
        if not u[i] >= probability:
            continue  # most draws end here, at k = 0 (and p = 0 or nan always does)
        odds = p[i] / (1.0 - p[i])
        cumulative = probability
        k = 0
        while True:
            probability *= (n - k) / (k + 1) * odds
            cumulative += probability
            k += 1
            if u[i] < cumulative or n <= k:
                break
        result[slots[i]] = k
