"""Yearly parameters become monthly ones by the conversion of their kind."""
from __future__ import annotations

import numpy as np
import pytest

from sim.model import rates


def test_twelve_months_of_growth_compound_to_the_yearly_growth():
    for yearly in (-0.1, 0.0, 0.011, 0.25):
        assert (1.0 + rates.growth(yearly)) ** 12 == pytest.approx(1.0 + yearly, rel=1e-12)
    assert rates.growth(0.12) < 0.01  # less than a twelfth: growth compounds


def test_a_yearly_hazard_leaves_exp_minus_rate_surviving_a_year():
    for yearly in (0.0, 0.065, 1.5, 8.0):
        assert (1.0 - rates.hazard(yearly)) ** 12 == pytest.approx(np.exp(-yearly), rel=1e-12)
    assert rates.hazard(12.0) < 1.0  # any rate is a valid hazard
    assert rates.hazard(0.12) == pytest.approx(0.12 / 12, rel=0.01)  # small rates: about a twelfth


def test_a_yearly_probability_leaves_one_minus_p_surviving_a_year():
    for yearly in (0.0, 0.3, 0.9):
        assert (1.0 - rates.probability(yearly)) ** 12 == pytest.approx(1.0 - yearly, rel=1e-12)
    assert rates.probability(1.0) == 1.0 and rates.probability(3.0) == 1.0


def test_the_kinds_differ_as_they_should():
    # The same number read as a probability gives more monthly events than read as a hazard.
    assert rates.probability(0.3) > rates.hazard(0.3) * 1.05
    assert np.array_equal(rates.hazard(np.array([0.1, 0.2])), [rates.hazard(0.1), rates.hazard(0.2)])


def test_amounts_and_spreads_add_up_over_twelve_months():
    assert 12 * rates.amount(115_000.0) == pytest.approx(115_000.0)
    monthly = np.random.default_rng(4).normal(0.0, rates.spread(0.02), (200_000, 12))
    assert monthly.sum(axis=1).std() == pytest.approx(0.02, rel=0.02)
