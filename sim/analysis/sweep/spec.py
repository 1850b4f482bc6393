"""The sweep file: what to vary, how to sample it, how often to run each point, what to keep."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.analysis import evaluate as experiment

DESIGNS = ("grid", "latin", "sobol", "morris")
DISTRIBUTIONS = ("uniform", "loguniform", "triangular", "normal")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Parameter(_Spec):
    """One scenario field to vary: a list of values, or a range with a distribution."""

    values: list[Any] | None = Field(None, min_length=1, description="The values to try (grid), or to draw from evenly (other designs).")
    range: list[float] | None = Field(None, min_length=2, max_length=2, description="Lowest and highest value.")
    steps: int | None = Field(None, ge=2, le=1000, description="Grid only: evenly spaced values across the range.")
    distribution: Literal["uniform", "loguniform", "triangular", "normal"] = Field("uniform", description="How values are drawn across the range.")
    mode: float | None = Field(None, description="Triangular: the most likely value.")
    mean: float | None = Field(None, description="Normal (truncated to the range): the mean.")
    sd: float | None = Field(None, gt=0, description="Normal (truncated to the range): the standard deviation.")

    @model_validator(mode="after")
    def _consistent(self) -> "Parameter":
        if (self.values is None) == (self.range is None):
            raise ValueError(f"expected either values or a range; found {'both' if self.values is not None else 'neither'}")
        if self.range is not None:
            low, high = self.range
            if not low < high:
                raise ValueError(f"expected a range [low, high] with low below high; found {self.range}")
            if self.distribution == "loguniform" and low <= 0:
                raise ValueError(f"expected a range above 0 for loguniform; found {self.range}")
            if self.distribution == "triangular" and (self.mode is None or not low <= self.mode <= high):
                raise ValueError(f"expected a mode inside the range for triangular; found {self.mode}")
            if self.distribution == "normal" and (self.mean is None or self.sd is None):
                raise ValueError("expected a mean and sd for normal; found one missing")
        return self


class SweepSpec(_Spec):
    """A sweep file."""

    name: str = Field(..., min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$", description="Short name; the default output folder is outputs/sweep-<name>.")
    title: str = Field("", max_length=200, description="One-line title for charts.")
    description: str = Field("", description="What the sweep asks.")
    scenario: str = Field(..., min_length=1, description="Base scenario file, relative to the sweep file.")
    set: dict[str, Any] = Field({}, description="Scenario fields fixed for every run (key path: value), applied to the base.")
    design: Literal["grid", "latin", "sobol", "morris"] = Field(..., description="grid (every combination), latin (Latin hypercube), sobol (Saltelli) or morris (elementary effects).")
    samples: int | None = Field(None, gt=0, le=1_000_000, description="latin: points; sobol: base sample N (a power of 2); morris: trajectories.")
    levels: int = Field(4, ge=2, le=100, description="morris: grid levels.")
    second_order: bool = Field(False, description="sobol: also second-order indices (costs N*(2k+2) points instead of N*(k+2)).")
    replications: int = Field(1, gt=0, le=10_000, description="Replications of each design point.")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Root seed: each design point's seed derives from it and the point number.")
    uncertainty: Literal["parameters", "stochastic"] | None = Field(None, description="What the spread across replications includes: 'parameters' runs each replication with a parameter set drawn from the calibration ensemble (varied and `set` fields keep their values), 'stochastic' keeps the calibrated point. Default: parameters when the base scenario starts from another run (start_from), else stochastic; gpsim sweep --uncertainty overrides it.")
    common_random_numbers: bool = Field(False, description="Give every design point the same draws for the same replication (every point runs with the root seed).")
    parameters: dict[str, Parameter] = Field(..., min_length=1, description="Scenario fields to vary, by key path.")
    outcomes: list[str] = Field(list(experiment.DEFAULT_OUTCOMES), min_length=1, description="Scalar outcomes to keep (see sim.experiment.OUTCOMES).")
    series: list[str] = Field([], description="National figures to keep as yearly series.")
    confidence: float = Field(0.95, gt=0, lt=1, description="Confidence level of the sensitivity intervals.")
    resamples: int = Field(100, ge=10, le=100_000, description="Bootstrap resamples for the sensitivity intervals.")

