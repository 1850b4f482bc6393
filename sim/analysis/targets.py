"""Validation targets: the published figures, how each is measured in a run, and the naive
benchmark each is also scored against.

A target's statistic is one of:
- value, change, relative_change: the national timeseries at a month (or between two months);
- snapshot_quantile: a quantile across open practices in the yearly practice snapshot;
- snapshot_share: the share of open practices whose column lies in [low, high);
- slope_index: the slope index of inequality of column per `per` (times `scale`) across open
  practices ranked by `rank_by` (0 least, 1 most), weighted by `per`, as published for GP supply
  by deprivation;
- tenth_ratio: column per `per` in the tenth of open practices ranked highest by `rank_by` (a
  tenth of `per`, as published for the most deprived tenth) over the same in the lowest tenth;
- ended_mean: the mean of column at month_from over the practices open then that closed or merged
  by month (closures by practice characteristics).
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.results.run import Results
from sim.scenario.errors import InputError
from sim.scenario.messages import input_error
from sim.scenario.schema import YearMonth, month_number

PACKAGE = Path(__file__).resolve().parents[1]
TARGETS_FILE = PACKAGE / "data" / "validation_targets.yaml"
SNAPSHOT_STATISTICS = ("snapshot_quantile", "snapshot_share", "slope_index", "tenth_ratio", "ended_mean")


class Naive(BaseModel):
    """A straight line through published points from before calibration ends (one point: the
    value carried forward), evaluated where the target is measured."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    points: list[tuple[YearMonth, float]] = Field(min_length=1, max_length=2)
    source: str = Field(min_length=1)

    def at(self, month: str) -> float:
        """The line's value at a month."""
        (first_month, first), *rest = self.points
        if not rest:
            return float(first)
        last_month, last = rest[0]
        slope = (last - first) / (month_number(last_month) - month_number(first_month))
        return float(first + slope * (month_number(month) - month_number(first_month)))


class Target(BaseModel):
    """One published figure and how the simulation is measured against it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    label: str
    source: str
    statistic: Literal["value", "change", "relative_change", "snapshot_quantile", "snapshot_share",
                       "slope_index", "tenth_ratio", "ended_mean"]
    column: str
    month: YearMonth
    month_from: YearMonth | None = None
    quantile: float | None = Field(None, ge=0, le=1)
    low: float | None = Field(None, description="snapshot_share: lowest value counted (inclusive).")
    high: float | None = Field(None, description="snapshot_share: value counted up to (exclusive).")
    per: str | None = Field(None, description="slope_index, tenth_ratio: the snapshot column the column is divided by (and weighted by).")
    scale: float = Field(1.0, gt=0, description="slope_index: multiplier of column / per (10,000 for 'per 10,000 patients').")
    rank_by: str | None = Field(None, description="slope_index, tenth_ratio: the snapshot column practices are ranked by.")
    published: float
    tolerance: float = Field(gt=0)
    reason: str
    baseline: float | None = Field(None, description="The published value the target's change starts from, where a "
                                                     "change is measured; the tolerance is at most half the change.")
    fitted: bool = Field(False, description="True where calibration is fitted to this target (in sample).")
    measured_as: str = Field("", description="How the model quantity measures what the published figure measures.")
    naive: Naive | None = Field(None, description="The naive benchmark: a straight line through earlier published figures.")

    @model_validator(mode="after")
    def _statistic_has_its_fields(self) -> Target:
        needs = {"change": ("month_from",), "relative_change": ("month_from",), "snapshot_quantile": ("quantile",),
                 "slope_index": ("rank_by",), "tenth_ratio": ("rank_by", "per"), "ended_mean": ("month_from",)}
        missing = [name for name in needs.get(self.statistic, ()) if getattr(self, name) is None]
        if self.statistic == "snapshot_share" and self.low is None and self.high is None:
            missing.append("low or high")
        if missing:
            raise ValueError(f"target '{self.id}': statistic {self.statistic} needs {', '.join(missing)}")
        return self

    @property
    def change_measured(self) -> float | None:
        """The size of the change the target measures (None where it measures a level)."""
        if self.statistic in ("change", "relative_change"):
            return abs(self.published)
        return None if self.baseline is None else abs(self.published - self.baseline)

    @property
    def naive_value(self) -> float | None:
        """The naive benchmark's value of this target's statistic."""
        if self.naive is None:
            return None
        after = self.naive.at(self.month)
        if self.statistic == "change":
            return after - self.naive.at(self.month_from)
        if self.statistic == "relative_change":
            return after / self.naive.at(self.month_from) - 1.0
        return after


class TargetFile(BaseModel):
    """The versioned set of targets."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int
    scenario: str
    calibration_ends: YearMonth | None = Field(None, description="Last month calibration sees: fitted targets end by then.")
    counterfactual: str | None = None
    notes: str = ""
    targets: list[Target]

    @model_validator(mode="after")
    def _fitted_within_calibration(self) -> TargetFile:
        for target in self.targets:
            if target.fitted and (self.calibration_ends is None or target.month > self.calibration_ends):
                raise ValueError(f"target '{target.id}' is fitted but its month {target.month} is after "
                                 f"calibration_ends ({self.calibration_ends})")
            change = target.change_measured
            if not target.fitted and change is not None and target.tolerance > change / 2 + 1e-9:
                raise ValueError(f"target '{target.id}': tolerance {target.tolerance:g} is more than half the change it "
                                 f"measures ({change:g}); a tolerance that wide cannot tell the change from none")
            late = [m for m, _ in (target.naive.points if target.naive else []) if self.calibration_ends and m > self.calibration_ends]
            if late:
                raise ValueError(f"target '{target.id}': its naive benchmark uses {late[0]}, after calibration_ends "
                                 f"({self.calibration_ends}); a benchmark may use only what was known then")
        return self


