"""A "nothing changes" forward scenario opens without cliffs: it starts from the history's
simulated April 2024, so each national figure's change over the first 12 months is no bigger
than twice its typical yearly change later in the run, or than twice its change over the
history's last year, which it continues (docs/ODD.md, Initialisation)."""
from __future__ import annotations

import numpy as np
import pytest

import sim

from .conftest import ROOT

FIGURES = ("locum_share", "gp_fte_per_1000", "continuity", "gp_turnover_12m", "practices_in_deficit")
# A year's change smaller than this is within what one replication of England moves by chance
# (0.2 percentage points of a share; 0.002 GP FTE per 1,000, under half a percent), so a figure
# that barely moves later does not make a barely moving first year look like a cliff.
RESOLUTION = 0.002


def first_and_typical_change(series: np.ndarray) -> tuple[float, float]:
    """|change| over the first 12 months, and the median |change| over each later year."""
    later = [abs(series[k + 12] - series[k]) for k in range(12, series.size - 12, 12)]
    return abs(series[12] - series[0]), float(np.median(later))


@pytest.fixture(scope="module")
def status_quo():
    # The whole synthetic England: a smaller one wanders more from year to year than the signal
    # tested here, and one replication of history and decade ahead takes a few seconds. Nothing
    # changes: the status quo's dated contract uplifts and pay awards are left out, so a change in
    # the first year is the model's own, not a policy's. (With them, the 2024/25 uplift lifts
    # partners' earnings and GP turnover falls 0.0073 in the first year against 0.0052 without:
    # a response, spread smoothly over the months, not a warm-up.)
    return sim.run(ROOT / "scenarios/status_quo_2024.yaml", seed=3, replications=1, overrides={"money.uplifts": []})


@pytest.fixture(scope="module")
def history(status_quo):
    # The same parameter set as the forward run's spin-up (the forward scenario's default draws one).
    return sim.run(ROOT / "scenarios/history_2013_2023.yaml", seed=3, replications=1,
                   uncertainty=status_quo.uncertainty).timeseries


@pytest.mark.parametrize("figure", FIGURES)
def test_first_year_change_is_no_bigger_than_twice_a_typical_year_before_or_after(status_quo, history, figure):
    # A trend the history was already on (GP turnover falling as additional roles grow) may carry
    # on; a warm-up would be bigger than both.
    first, typical = first_and_typical_change(status_quo.timeseries[figure].to_numpy())
    series = history.set_index("month")[figure]
    last_history_year = abs(series.loc["2024-03"] - series.loc["2023-03"])
    assert first <= max(2 * typical, 2 * last_history_year, RESOLUTION), (
        f"{figure}: first 12 months {first:.4f}, typical later year {typical:.4f}, history's last year {last_history_year:.4f}")


def test_first_month_continues_the_history(status_quo, history):
    before = history[history["month"] == "2024-03"].iloc[0]
    first = status_quo.timeseries.iloc[0]
    assert first["month"] == "2024-04" and history["month"].iloc[-1] == "2024-04"
    # A month's mergers, closures and openings: no more than the history's own largest month in its last three years.
    largest_month = history["practices"].diff().abs().iloc[-36:].max()
    assert abs(first["practices"] - before["practices"]) <= max(largest_month, 10)
    for figure in FIGURES:   # one month on, within a small step of where history left off
        assert abs(first[figure] - before[figure]) <= 0.01, figure
