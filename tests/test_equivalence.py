"""The vectorised mechanisms give the same answers as straightforward per-practice loops."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from sim.model import money, networks

from .conftest import small, small_model_in_month


def assert_consistent(model) -> None:
    """The model agrees with itself: each open practice's networks are active networks of the
    right kind, each active network's member count and patients are those of its open members,
    and the counts of members among the practices each practice watches are current."""
    state, net = model.practices, model.networks
    for kind in range(len(model.kinds)):
        inside = (state.membership[kind] >= 0) & state.open
        slot = state.membership[kind][inside]
        assert net.view("active")[slot].all() and (net.view("kind")[slot] == kind).all()
        ours = np.flatnonzero(net.view("active") & (net.view("kind") == kind))
        members = np.bincount(slot, minlength=net.count)
        patients = np.bincount(slot, weights=state.list_size[inside], minlength=net.count)
        assert net.view("members")[ours].tolist() == members[ours].tolist()
        np.testing.assert_allclose(net.view("patients")[ours], patients[ours], rtol=1e-9)
        fresh = model.geography.watching @ (state.membership[kind] >= 0).astype(float)
        assert networks.choice.members_watched(model.practices, model.geography, kind).tolist() == fresh.tolist()


@pytest.fixture(scope="module")
def stepped():
    """The small scenario past the opening of PCNs, shared by the module's tests through copies."""
    model = small_model_in_month(30)
    assert_consistent(model)
    return model


@pytest.fixture
def model(stepped):
    """A fresh copy of the stepped model for each test (a copy takes milliseconds), so what one
    test changes no other test sees; afterwards the shared model is checked untouched."""
    before = {name: getattr(stepped.practices, name).copy() for name in ("membership", "reserves", "list_size", "open")}
    pools = stepped.networks.view("pool").copy()
    yield copy.deepcopy(stepped)
    for name, values in before.items():
        assert np.array_equal(getattr(stepped.practices, name), values), f"the shared model's {name} changed"
    assert np.array_equal(stepped.networks.view("pool"), pools)
    assert_consistent(stepped)


def test_network_sizes_match_a_loop_over_practices(model):
    state = model.practices
    networks.update_sizes(model.practices, model.networks, model.month)
    assert model.networks.view("active").sum() > 20
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
    reach = model.in_force.behaviour.max_network_distance_km
    opening = net.patients.copy()
    cap = networks.payment.capacity(net, model.in_force.organisation(kind))
    arrived, closed = {}, set()
    chosen = {}
    with_room = [s for s in range(net.count) if net.active[s] and net.kind[s] == kind and cap[s] > opening[s]]
    for p in sorted(joining):
        distances = {s: np.hypot(net.x_km[s] - state.x_km[p], net.y_km[s] - state.y_km[p]) for s in with_room}
        looked_at = sorted(with_room, key=lambda s: distances[s])[:model.in_force.behaviour.nearest_networks]
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
    left = networks.joining._join_nearest_with_room(model.practices, model.networks, model.in_force, kind, outsiders)
    placed = {int(p): int(state.membership[kind, p]) for p in outsiders if state.membership[kind, p] >= 0}
    assert len(expected) >= 10 and placed == expected
    assert set(left) == set(outsiders) - set(expected)
    assert (state.membership[kind] != before).sum() == len(expected)
    assert_consistent(model)  # the joiners' networks gained their patients and members


def test_pool_share_out_matches_a_loop(model):
    state, net = model.practices, model.networks
    net.view("pool")[:] = 50_000.0
    state.reserves[::7] = -20_000.0
    start_reserves, start_pool = state.reserves.copy(), net.view("pool").copy()
    money._share_out_pools(state, net, len(model.kinds))
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
    assert not np.allclose(state.reserves, start_reserves), "the share-out moved money"


def test_practice_turnover_matches_its_definition(model):
    state = model.practices
    turnover = state.turnover_12m()
    sampled = range(0, state.size, 11)
    for p in sampled:
        heads = state.heads_by_month[:, p].mean()
        expected = state.leavers_by_month[:, p].sum() / heads if heads > 0 else 0.0
        assert turnover[p] == pytest.approx(expected)
    assert (turnover[list(sampled)] > 0).sum() >= 5  # practices that lost GPs are among those checked


