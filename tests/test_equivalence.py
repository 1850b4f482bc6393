"""The vectorised mechanisms give the same answers as straightforward per-practice loops."""
from __future__ import annotations

import numpy as np
import pytest

from sim import money, networks
from sim.model import GPModel

from .conftest import small


@pytest.fixture(scope="module")
def model():
    model = GPModel(small())
    for _ in range(30):  # past the opening of PCNs (month 27)
        model.step()
    return model


def test_network_sizes_match_a_loop_over_practices(model):
    state = model.practices
    networks.update_sizes(model)
    for slot in range(model.networks.count):
        kind = model.networks.kind[slot]
        members = [p for p in range(state.size) if state.open[p] and state.membership[kind, p] == slot]
        assert model.networks.patients[slot] == pytest.approx(sum(state.list_size[p] for p in members))
        assert model.networks.members[slot] == len(members)


def _nearest_with_room_by_loop(model, kind, joining):
    """Each joiner, in slot order, looks at the nearest networks with room at the month's
    opening sizes (as many as the vectorised pass does), picks the nearest in its area within
    reach, and is admitted if the arrivals before it left room; a network that turns one away
    takes no more this month. Those left out go on to the sequential path, which searches the
    whole area with up-to-date sizes."""
    net, state = model.networks, model.practices
    reach = model.params.behaviour.max_network_distance_km
    opening = net.patients.copy()
    cap = networks.capacity(model, kind)
    arrived, closed = {}, set()
    chosen = {}
    with_room = [s for s in range(net.count) if net.active[s] and net.kind[s] == kind and cap[s] > opening[s]]
    for p in sorted(joining):
        distances = {s: np.hypot(net.x_km[s] - state.x_km[p], net.y_km[s] - state.y_km[p]) for s in with_room}
        looked_at = sorted(with_room, key=lambda s: distances[s])[:networks.NEAREST_NETWORKS]
        best, best_distance = None, np.inf
        for slot in looked_at:
            distance = distances[slot]
            if net.area[slot] != state.area[p]:
                continue
            if distance <= reach and cap[slot] - opening[slot] >= state.list_size[p] and distance < best_distance:
                best, best_distance = slot, distance
        if best is None or best in closed:
            continue
        if arrived.get(best, 0.0) + state.list_size[p] <= cap[best] - opening[best]:
            arrived[best] = arrived.get(best, 0.0) + state.list_size[p]
            chosen[p] = best
        else:
            closed.add(best)
    return chosen


def test_vectorised_joining_matches_the_loop(model):
    kind = model.kinds.index("federation")
    state = model.practices
    outsiders = np.flatnonzero(state.open & (state.membership[kind] < 0))
    assert outsiders.size > 20
    before = state.membership[kind].copy()
    expected = _nearest_with_room_by_loop(model, kind, outsiders)
    left = networks._join_nearest_with_room(model, kind, outsiders)
    placed = {int(p): int(state.membership[kind, p]) for p in outsiders if state.membership[kind, p] >= 0}
    state.membership[kind] = before
    assert placed == expected
    assert set(left) == set(outsiders) - set(expected)


def test_pool_share_out_matches_a_loop(model):
    state, net = model.practices, model.networks
    reserves, pool = state.reserves.copy(), net.view("pool").copy()
    net.view("pool")[:] = 50_000.0
    state.reserves[::7] = -20_000.0
    start_reserves, start_pool = state.reserves.copy(), net.view("pool").copy()
    money._share_out_pools(model)
    expected = start_reserves.copy()
    pools = start_pool.copy()
    for kind in range(len(model.kinds)):
        for slot in range(net.count):
            members = [p for p in range(state.size) if state.open[p] and state.membership[kind, p] == slot]
            if not members:
                continue
            overdraft = {p: max(-expected[p], 0.0) for p in members}
            needed = sum(overdraft.values())
            if needed > 0:
                covered = min(pools[slot], needed) / needed
                for p in members:
                    expected[p] += overdraft[p] * covered
                pools[slot] -= needed * covered
            lists = sum(state.list_size[p] for p in members)
            if net.kind[slot] == kind and lists > 0:
                share = pools[slot] / money.POOL_SHARE_OUT_MONTHS
                for p in members:
                    expected[p] += share * state.list_size[p] / lists
                pools[slot] -= share
    assert np.allclose(state.reserves, expected, rtol=1e-12, atol=1e-6)
    assert np.allclose(net.view("pool"), pools, rtol=1e-12, atol=1e-6)
    state.reserves[:], net.view("pool")[:] = reserves, pool


def test_practice_turnover_matches_its_definition(model):
    state = model.practices
    turnover = state.turnover_12m()
    for p in range(0, state.size, 37):
        heads = state.heads_by_month[:, p].mean()
        expected = state.leavers_by_month[:, p].sum() / heads if heads > 0 else 0.0
        assert turnover[p] == pytest.approx(expected)


def test_binomial_inversion_matches_the_binomial_quantile_function():
    from scipy import stats

    from sim.streams import binomial
    rng = np.random.default_rng(0)
    n, p, u = rng.integers(0, 15, 3000), rng.random(3000) * 0.5, rng.random(3000)
    p[::50], p[1::50] = 0.0, 1.0
    expected = [n_ if p_ >= 1 else (0 if p_ == 0 or n_ == 0 else int(stats.binom.ppf(u_, n_, p_))) for n_, p_, u_ in zip(n, p, u)]
    assert binomial(n, p, u).tolist() == expected
