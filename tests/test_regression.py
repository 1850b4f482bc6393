"""Regression baselines: small runs reproduce the recorded figures within a stated tolerance, on
any processor.

The baselines in tests/baselines were recorded with the straightforward implementations that
the vectorised and incremental paths (area distance tables, the founding pass, incremental
member counts, binomial draws over practices with staff) replaced, so these tests show the
optimised model gives the same results for the same seed. (The practice summaries were added
later, made from yearly snapshots identical to the bit to those recorded then.)

Tolerance: each number may differ from its baseline by RELATIVE_TOLERANCE (1e-9) of its value,
plus one rounding step where the output table rounds the column (record.ROUNDING_STEP), plus
1e-12 of the column's largest value so that a figure that should be zero may carry rounding noise;
counts and labels must match exactly. Another processor or numpy build may round exp, log and
pow differently in the last bit (about 1e-16); the model damps such differences rather than
growing them (nudging a third of those results, or the starting list sizes, reserves and
continuity, by one bit moved no figure by more than 4e-15), so they stay five orders of
magnitude inside the tolerance. A real change to the model moves figures far more: changing one
parameter by 0.01% (moved_patient_continuity 0.2 to 0.20002) moves the history series by 2e-7,
and one practice deciding differently changes a count.

`python tests/baselines/record.py` re-records them when a change is meant to alter results; see
its docstring.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .baselines.record import CASES, ROUNDING_STEP, TABLES, read, run_case

BASELINES = Path(__file__).resolve().parent / "baselines"
RELATIVE_TOLERANCE = 1e-9
ZERO_NOISE = 1e-12  # of the column's largest magnitude


def assert_matches(actual: pd.DataFrame, expected: pd.DataFrame, rounding_step: dict, label: str) -> None:
    """Same columns and rows; numbers within the tolerance, everything else equal."""
    assert list(actual.columns) == list(expected.columns), f"{label}: columns differ"
    assert len(actual) == len(expected), f"{label}: {len(actual)} rows, baseline {len(expected)}"
    for column in expected.columns:
        now, then = actual[column].to_numpy(), expected[column].to_numpy()
        if then.dtype.kind == "f" or (then.dtype.kind in "iu" and now.dtype.kind == "f"):
            allowed = rounding_step.get(column, 0.0) + ZERO_NOISE * np.abs(then).max(initial=0.0)
            np.testing.assert_allclose(now, then, rtol=RELATIVE_TOLERANCE, atol=allowed,
                                       err_msg=f"{label}: column {column}")
        else:
            assert now.tolist() == then.tolist(), f"{label}: column {column} differs"


@pytest.mark.parametrize("name", list(CASES))
def test_run_reproduces_its_baseline(name):
    tables = run_case(name)
    assert set(tables) == set(TABLES)
    for table in TABLES:
        expected = read(BASELINES / f"{name}.{table}.csv")
        assert len(expected) > 0
        assert_matches(tables[table], expected, ROUNDING_STEP.get(table, {}), f"{name} {table}")


def test_tolerance_catches_a_change_in_the_seventh_figure_and_allows_last_bit_noise():
    expected = read(BASELINES / "history_1500.timeseries.csv")
    assert_matches(expected.copy(), expected, {}, "unchanged")
    noisy = expected.copy()
    noisy["continuity"] *= 1 + 1e-13
    assert_matches(noisy, expected, {}, "last-bit noise")
    moved = expected.copy()
    moved.loc[60, "continuity"] *= 1 + 1e-7
    with pytest.raises(AssertionError, match="column continuity"):
        assert_matches(moved, expected, {}, "moved")
    one_more = expected.copy()
    one_more.loc[60, "networks"] += 1
    with pytest.raises(AssertionError, match="column networks"):
        assert_matches(one_more, expected, {}, "one more network")


def test_a_rounded_column_may_differ_by_one_rounding_step_and_no_more():
    expected = read(BASELINES / "history_1500.networks.csv")
    step = ROUNDING_STEP["networks"]
    shifted = expected.copy()
    shifted.loc[3, "patients"] += 0.1
    assert_matches(shifted, expected, step, "one step")
    shifted.loc[3, "patients"] += 0.1
    with pytest.raises(AssertionError, match="column patients"):
        assert_matches(shifted, expected, step, "two steps")
