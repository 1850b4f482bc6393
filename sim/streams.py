"""Common random numbers: one stream per (seed, replication, event, month).

Every random draw a practice gets for an event in a month comes from its own slot, so two
scenarios run with the same seed see the same draws for the same practice and event, and their
differences come from the policy, not from noise.
"""
from __future__ import annotations

import zlib

import numpy as np


def event_key(event: str) -> int:
    """A stable number for an event name (the same in every process and on every machine)."""
    return zlib.crc32(event.encode("utf-8"))


class Streams:
    """Random draws keyed by event and month for one replication.

    Args:
        seed: the scenario's root seed.
        replication: replication number (0-based).
        size: number of practice slots (practices keep their slot after closing).
    """

    def __init__(self, seed: int, replication: int, size: int):
        self.seed, self.replication, self.size = int(seed), int(replication), int(size)

    def generator(self, event: str, month: int = -1) -> np.random.Generator:
        """A generator for one event in one month (month -1 for set-up)."""
        return np.random.default_rng([self.seed, self.replication, event_key(event), month + 1])

    def uniform(self, event: str, month: int) -> np.ndarray:
        """One uniform draw in [0, 1) per practice slot."""
        return self.generator(event, month).random(self.size)

    def normal(self, event: str, month: int) -> np.ndarray:
        """One standard normal draw per practice slot."""
        return self.generator(event, month).standard_normal(self.size)


def binomial(n: np.ndarray, p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Binomial(n, p) draws by inverting the CDF with one uniform per element.

    Unlike numpy's sampler, each element uses exactly its own uniform, so a change in one
    practice's n or p leaves every other practice's draw unchanged.
    """
    n = np.asarray(n, dtype=np.int64)
    p = np.clip(np.broadcast_to(p, n.shape).astype(float), 0.0, 1.0)
    q = 1.0 - p
    result = np.zeros(n.shape, dtype=np.int64)
    certain = p >= 1.0
    result[certain] = n[certain]
    active = ~certain & (n > 0) & (p > 0)
    if not active.any():
        return result
    index = np.flatnonzero(active)
    n_a, p_a, q_a, u_a = n[index], p[index], q[index], u[index]
    probability = q_a ** n_a
    cumulative = probability.copy()
    k = np.zeros(index.size, dtype=np.int64)
    going = u_a >= cumulative
    while going.any():
        idx = np.flatnonzero(going)
        probability[idx] *= (n_a[idx] - k[idx]) / (k[idx] + 1) * p_a[idx] / q_a[idx]
        k[idx] += 1
        cumulative[idx] += probability[idx]
        going[idx] = (u_a[idx] >= cumulative[idx]) & (k[idx] < n_a[idx])
    result[index] = k
    return result
