"""The compiled loops (sim/_draws.pyx, _search.pyx, _networks.pyx) give exactly what the Python and
numpy code they stand for gives."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.model import compiled, streams
from sim.model.model import GPModel
from sim.model.streams import Draws, Streams, binomial

from .conftest import small, small_model_in_month

COMPILED = ("draws", "search", "networks")
MISSING = [name for name in COMPILED if getattr(compiled, name) is None]
# Without the compiled loops there is nothing to compare: one test fails, saying so, the rest skip.
needs_compiled = pytest.mark.skipif(bool(MISSING), reason=f"compiled loops not built: {MISSING}")


@pytest.fixture
def numpy_only(monkeypatch):
    """Run the numpy code: the straightforward path the compiled loops replace."""
    def use_numpy():
        for name in COMPILED:
            monkeypatch.setattr(compiled, name, None)
    return use_numpy


def test_the_compiled_loops_are_built():
    assert not MISSING, f"compiled loops not built ({MISSING}): reinstall with `pip install -e .` (needs a C compiler)"


@needs_compiled
def test_uniform_draws_are_identical(numpy_only):
    stream = Streams(seed=20240601, replication=3, size=5000)
    slots = np.array([0, 4999, 17, 17, 2500, 1], dtype=np.int64)
    keys = [stream.key(event, month) for event in ("closure", "choose:pcn", "x") for month in (-1, 0, 119)]
    compiled = [(streams.unit_draws(key, count=5000), streams.unit_draws(key, slots)) for key in keys]
    numpy_only()
    for key, (everyone, some) in zip(keys, compiled):
        assert streams.unit_draws(key, count=5000).tobytes() == everyone.tobytes()
        assert streams.unit_draws(key, slots).tobytes() == some.tobytes()
    assert 0.0 <= compiled[0][0].min() and compiled[0][0].max() < 1.0
    assert abs(compiled[0][0].mean() - 0.5) < 0.02  # they are uniform, not all alike


@needs_compiled
@pytest.mark.parametrize("case", range(40))
def test_binomial_draws_are_identical(case, numpy_only):
    rng = np.random.default_rng(case)
    size = int(rng.integers(0, 3000))
    n = rng.integers(0, int(rng.choice([2, 6, 40])), size) * (rng.random(size) < 0.8)
    p = rng.random(size) ** rng.choice([1, 3, 8])
    if size and case % 4 == 0:  # edges: certain, impossible, out of range, missing
        edges = rng.integers(0, size, 40)
        p[edges] = rng.choice([0.0, 1.0, 1.7, -0.2, np.nan], 40)
    one_p = float(rng.choice([0.0, 1e-6, 0.003, 0.5, 0.97, 1.0, 1.2]))
    draws = Draws(int(rng.integers(0, 2**63)))
    compiled = binomial(n, p, draws), binomial(n, one_p, draws)
    numpy_only()
    assert binomial(n, p, draws).tolist() == compiled[0].tolist()
    assert binomial(n, one_p, draws).tolist() == compiled[1].tolist()


def test_binomial_draws_follow_the_binomial_distribution():
    n = np.full(200_000, 12)
    draws = binomial(n, 0.3, Draws(987654321))
    assert draws.mean() == pytest.approx(12 * 0.3, abs=0.02)
    assert draws.var() == pytest.approx(12 * 0.3 * 0.7, rel=0.03)
    assert draws.min() == 0 and draws.max() <= 12


@needs_compiled
def test_a_run_is_identical_with_the_compiled_draws_and_without(numpy_only):
    def run() -> pd.DataFrame:
        model = GPModel(small(population={"practices": 400}))
        return model.run().timeseries()
    compiled = run()
    numpy_only()
    pd.testing.assert_frame_equal(run(), compiled, check_exact=True)


@pytest.fixture(scope="module")
def model():
    return small_model_in_month(30)


def _both_ways(monkeypatch, ask, name="search"):
    """What `ask()` gives with a compiled module, then with the Python code it stands for."""
    with_compiled = ask()
    monkeypatch.setattr(compiled, name, None)
    return with_compiled, ask()


@needs_compiled
def test_merger_partners_are_identical(model, monkeypatch):
    from sim.model import closure
    state = model.practices
    saved = state.distress_months.copy()
    state.distress_months[::7] = 3  # some neighbours are distressed, so the search skips them
    try:
        fast, loop = _both_ways(monkeypatch, lambda: [closure._merger_partner(model.practices, model.geography, model.in_force, p) for p in np.flatnonzero(state.open)])
    finally:
        state.distress_months[:] = saved
    assert fast == loop
    assert sum(p is None for p in fast) < len(fast) // 2  # most practices find a partner


@needs_compiled
def test_nearest_networks_are_identical(model, monkeypatch):
    from sim.model import networks
    state = model.practices
    nearby = networks.search.AreaNetworks(model.networks, model.geography, model.in_force, model.kinds.index("pcn"))
    asked = [(int(p), room, reach, excluding) for p in np.flatnonzero(state.open)[::3]
             for room, reach, excluding in ((state.list_size[p], 1.0, -1), (None, 2.0, -1), (None, 1.0, 0), (1e9, 1.0, -1))]
    fast, loop = _both_ways(monkeypatch, lambda: [nearby.nearest(p, room, reach, excluding) for p, room, reach, excluding in asked])
    assert fast == loop
    assert sum(slot >= 0 for slot in fast) > len(fast) // 3


@needs_compiled
def test_willing_neighbours_are_identical(model, monkeypatch):
    from sim.model import networks
    state = model.practices
    kind = model.kinds.index("pcn")
    accept = np.random.default_rng(5).random(state.size) < 0.6
    targets = (15_000.0, 40_000.0, 120_000.0)
    def ask():
        return [networks.search.willing_neighbours(model.practices, model.geography, model.in_force, kind, int(p), accept, t).tolist() for p in range(state.size) for t in targets]
    fast, loop = _both_ways(monkeypatch, ask)
    assert fast == loop
    assert sum(len(found) for found in fast) > state.size  # founders do find willing neighbours


@needs_compiled
def test_benefits_of_membership_are_identical(model, monkeypatch):
    from sim.model import networks
    fast, loop = _both_ways(monkeypatch, lambda: networks.membership_benefits(model.practices, model.networks, model.in_force, model.month), "networks")
    for field in ("staff_support", "leader_burnout", "pooled_cover", "back_office_saving", "cross_site_cost", "mature_member"):
        assert getattr(fast, field).tobytes() == getattr(loop, field).tobytes(), field
    assert 0 < fast.mature_member.sum() < model.practices.open.sum()  # some networks are still young
    assert fast.leader_burnout.max() > 0


@needs_compiled
def test_network_sizes_are_identical(model, monkeypatch):
    from sim.model import networks
    net = model.networks

    def sizes():
        networks.update_sizes(model.practices, model.networks, model.month)
        return [net.view(name).copy() for name in ("patients", "members", "rural_share", "active")]
    fast, loop = _both_ways(monkeypatch, sizes, "networks")
    for a, b in zip(fast, loop):
        assert a.tobytes() == b.tobytes()
    assert 0 < fast[2].mean() < 1


@needs_compiled
def test_nearest_sites_are_the_spatial_index_answer():
    from scipy.spatial import cKDTree
    rng = np.random.default_rng(11)
    for trial in range(60):
        sites = rng.uniform(0, 300, (int(rng.integers(1, 500)), 2))
        points = rng.uniform(-20, 320, (int(rng.integers(1, 40)), 2))
        k = min(8, len(sites))
        km, index, tied = compiled.search.nearest_sites(sites[:, 0].copy(), sites[:, 1].copy(), points[:, 0].copy(),
                                                        points[:, 1].copy(), k)
        tree_km, tree_index = cKDTree(sites).query(points, k=k)
        assert not tied
        assert km.tobytes() == tree_km.reshape(len(points), -1).tobytes()
        assert index.tolist() == tree_index.reshape(len(points), -1).tolist()


@needs_compiled
def test_sites_at_equal_distance_are_left_to_the_spatial_index(model, monkeypatch):
    from sim.model import networks
    net = model.networks
    slots = np.flatnonzero(net.view("active"))[:20]
    asking = np.flatnonzero(model.practices.open)[:50]
    saved = net.x_km.copy(), net.y_km.copy()
    try:
        net.x_km[slots[1]], net.y_km[slots[1]] = net.x_km[slots[0]], net.y_km[slots[0]]  # two networks on one site
        _, _, tied = compiled.search.nearest_sites(net.x_km[slots], net.y_km[slots], model.practices.x_km[asking],
                                                   model.practices.y_km[asking], 8)
        assert tied
        fast, tree = _both_ways(monkeypatch, lambda: networks.search.nearest_sites(model.practices, model.networks, slots, asking, model.in_force.behaviour.nearest_networks))
    finally:
        net.x_km[:], net.y_km[:] = saved
    assert fast[0].tobytes() == tree[0].tobytes() and fast[1].tolist() == tree[1].tolist()