def load_targets(path: str | Path | None = None) -> TargetFile:
    """Read and check a targets file (default: the shipped one)."""
    path = Path(path) if path else TARGETS_FILE
    if not path.is_file():
        raise InputError(path, "", "expected an existing targets file; found nothing there")
    try:
        return TargetFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as error:
        raise InputError(path, "", f"YAML does not parse: {error}") from None
    except ValidationError as error:
        raise input_error(error, str(path), TargetFile) from None


def at_month(results: Results, column: str, month: str) -> np.ndarray:
    frame = results.timeseries
    if column not in frame:
        raise InputError("targets", column, f"expected a column of timeseries.csv; found '{column}'")
    values = frame.loc[frame["month"] == month].sort_values("replication")[column].to_numpy(dtype=float)
    if values.size == 0:
        raise InputError("targets", month, "expected a month inside the run")
    return values


def _snapshot(results: Results, target: Target, month: str) -> pd.DataFrame:
    snapshot = results.practices
    for name in (target.column, target.per, target.rank_by):
        if name is not None and name not in snapshot:
            raise InputError("targets", name, f"expected a column of practices.csv; found '{name}'")
    rows = snapshot[snapshot["month"] == month]
    if rows.empty:
        raise InputError("targets", month, "expected a month with a practice snapshot (the end of each simulated year)")
    return rows


def slope_index(outcome: np.ndarray, rank_by: np.ndarray, weight: np.ndarray) -> float:
    """Slope index of inequality: the weighted least-squares slope of outcome on the weighted
    fractional rank (mid-point of each unit's share of the cumulative weight, 0 to 1) by rank_by."""
    order = np.argsort(rank_by, kind="stable")
    y, w = outcome[order], weight[order]
    cumulative = np.cumsum(w) / w.sum()
    rank = cumulative - w / w.sum() / 2.0
    mean_rank, mean_y = np.average(rank, weights=w), np.average(y, weights=w)
    return float(np.sum(w * (rank - mean_rank) * (y - mean_y)) / np.sum(w * (rank - mean_rank) ** 2))


def tenth_ratio(outcome: np.ndarray, rank_by: np.ndarray, weight: np.ndarray) -> float:
    """Outcome per weight in the top tenth of weight ranked by rank_by, over the same in the
    bottom tenth. A practice straddling a cut counts by the share of its weight inside the tenth."""
    order = np.argsort(rank_by, kind="stable")
    per_weight, share = outcome[order] / weight[order], weight[order] / weight.sum()
    end = np.cumsum(share)

    def rate(low: float, high: float) -> float:
        inside = np.clip(np.minimum(end, high) - np.maximum(end - share, low), 0.0, None)  # weight in the tenth
        return float((per_weight * inside).sum() / inside.sum())
    return rate(0.9, 1.0) / rate(0.0, 0.1)


def _per_replication(rows: pd.DataFrame, statistic) -> np.ndarray:
    return np.array([statistic(group) for _, group in rows.groupby("replication", sort=True)], dtype=float)


def _ended_mean(results: Results, target: Target) -> np.ndarray:
    first = _snapshot(results, target, target.month_from)
    first = first[first["open"]]
    snapshot = results.practices
    between = snapshot[(snapshot["month"] > target.month_from) & (snapshot["month"] <= target.month)]
    ended = between.loc[~between["open"], ["replication", "practice_id"]].drop_duplicates()
    keys = pd.MultiIndex.from_frame(first[["replication", "practice_id"]])
    lost = first[keys.isin(pd.MultiIndex.from_frame(ended))]
    return lost.groupby("replication", sort=True)[target.column].mean().reindex(
        sorted(first["replication"].unique())).to_numpy(dtype=float)


def measure(target: Target, results: Results) -> np.ndarray:
    """The target's statistic in each replication."""
    if target.statistic == "value":
        return at_month(results, target.column, target.month)
    if target.statistic in ("change", "relative_change"):
        before, after = at_month(results, target.column, target.month_from), at_month(results, target.column, target.month)
        return after - before if target.statistic == "change" else after / before - 1.0
    if target.statistic == "ended_mean":
        return _ended_mean(results, target)
    rows = _snapshot(results, target, target.month)
    rows = rows[rows["open"]]
    if target.statistic == "snapshot_quantile":
        return rows.groupby("replication")[target.column].quantile(target.quantile).to_numpy(dtype=float)
    if target.statistic == "snapshot_share":
        low = -np.inf if target.low is None else target.low
        high = np.inf if target.high is None else target.high
        return _per_replication(rows, lambda group: float(group[target.column].between(low, high, inclusive="left").mean()))
    per = target.per
    if target.statistic == "tenth_ratio":
        return _per_replication(rows[rows[per] > 0], lambda group: tenth_ratio(
            group[target.column].to_numpy(dtype=float), group[target.rank_by].to_numpy(dtype=float),
            group[per].to_numpy(dtype=float)))

    def gradient(group: pd.DataFrame) -> float:
        weight = group[per].to_numpy(dtype=float) if per else np.ones(len(group))
        outcome = group[target.column].to_numpy(dtype=float) * target.scale / (weight if per else 1.0)
        return slope_index(outcome, group[target.rank_by].to_numpy(dtype=float), weight)
    return _per_replication(rows[rows[per] > 0] if per else rows, gradient)
