"""The numba kernels (sim/model/kernels) give exactly what their own plain-Python forms give, on
the inputs a run hands them and on edge cases, and they do what the mechanisms need."""
from __future__ import annotations

import copy

import numba
import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

from sim.model import closure, kernels, networks
from sim.model.model import GPModel
from sim.model.streams import _mix_int, binomial

from .conftest import small, small_model_in_month

KERNELS = [name for name in kernels.__all__ if name not in ("jit", "benefit_terms", "BENEFIT_TERMS", "SEARCH_ALL")]
MASK = 2**64 - 1


def both(kernel, *args):
    """(returned, arguments after the call) from the compiled kernel and from its plain form, each
    given its own copy of the arguments (some kernels write into them)."""
    outcomes = []
    for form in (kernel, kernel.py_func):
        given = copy.deepcopy(args)
        with np.errstate(over="ignore"):  # numpy's scalars warn where 64-bit arithmetic wraps, as it should
            outcomes.append((form(*given), given))
    return outcomes


def assert_identical(a, b):
    """The same values, bit for bit, in the same structure."""
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_identical(x, y)
    else:
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.tobytes() == b.tobytes(), (a, b)


def test_every_kernel_is_compiled_by_numba():
    for name in KERNELS:
        assert isinstance(getattr(kernels, name), numba.core.registry.CPUDispatcher), name


@pytest.fixture
def plain_kernels(monkeypatch):
    """Run the mechanisms with every kernel in its plain-Python form."""
    def use_plain():
        for name in KERNELS:
            monkeypatch.setattr(kernels, name, getattr(kernels, name).py_func)
    return use_plain


# -- draws --------------------------------------------------------------------------------------

def splitmix_unit(slot: int, key: int) -> float:
    """The draw of a slot under a key, from Python integers: SplitMix64 of the counter, top 53 bits."""
    return (_mix_int(((slot + 1) * 0x9E3779B97F4A7C15 + key) & MASK) >> 11) / 2**53


@pytest.mark.parametrize("key", [0, 1, 2**63 - 1, 2**63, MASK, 0x6A09E667F3BCC909])
def test_uniform_draws_are_splitmix64_of_the_slot(key):
    slots = np.array([0, 1, 17, 17, 4999, 2**40], dtype=np.int64)
    (compiled, _), (plain, _) = both(kernels.uniform_of, np.uint64(key), slots)
    assert_identical(compiled, plain)
    assert compiled.tolist() == [splitmix_unit(int(s), key) for s in slots]
    for slot in (0, 4999):
        (one, _), (one_plain, _) = both(kernels.unit_draw, np.uint64(slot), np.uint64(key))
        assert one == one_plain == splitmix_unit(slot, key)


def test_uniform_draws_of_no_slots_are_empty_and_of_many_are_uniform():
    assert kernels.uniform_of(np.uint64(5), np.zeros(0, dtype=np.int64)).shape == (0,)
    draws = kernels.uniform_of(np.uint64(123), np.arange(100_000))
    assert 0.0 <= draws.min() and draws.max() < 1.0
    assert abs(draws.mean() - 0.5) < 0.005 and abs(draws.var() - 1 / 12) < 0.002
    assert np.histogram(draws, 10, (0, 1))[0].min() > 9_500