def test_binomial_inversion_matches_the_binomial_quantile_function():
    from scipy import stats

    from sim.model.streams import binomial
    rng = np.random.default_rng(0)
    n, p, u = rng.integers(0, 15, 3000), rng.random(3000) * 0.5, rng.random(3000)
    p[::50], p[1::50] = 0.0, 1.0
    expected = [n_ if p_ >= 1 else (0 if p_ == 0 or n_ == 0 else int(stats.binom.ppf(u_, n_, p_))) for n_, p_, u_ in zip(n, p, u)]
    assert binomial(n, p, u).tolist() == expected


def test_binomial_with_one_probability_matches_a_probability_per_practice():
    from sim.model.streams import binomial
    rng = np.random.default_rng(1)
    n, u = rng.integers(0, 30, 5000), rng.random(5000)
    for p in (0.0, 0.003, 0.4, 0.97, 1.0):
        assert binomial(n, p, u).tolist() == binomial(n, np.full(n.size, p), u).tolist()


def _nearest_by_loop(model, kind, practice, with_room_for, reach_factor=1.0, excluding=-1):
    """The nearest active network of the kind in the practice's area within reach, straight
    from the network arrays (ties to the lower slot)."""
    net, state = model.networks, model.practices
    capacity = networks.payment.capacity(net, model.in_force.organisation(kind))
    reach = model.in_force.behaviour.max_network_distance_km * reach_factor
    best, best_distance = -1, np.inf
    for slot in range(net.count):
        if (slot == excluding or not net.active[slot] or net.kind[slot] != kind or net.members[slot] <= 0
                or net.area[slot] != state.area[practice]):
            continue
        if with_room_for is not None and capacity[slot] - net.patients[slot] < with_room_for:
            continue
        distance = np.hypot(net.x_km[slot] - state.x_km[practice], net.y_km[slot] - state.y_km[practice])
        if distance <= reach and distance < best_distance:
            best, best_distance = slot, distance
    return best


def test_nearest_network_matches_a_search_of_every_network(model):
    kind = model.kinds.index("pcn")
    nearby = networks.search.AreaNetworks(model.networks, model.geography, model.in_force, kind)
    state = model.practices
    checked = 0
    for practice in range(0, state.size, 7):
        for room, reach in ((state.list_size[practice], 1.0), (None, 1.0), (None, model.in_force.behaviour.steering_reach), (5000.0, 2.0)):
            expected = _nearest_by_loop(model, kind, practice, room, reach)
            assert nearby.nearest(practice, room, reach) == expected
            checked += expected >= 0
    assert checked > 50


def _willing_by_sorting(model, kind, practice, accept, target):
    """Willing outsiders of the founder's area within reach, sorted by distance (stable), taken
    until their lists reach the target, stopping short of overshooting the paid band."""
    state = model.practices
    pool = np.flatnonzero(state.area == state.area[practice])
    pool = pool[state.open[pool] & (state.membership[kind, pool] < 0) & accept[pool] & (pool != practice)]
    distance = np.hypot(state.x_km[pool] - state.x_km[practice], state.y_km[pool] - state.y_km[practice])
    order = np.argsort(distance, kind="stable")
    pool = pool[order][distance[order] <= model.in_force.behaviour.max_network_distance_km]
    needed = target - state.list_size[practice]
    if needed <= 0:
        return []
    running = np.cumsum(state.list_size[pool])
    take = min(int(np.searchsorted(running, needed)) + 1, pool.size)
    band = model.organisation(kind).band
    if band is not None and take >= 2 and running[take - 1] - needed > band.max_patients - target \
            and running[take - 2] + state.list_size[practice] >= band.min_patients:
        take -= 1
    return pool[:take].tolist()


