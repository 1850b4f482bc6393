"""Common random numbers: every draw is a pure function of (seed, replication, event, month,
practice slot).

Two scenarios run with the same seed therefore see the same draw for the same practice, event
and month, and their differences come from the policy, not from noise. Draws come from a
counter-based generator (the SplitMix64 mixing function applied to a hashed key plus the slot
number), which is fast to evaluate for a whole array and needs no generator objects.

The draws and the binomial inversion are numba kernels (sim/model/kernels/draws.py).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from sim.model import kernels


def event_key(event: str) -> int:
    """A stable number for an event name (the same in every process and on every machine)."""
    return zlib.crc32(event.encode("utf-8"))


_MASK = 2**64 - 1


def _mix_int(x: int) -> int:
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _key(*parts: int, key: int = 0x6A09E667F3BCC909) -> int:
    """Mix parts into a key, one after another (pass `key` to go on from an earlier prefix)."""
    for part in parts:
        key = _mix_int((key + (part & _MASK) * 0x9E3779B97F4A7C15) & _MASK)
    return key


def unit_draws(key: int, slots: np.ndarray | None = None, count: int = 0) -> np.ndarray:
    """Uniform draws in [0, 1) under a key for the given practice slots (or slots 0 .. count - 1)."""
    slots = np.arange(count, dtype=np.int64) if slots is None else np.ascontiguousarray(slots, dtype=np.int64)
    return kernels.uniform_of(np.uint64(key), slots)


@dataclass(frozen=True)
class Draws:
    """One event's draws in one month: call it with practice slots to get their uniforms."""

    key: int

    def __call__(self, slots: np.ndarray) -> np.ndarray:
        return unit_draws(self.key, slots)


class Streams:
    """Random draws keyed by event and month for one replication.

    Args:
        seed: the scenario's root seed.
        replication: replication number (0-based).
        size: number of practice slots (practices keep their slot after closing).
    """

    def __init__(self, seed: int, replication: int, size: int):
        self.seed, self.replication, self.size = int(seed), int(replication), int(size)
        self._prefixes: dict[str, int] = {}  # event -> key of (seed, replication, event)

    def key(self, event: str, month: int) -> int:
        """The 64-bit key of an event's draws in a month."""
        prefix = self._prefixes.get(event)
        if prefix is None:
            prefix = self._prefixes[event] = _key(self.seed, self.replication, event_key(event))
        return _key(month + 1, key=prefix)

    def uniform(self, event: str, month: int, size: int | None = None) -> np.ndarray:
        """Uniform draws in [0, 1), one per practice slot (or `size` of them), for one event and month."""
        return unit_draws(self.key(event, month), count=self.size if size is None else size)

    def uniform_of(self, event: str, month: int, slots: np.ndarray) -> np.ndarray:
        """The same draws as `uniform`, for the given practice slots only."""
        return unit_draws(self.key(event, month), slots)

    def drawer(self, event: str, month: int) -> Draws:
        """This event's and month's draws, for whichever practice slots they are asked for."""
        return Draws(self.key(event, month))

    def normal(self, event: str, month: int) -> np.ndarray:
        """Standard normal draws, one per practice slot."""
        return ndtri(np.clip(self.uniform(event, month), 1e-16, 1 - 1e-16))

    def generator(self, event: str, month: int = -1) -> np.random.Generator:
        """A numpy generator for one event and month (month -1 for set-up), for draws that are
        not one per practice."""
        return np.random.default_rng([self.seed, self.replication, event_key(event), month + 1])


def binomial(n: np.ndarray, p: np.ndarray, u) -> np.ndarray:
    """Binomial(n, p) draws by inverting the CDF with one uniform per element.

    Unlike numpy's sampler, each element uses exactly its own uniform, so a change in one
    practice's n or p leaves every other practice's draw unchanged.

    Args:
        n, p: trials and probability (one p, or one per element); 1-d.
        u: one uniform per element, or a function giving the uniforms of the elements it is
            passed (so that draws are made only where n > 0), such as a Streams.drawer.
    """
    n = np.asarray(n, dtype=np.int64)
    result = np.zeros(n.shape, dtype=np.int64)
    index = np.flatnonzero(n > 0)  # often few (vacancies, recruits), and n = 0 always draws 0
    if index.size == 0:
        return result
    trials = n[index]
    # P(k = 0) in numpy, whose powers round differently from the C library's.
    if np.ndim(p):
        p = np.clip(p[index], 0.0, 1.0)
        p_zero = (1.0 - p) ** trials
    else:  # one p for all: the powers are looked up (the same values, computed once per n)
        p = np.clip(p, 0.0, 1.0)
        p_zero = ((1.0 - p) ** np.arange(trials.max() + 1))[trials]
        p = np.full(trials.size, p)
    uniforms = u(index) if callable(u) else np.asarray(u, dtype=np.float64)[index]
    kernels.binomial_walk(uniforms, index, trials, p, p_zero, result)
    return result