def binomial_inputs(rng, size: int, edges: bool):
    """What binomial() hands the walk: trials > 0, p clipped to 0-1 (nan kept), P(k = 0) from numpy."""
    trials = rng.integers(1, int(rng.choice([2, 6, 40, 400])), size)
    p = rng.random(size) ** rng.choice([1, 3, 8])
    if edges and size:
        p[rng.integers(0, size, max(size // 10, 1))] = rng.choice([0.0, 1.0, 1.7, -0.2, np.nan, 1e-300, 1 - 1e-12])
    p = np.clip(p, 0.0, 1.0)
    return rng.random(size), rng.permutation(size * 2)[:size], trials, p, (1.0 - p) ** trials


@pytest.mark.parametrize("case", range(30))
def test_binomial_walk_is_identical_compiled_and_plain(case):
    rng = np.random.default_rng(case)
    u, slots, trials, p, p_zero = binomial_inputs(rng, int(rng.integers(0, 2000)), edges=case % 3 == 0)
    result = np.full(slots.size * 2, -7, dtype=np.int64)  # untouched where the draw is 0
    (_, after), (_, after_plain) = both(kernels.binomial_walk, u, slots, trials, p, p_zero, result)
    assert_identical(after[-1], after_plain[-1])
    drawn = after[-1][slots]
    assert ((drawn == -7) | ((drawn >= 1) & (drawn <= trials))).all()
    assert (drawn[p >= 1.0] == trials[p >= 1.0]).all() and (drawn[p == 0.0] == -7).all() and (drawn[np.isnan(p)] == -7).all()


def test_binomial_walk_of_nothing_writes_nothing():
    result = np.arange(3)
    empty = np.zeros(0)
    kernels.binomial_walk(empty, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), empty, empty, result)
    assert result.tolist() == [0, 1, 2]


def test_binomial_draws_follow_the_binomial_distribution():
    n = np.full(200_000, 12)
    from sim.model.streams import Draws
    draws = binomial(n, 0.3, Draws(987654321))
    assert draws.mean() == pytest.approx(12 * 0.3, abs=0.02)
    assert draws.var() == pytest.approx(12 * 0.3 * 0.7, rel=0.03)
    assert draws.min() == 0 and draws.max() <= 12


def test_a_run_is_identical_with_compiled_and_plain_kernels(plain_kernels):
    def run() -> pd.DataFrame:
        return GPModel(small(population={"practices": 300}, months=36)).run().timeseries()
    compiled = run()
    plain_kernels()
    pd.testing.assert_frame_equal(run(), compiled, check_exact=True)
    assert compiled["paid_coverage_pcn"].iloc[-1] > 0.3  # networks formed, so the searches ran


# -- searches and network sums, on the inputs a run in month 30 hands them ----------------------

@pytest.fixture(scope="module")
def model():
    return small_model_in_month(30)


def _both_ways(plain_kernels, ask):
    """What `ask()` gives with the compiled kernels, then with their plain forms."""
    compiled = ask()
    plain_kernels()
    return compiled, ask()


def test_merger_partners_are_identical(model, plain_kernels):
    state = model.practices
    saved = state.distress_months.copy()
    state.distress_months[::7] = 3  # some neighbours are distressed, so the search skips them
    try:
        fast, plain = _both_ways(plain_kernels, lambda: [closure._merger_partner(model.practices, model.geography, model.in_force, p) for p in np.flatnonzero(state.open)])
    finally:
        state.distress_months[:] = saved
    assert fast == plain
    assert sum(p is None for p in fast) < len(fast) // 2  # most practices find a partner


def test_merger_partner_prefers_a_shared_network_then_the_nearest_and_searches_beyond_the_nearest():
    #            practice 0, its nearest 1 (no shared network), 2 (shares kind 1), 3 (distressed, shares)
    nearest, km = np.array([1, 2, 3], dtype=np.int64), np.array([1.0, 2.0, 3.0])
    is_open, distress = np.ones(5, dtype=bool), np.array([0, 0, 0, 4, 0], dtype=np.int32)
    membership = np.array([[-1, -1, 5, 4, 4], [7, 8, 7, 7, -1]], dtype=np.int32)
    for form in (kernels.merger_partner, kernels.merger_partner.py_func):
        assert form(0, nearest, km, 10.0, is_open, distress, membership, 5) == 2
        assert form(0, nearest, km, 1.5, is_open, distress, membership, 5) == 1     # 2 is out of reach
        assert form(0, nearest[2:], km[2:], 10.0, is_open, distress, membership, 5) == -1  # only distressed ones
        assert form(0, nearest, km, 0.5, is_open, distress, membership, 5) == kernels.SEARCH_ALL
        assert form(0, nearest[:0], km[:0], 10.0, is_open, distress, membership, 5) == kernels.SEARCH_ALL
        assert form(0, nearest, km, 0.5, is_open, distress, membership, 4) == -1  # nobody beyond them


def test_a_merger_partner_beyond_the_nearest_practices_is_the_nearest_open_one(model):
    state = model.practices
    practice = int(np.flatnonzero(state.open)[0])
    saved = state.open.copy(), state.distress_months.copy()
    try:
        state.open[model.geography.nearest[practice]] = False
        state.distress_months[:] = 0
        partner = closure._merger_partner(model.practices, model.geography, model.in_force, practice)
        others = np.flatnonzero(state.open & (np.arange(state.size) != practice))
        km = np.hypot(state.x_km[others] - state.x_km[practice], state.y_km[others] - state.y_km[practice])
        within = km <= model.in_force.closure.merger_distance_km
    finally:
        state.open[:], state.distress_months[:] = saved
    assert within.any() and partner in others[within]
    shares = ((state.membership[:, others] == state.membership[:, [practice]]) & (state.membership[:, [practice]] >= 0)).any(axis=0)
    pool = others[within & shares] if (within & shares).any() else others[within]
    assert km[others == partner][0] == km[np.isin(others, pool)].min()


def test_nearest_networks_are_identical(model, plain_kernels):
    state = model.practices
    nearby = networks.search.AreaNetworks(model.networks, model.geography, model.in_force, model.kinds.index("pcn"))
    asked = [(int(p), room, reach, excluding) for p in np.flatnonzero(state.open)[::3]
             for room, reach, excluding in ((state.list_size[p], 1.0, -1), (None, 2.0, -1), (None, 1.0, 0), (1e9, 1.0, -1))]
    fast, plain = _both_ways(plain_kernels, lambda: [nearby.nearest(p, room, reach, excluding) for p, room, reach, excluding in asked])
    assert fast == plain
    assert sum(slot >= 0 for slot in fast) > len(fast) // 3
    assert all(slot == -1 for (_, room, _, _), slot in zip(asked, fast) if room == 1e9)  # no network has that room


def test_nearest_network_takes_the_first_of_equals_and_applies_the_room_rule():
    #            networks 0 (inactive), 1, 2, 3 (empty); 1 and 2 led by practices at the same km
    active, members = np.array([False, True, True, True]), np.array([3, 3, 3, 0], dtype=np.int32)
    patients, target = np.array([0.0, 40_000.0, 10_000.0, 0.0]), np.array([1.0, 30_000.0, 30_000.0, 1.0])
    lead, km, position = np.array([0, 1, 2, 0], dtype=np.int32), np.array([0.0, 5.0, 5.0]), np.arange(3)
    every = np.arange(4, dtype=np.int64)
    for form in (kernels.nearest_network, kernels.nearest_network.py_func):
        def nearest(candidates=every, excluding=-1, reach=10.0, room_for=None, multiple=2.0):
            return form(candidates, excluding, active, members, patients, target, lead, km, position, reach,
                        room_for is not None, room_for or 0.0, multiple)
        assert nearest() == 1
        assert nearest(every[::-1]) == 2              # the first of equals, in the order given
        assert nearest(excluding=1) == 2
        assert nearest(reach=4.9) == -1
        assert nearest(every[:0]) == -1
        assert nearest(room_for=20_001.0) == 2        # twice the target: 60,000 - 40,000 < 20,001
        assert nearest(room_for=20_000.0) == 1
        # A paid band: room only up to the target, so network 1 (40,000 of 30,000) has none.
        assert nearest(room_for=1.0, multiple=1.0) == 2
        assert nearest(room_for=20_000.0, multiple=1.0) == 2     # 30,000 - 10,000 = 20,000
        assert nearest(room_for=20_001.0, multiple=1.0) == -1


def test_willing_neighbours_are_identical(model, plain_kernels):
    state = model.practices
    kind = model.kinds.index("pcn")
    accept = np.random.default_rng(5).random(state.size) < 0.6
    targets = (15_000.0, 40_000.0, 120_000.0)
    def ask():
        return [networks.search.willing_neighbours(model.practices, model.geography, model.in_force, kind, int(p), accept, t).tolist() for p in range(state.size) for t in targets]
    fast, plain = _both_ways(plain_kernels, ask)
    assert fast == plain
    assert sum(len(found) for found in fast) > state.size / 2  # founders do find willing neighbours


def test_willing_neighbours_stop_at_reach_and_once_the_lists_are_enough():
    area = np.array([10, 11, 12, 13], dtype=np.int64)
    nearest_first, km = np.array([1, 2, 3], dtype=np.int32), np.array([0.0, 1.0, 2.0, 3.0])
    is_open, membership = np.ones(14, dtype=bool), np.full(14, -1, dtype=np.int32)
    accept, lists = np.ones(14, dtype=bool), np.full(14, 5_000.0)
    accept[12] = False
    for form in (kernels.willing_neighbours, kernels.willing_neighbours.py_func):
        def found(reach=10.0, needed=1e9, order=nearest_first):
            taken, running, before = form(area, order, km, reach, is_open, membership, accept, lists, needed)
            return taken.tolist(), running, before
        assert found() == ([11, 13], 10_000.0, 5_000.0)
        assert found(reach=2.5) == ([11], 5_000.0, 0.0)
        assert found(needed=5_000.0) == ([11], 5_000.0, 0.0)  # exactly enough stops the search
        assert found(order=nearest_first[:0]) == ([], 0.0, 0.0)


def test_benefits_of_membership_are_identical(model, plain_kernels):
    fast, plain = _both_ways(plain_kernels, lambda: networks.membership_benefits(model.practices, model.networks, model.in_force, model.month))
    for field in ("staff_support", "leader_burnout", "pooled_cover", "back_office_saving", "cross_site_cost", "mature_member"):
        assert getattr(fast, field).tobytes() == getattr(plain, field).tobytes(), field
    assert 0 < fast.mature_member.sum() < model.practices.open.sum()  # some networks are still young
    assert fast.leader_burnout.max() > 0


def test_benefits_ramp_up_from_formation_and_reach_only_open_members():
    terms = np.array([12.0, 24.0, 100_000.0, 0.1, 0.05, 0.2, 1.0, 0.02, 0.5])
    slot = np.array([0, 0, 1, -1, 1], dtype=np.int32)
    is_open = np.array([True, True, True, True, False])
    formed, patients, lead = np.array([0, -30], dtype=np.int32), np.array([50_000.0, 150_000.0]), np.array([1, 2], dtype=np.int32)
    outputs = [np.zeros(5) for _ in range(5)] + [np.zeros(5, dtype=bool)]
    (_, compiled), (_, plain) = both(kernels.add_benefits, 6, slot, is_open, formed, patients, lead, terms, *outputs)
    assert_identical(compiled, plain)
    staff, burnout, cover, saving, cross_site, mature = compiled[7:]
    assert staff.tolist() == [0.05, 0.05, 0.15000000000000002, 0.0, 0.0]  # half-way at 6 of 12 months; large adds
    assert burnout.tolist() == [0.0, 0.375, 0.0, 0.0, 0.0]               # only the young network's lead
    assert saving.tolist() == [0.25, 0.25, 1.0, 0.0, 0.0] and mature.tolist() == [False, False, True, False, False]
    assert cover.tolist() == [0.1, 0.1, 0.2, 0.0, 0.0] and cross_site[2] == 0.02


def test_network_sizes_are_identical(model, plain_kernels):
    net = model.networks

    def sizes():
        networks.update_sizes(model.practices, model.networks, model.month)
        return [net.view(name).copy() for name in ("patients", "members", "rural_share", "active")]
    fast, plain = _both_ways(plain_kernels, sizes)
    for a, b in zip(fast, plain):
        assert a.tobytes() == b.tobytes()
    assert 0 < fast[2].mean() < 1


def test_network_sums_count_open_members_only():
    membership = np.array([[0, 0, -1, 1], [2, -1, 2, 2]], dtype=np.int32)
    is_open, lists, rural = np.array([True, True, True, False]), np.array([1_000.0, 2_000.0, 4_000.0, 8_000.0]), np.array([True, False, True, True])
    (_, compiled), (_, plain) = both(kernels.count_members, membership, is_open, lists, rural,
                                     np.zeros(3), np.zeros(3, dtype=np.int64), np.zeros(3))
    assert_identical(compiled, plain)
    assert compiled[4].tolist() == [3_000.0, 0.0, 5_000.0] and compiled[5].tolist() == [2, 0, 2]
    assert compiled[6].tolist() == [1_000.0, 0.0, 5_000.0]


@pytest.mark.parametrize("trial", range(30))
def test_nearest_sites_are_the_spatial_index_answer(trial):
    rng = np.random.default_rng(trial)
    sites = rng.uniform(0, 300, (int(rng.integers(1, 500)), 2))
    points = rng.uniform(-20, 320, (int(rng.integers(0, 40)), 2))
    k = min(8, len(sites))
    args = sites[:, 0].copy(), sites[:, 1].copy(), points[:, 0].copy(), points[:, 1].copy(), k
    (compiled, _), (plain, _) = both(kernels.nearest_sites, *args)
    assert_identical(compiled, plain)
    km, index, tied = compiled
    tree_km, tree_index = cKDTree(sites).query(points, k=k)
    assert not tied
    assert km.tobytes() == tree_km.reshape(len(points), -1).tobytes()
    assert index.tolist() == tree_index.reshape(len(points), -1).tolist()


def test_sites_at_equal_distance_are_flagged_and_left_to_the_spatial_index(model):
    net = model.networks
    slots = np.flatnonzero(net.view("active"))[:20]
    asking = np.flatnonzero(model.practices.open)[:50]
    saved = net.x_km.copy(), net.y_km.copy()
    try:
        net.x_km[slots[1]], net.y_km[slots[1]] = net.x_km[slots[0]], net.y_km[slots[0]]  # two networks on one site
        args = net.x_km[slots], net.y_km[slots], model.practices.x_km[asking], model.practices.y_km[asking], 8
        (compiled, _), (plain, _) = both(kernels.nearest_sites, *args)
        distance, nearest = networks.search.nearest_sites(model.practices, model.networks, slots, asking, 8)
        tree_km, tree_index = cKDTree(np.column_stack(args[:2])).query(np.column_stack(args[2:4]), k=8)
    finally:
        net.x_km[:], net.y_km[:] = saved
    assert compiled[2] and plain[2]
    assert distance.tobytes() == tree_km.tobytes() and nearest.tolist() == slots[tree_index].tolist()
