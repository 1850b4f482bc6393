"""Yearly parameters as monthly quantities: the one place the model changes time units.

A scenario states rates per year (schema.py); the model steps a month at a time. Which
conversion is right depends on what kind of quantity the parameter is, so each kind has its own
function and every mechanism converts through one of them:

    growth       a yearly growth rate g (lists, consultations, funding, costs)
    hazard       a yearly event rate per person or practice (leaving, retiring, merging)
    probability  a yearly probability that something happens at least once in a year
    amount       a yearly flow (GBP, recruits): a twelfth of it each month
    spread       the standard deviation of a yearly growth that is noise month to month
"""
from __future__ import annotations

import numpy as np

MONTHS_PER_YEAR = 12.0


def growth(yearly: float | np.ndarray) -> float | np.ndarray:
    """Monthly growth rate that compounds to a yearly growth rate: (1 + g)^(1/12) - 1.

    Applies to quantities multiplied by (1 + g) once a year, such as list growth or real-terms
    funding growth, so that twelve monthly steps give exactly the yearly growth.

    Args:
        yearly: growth per year (0.011 is 1.1% a year; negative shrinks).
    """
    return (1.0 + yearly) ** (1.0 / MONTHS_PER_YEAR) - 1.0


def hazard(yearly: float | np.ndarray) -> float | np.ndarray:
    """Monthly probability of an event that happens at a constant yearly rate: 1 - exp(-rate/12).

    Applies to rates measured as events per person-year (or practice-year), such as GP leavers
    over mean headcount, and to rates built by multiplying a rate by rate ratios or adding
    competing causes. Any rate >= 0 is valid; the result is below 1.

    Args:
        yearly: events per year (hazard rate), >= 0.
    """
    return 1.0 - np.exp(-yearly / MONTHS_PER_YEAR)


def probability(yearly: float | np.ndarray) -> float | np.ndarray:
    """Monthly probability equivalent to a probability of happening within a year:
    1 - (1 - p)^(1/12).

    Applies to a share of a cohort that the event reaches within a year (e.g. "30% of
    practices reconsider in a year"), so that surviving twelve months gives 1 - p. Probabilities
    above 1 are taken as 1.

    Args:
        yearly: probability within a year, 0-1.
    """
    return 1.0 - (1.0 - np.minimum(yearly, 1.0)) ** (1.0 / MONTHS_PER_YEAR)


def amount(yearly: float | np.ndarray) -> float | np.ndarray:
    """A month's share of a yearly flow: yearly / 12.

    Applies to money per year (income, costs, payments) and to counts per year that arrive
    evenly (newly qualified GPs, additional-role recruits).

    Args:
        yearly: the flow per year.
    """
    return yearly / MONTHS_PER_YEAR


def spread(yearly_sd: float) -> float:
    """Standard deviation of monthly growth noise whose twelve months add up to a yearly
    standard deviation: sd / sqrt(12) (independent months).

    Args:
        yearly_sd: standard deviation of yearly growth between practices.
    """
    return yearly_sd / np.sqrt(MONTHS_PER_YEAR)
