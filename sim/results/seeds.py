"""How every seed derives from the one the user gives (docs/ODD.md, "Seeds and random streams").

- The root seed of a run is the scenario's `seed`, or --seed when given.
- Replication r of a run draws every random number from (root seed, r): the model keys its
  streams by (seed, replication, event, month, practice), so replications depend neither on
  each other nor on the order they run in.
- Point p of a sweep is a run with root seed `point_seed(sweep seed, p)`, its replications
  (that seed, r) as above; with common random numbers every point takes the sweep seed itself.
- A sweep's design (Latin hypercube, Sobol, Morris samples, bootstrap resamples) is drawn with
  `design_seed(sweep seed)`.
- Under `--uncertainty parameters`, replication r runs with the calibration ensemble's set
  `parameter_set(root seed, r, sets)`: the replications go through a shuffle of the sets (a new
  shuffle for each further pass of len(sets) replications), drawn from (root seed, pass), so
  scenarios compared with one another run replication r on the same set too.
- Scenarios compared with one another all take the same root seed, so replication r of each
  sees the same draws for the same practice, event and month (common random numbers).

Derived seeds are children of the root seed in numpy's SeedSequence, with the point number, or
DESIGN_KEY for the design, as spawn key.
"""
from __future__ import annotations

import numpy as np

DESIGN_KEY = 2**32 - 1  # the spawn key of the design sampler's seed; point numbers stay below it
ENSEMBLE_KEY = 2**32 - 2  # with the pass number, the spawn key of the shuffle of parameter sets
MAX_SEED = 2**63 - 1
STREAMS = ("every random draw is a function of (seed, replication, event, month, practice), so replications do "
           "not depend on each other or on the order they run in")


def replication_streams(root_seed: int, replications: int) -> list[tuple[int, int]]:
    """The (root seed, replication) pair each replication of a run draws from."""
    return [(int(root_seed), replication) for replication in range(int(replications))]


def _child_words(root_seed: int, key: int, count: int) -> np.ndarray:
    return np.random.SeedSequence(int(root_seed), spawn_key=(int(key),)).generate_state(count, np.uint32)


def point_seed(root_seed: int, point: int, common_random_numbers: bool = False) -> int:
    """The root seed of a sweep point's runs (63 bits): the SeedSequence child of the sweep
    seed with the point number as spawn key, or the sweep seed itself under common random
    numbers."""
    if common_random_numbers:
        return int(root_seed)
    high, low = (int(word) for word in _child_words(root_seed, point, 2))
    return ((high << 31) ^ low) & MAX_SEED


def design_seed(root_seed: int) -> int:
    """The seed (32 bits) of a sweep design's sampler and of its sensitivity bootstrap."""
    return int(_child_words(root_seed, DESIGN_KEY, 1)[0])


def parameter_set(root_seed: int, replication: int, sets: int) -> int:
    """The calibration ensemble's set (0-based) that replication r runs with: its place in a
    shuffle of the sets drawn from (root seed, r // sets), so every set is used once in each pass
    of `sets` replications."""
    rounds, place = divmod(int(replication), int(sets))
    shuffle = np.random.SeedSequence(int(root_seed), spawn_key=(ENSEMBLE_KEY, rounds))
    return int(np.random.default_rng(shuffle).permutation(int(sets))[place])