def test_willing_neighbours_match_sorting_the_whole_area(model):
    rng = np.random.default_rng(3)
    accept = rng.random(model.practices.size) < 0.8
    sizes = set()
    for kind in range(len(model.kinds)):  # with a paid band (pcn) and without (federation)
        for practice in range(0, model.practices.size, 5):
            for target in (20_000.0, 35_000.0, 60_000.0, 1_000.0):
                expected = _willing_by_sorting(model, kind, practice, accept, target)
                assert networks.search.willing_neighbours(model.practices, model.geography, model.in_force, kind, practice, accept, target).tolist() == expected
                sizes.add(len(expected))
    assert max(sizes) >= 4


def test_area_distances_match_the_distance_between_sites(model):
    state, distances = model.practices, model.geography.area_distances
    for practice in range(0, state.size, 11):
        same_area = np.flatnonzero(state.area == state.area[practice])
        expected = np.hypot(state.x_km[same_area] - state.x_km[practice], state.y_km[same_area] - state.y_km[practice])
        assert np.array_equal(distances.row(practice), expected)
        others, km = distances.others_by_distance(practice)
        assert sorted(others) == sorted(set(same_area.tolist()) - {practice})
        assert km == sorted(km)


def test_members_watched_kept_current_matches_a_fresh_count(model):
    state = model.practices
    kind = model.kinds.index("federation")
    before = state.membership[kind].copy()
    networks.choice.members_watched(model.practices, model.geography, kind)  # counted once, then changed below
    rng = np.random.default_rng(5)
    for _ in range(3):
        moved = rng.choice(state.size, 40, replace=False)
        state.membership[kind, moved] = np.where(state.membership[kind, moved] >= 0, -1, 0)
        fresh = (state.membership[kind][state.neighbours] >= 0).sum(axis=1)
        assert networks.choice.members_watched(model.practices, model.geography, kind).tolist() == fresh.astype(float).tolist()
    assert (state.membership[kind] != before).sum() > 50


def test_choices_worked_out_for_some_practices_match_working_them_out_for_all(model):
    from scipy.special import expit
    state = model.practices
    rng = np.random.default_rng(9)
    shares = []
    for kind, name in enumerate(model.kinds):
        everyone = model.streams.uniform(f"choose:{name}", model.month) < expit(networks.choice.joining_utility(model.practices, model.geography, model.in_force, kind, model.month))
        choices = networks.choice.Choices(model.practices, model.geography, model.in_force, model.streams, model.month, kind)
        for _ in range(4):
            some = rng.choice(state.size, 300)
            assert choices(some).tolist() == everyone[some].tolist()
        shares.append(everyone.mean())
    assert min(shares) < 0.9  # some practices decline, so the comparison means something


def test_binomial_drawing_only_where_needed_matches_drawing_for_all(model):
    from sim.model.streams import binomial
    state = model.practices
    everyone = model.streams.uniform("partner_leaving", 3)
    asked = []

    def drawer(slots):
        asked.append(slots.size)
        return model.streams.uniform_of("partner_leaving", 3, slots)
    n = np.where(np.arange(state.size) % 3 == 0, state.partners, 0)
    p = np.full(state.size, 0.2)
    assert binomial(n, p, drawer).tolist() == binomial(n, p, everyone).tolist()
    assert asked == [int((n > 0).sum())]


def test_recording_only_the_figures_outcomes_read_gives_the_same_outcomes():
    from sim.analysis import evaluate as experiment
    scenario = small()
    outcomes = list(experiment.OUTCOMES)
    series = ["network_coverage_practices", "locum_share"]
    everything, slots = experiment.simulate(scenario, seed=3)
    some, same_slots = experiment.simulate(scenario, seed=3, national=experiment.columns_read(outcomes, series))
    assert len(some.columns) < len(everything.columns) and slots == same_slots
    full = experiment.summarise(everything, slots, outcomes, series)
    reduced = experiment.summarise(some, slots, outcomes, series)
    assert reduced.keys() == full.keys()
    for name in full:  # equal, NaN (a year the run does not reach) included
        np.testing.assert_array_equal(reduced[name], full[name])
