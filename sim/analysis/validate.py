"""Validation: score the history run against published figures, and check emergent patterns.

Targets and their tolerances live in sim/data/validation_targets.yaml, each with a reason, so
they are stated before any run is scored. No target value appears in the model's rules.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.report.charts import PALETTE, STYLE, _band, _months, _note
from sim.results.run import Results, run
from sim.scenario.errors import InputError
from sim.scenario.loading import resolve
from sim.scenario.messages import input_error
from sim.scenario.schema import YearMonth

PACKAGE = Path(__file__).resolve().parents[1]
TARGETS_FILE = PACKAGE / "data" / "validation_targets.yaml"
SCENARIOS = PACKAGE.parent / "scenarios"


class Target(BaseModel):
    """One published figure and how the simulation is measured against it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    label: str
    source: str
    statistic: Literal["value", "change", "relative_change", "snapshot_quantile"]
    column: str
    month: YearMonth
    month_from: YearMonth | None = None
    quantile: float | None = Field(None, ge=0, le=1)
    published: float
    tolerance: float = Field(gt=0)
    reason: str
    fitted: bool = Field(False, description="True where calibration is fitted to this target (in sample).")
    measured_as: str = Field("", description="How the model quantity measures what the published figure measures.")


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
    def _fitted_within_calibration(self) -> "TargetFile":
        for target in self.targets:
            if target.fitted and (self.calibration_ends is None or target.month > self.calibration_ends):
                raise ValueError(f"target '{target.id}' is fitted but its month {target.month} is after "
                                 f"calibration_ends ({self.calibration_ends})")
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


def _at(results: Results, column: str, month: str) -> np.ndarray:
    frame = results.timeseries
    if column not in frame:
        raise InputError("targets", column, f"expected a column of timeseries.csv; found '{column}'")
    values = frame.loc[frame["month"] == month].sort_values("replication")[column].to_numpy(dtype=float)
    if values.size == 0:
        raise InputError("targets", month, "expected a month inside the run")
    return values


def measure(target: Target, results: Results) -> np.ndarray:
    """The target's statistic in each replication."""
    if target.statistic == "value":
        return _at(results, target.column, target.month)
    if target.statistic in ("change", "relative_change"):
        before, after = _at(results, target.column, target.month_from), _at(results, target.column, target.month)
        return after - before if target.statistic == "change" else after / before - 1.0
    snapshot = results.practices
    rows = snapshot[(snapshot["month"] == target.month) & snapshot["open"]]
    return rows.groupby("replication")[target.column].quantile(target.quantile).to_numpy(dtype=float)


def scorecard(results: Results, targets: TargetFile) -> pd.DataFrame:
    """One row per target: published, simulated median and 90% interval, tolerance, pass."""
    rows = []
    for target in targets.targets:
        values = measure(target, results)
        median = float(np.median(values))
        rows.append({
            "target": target.id, "label": target.label, "source": target.source,
            "published": target.published, "simulated_median": median,
            "simulated_low": float(np.quantile(values, 0.05)), "simulated_high": float(np.quantile(values, 0.95)),
            "tolerance": target.tolerance, "pass": bool(abs(median - target.published) <= target.tolerance),
            "fitted": target.fitted,
        })
    return pd.DataFrame(rows)


def _ended_share(snapshot: pd.DataFrame, mask: pd.Series) -> float:
    return float((~snapshot.loc[mask, "open"]).mean()) if mask.any() else float("nan")


def patterns(results: Results, counterfactual: Results | None) -> pd.DataFrame:
    """Emergent patterns a sound model should show without being tuned to them."""
    last = results.practices[results.practices["month"] == results.practices["month"].max()]
    first = results.practices[results.practices["month"] == results.practices["month"].min()]
    rows = []

    def add(name: str, measure_text: str, value: float, comparison: float, reproduced: bool) -> None:
        rows.append({"pattern": name, "measure": measure_text, "value": round(value, 4),
                     "comparison": round(comparison, 4), "reproduced": bool(reproduced)})

    networks = results.networks
    banded = [name for name, o in results.scenario.organisations.items() if o.band is not None]
    for name in banded:
        band = results.scenario.organisations[name].band
        sizes = networks.loc[networks["type"] == name, "patients"]
        outside = float(((sizes < band.min_patients) | (sizes > band.max_patients)).mean())
        add(f"{name} networks form outside the paid band", "share of networks outside the band (median size as comparison)",
            outside, float(sizes.median()), 0.05 < outside < 0.95)
    small = last["initial_list_size"] < 4000
    add("small practices close or merge more often", "share ended: initial list under 4,000 (vs the rest)",
        _ended_share(last, small), _ended_share(last, ~small), _ended_share(last, small) > 1.5 * _ended_share(last, ~small))
    isolated = last["isolation_km"] >= last["isolation_km"].quantile(0.9)
    add("isolated practices close or merge more often", "share ended: most isolated tenth (vs the rest)",
        _ended_share(last, isolated), _ended_share(last, ~isolated), _ended_share(last, isolated) > _ended_share(last, ~isolated))
    keyed = first.set_index(["replication", "practice_id"])["continuity"]
    survivors = last[last["open"]].set_index(["replication", "practice_id"])
    fall = survivors["continuity"] - keyed.reindex(survivors.index)
    grew = survivors["list_size"] > 1.5 * survivors["initial_list_size"]
    add("continuity falls more in practices that grew", "change in continuity: list grew by half or more (vs the rest)",
        float(fall[grew].mean()), float(fall[~grew].mean()), float(fall[grew].mean()) < float(fall[~grew].mean()))
    sizes = networks.set_index(["replication", "network_id"])["patients"]
    in_large = np.zeros(len(last), dtype=bool)
    for name in results.scenario.organisations:
        slots = last[f"network_{name}"].to_numpy()
        keys = list(zip(last["replication"], slots))
        patients = sizes.reindex(keys).to_numpy(dtype=float)
        in_large |= np.nan_to_num(patients) > 100_000
    open_last = last["open"].to_numpy()
    large_turnover = float(last.loc[in_large & open_last, "gp_turnover_12m"].mean())
    other_turnover = float(last.loc[~in_large & open_last, "gp_turnover_12m"].mean())
    add("organisations over 100,000 patients retain GPs better", "GP turnover in members of organisations over 100k (vs the rest)",
        large_turnover, other_turnover, large_turnover < other_turnover)
    if counterfactual is not None:
        add(*_delayed_benefit(results, counterfactual))
    return pd.DataFrame(rows)


def _delayed_benefit(results: Results, counterfactual: Results) -> tuple:
    """GP turnover with the network contract minus without it, six and 24 months after it opens."""
    opens = [o.opens for o in results.scenario.organisations.values() if o.opens and o.band is not None]
    start = pd.Period(opens[0], freq="M") if opens else pd.Period(results.scenario.start, freq="M")
    effects = []
    for months in (6, 24):
        month = str(start + months)
        with_policy = _at(results, "gp_turnover_12m", month)
        without = _at(counterfactual, "gp_turnover_12m", month)
        effects.append(float(np.median(with_policy - without)))
    return ("network benefits arrive only after one to two years",
            "GP turnover difference from the counterfactual at 24 months (6 months as comparison)",
            effects[1], effects[0], effects[1] < effects[0] and effects[1] < 0)


def validate(replications: int = 5, seed: int | None = None, overrides: tuple[str, ...] = (),
             targets_path: str | Path | None = None, progress=None) -> tuple[pd.DataFrame, pd.DataFrame, Results, Results | None]:
    """Run the history scenario (and its counterfactual, with the same seeds) and score it.

    Returns:
        (scorecard, patterns, history results, counterfactual results or None).
    """
    targets = load_targets(targets_path)
    base = (Path(targets_path).parent if targets_path else SCENARIOS)
    history = run(base / targets.scenario if (base / targets.scenario).exists() else SCENARIOS / targets.scenario,
                  replications=replications, seed=seed, overrides=overrides, progress=progress)
    counterfactual = None
    if targets.counterfactual:
        path = base / targets.counterfactual if (base / targets.counterfactual).exists() else SCENARIOS / targets.counterfactual
        kinds = set(resolve(path).scenario.organisations)
        # Settings of organisation kinds the counterfactual does not have cannot apply to it.
        shared = tuple(o for o in overrides if not o.startswith("organisations.") or o.split(".")[1] in kinds)
        counterfactual = run(path, replications=replications, seed=history.seed, overrides=shared, progress=progress)
    return scorecard(history, targets), patterns(history, counterfactual), history, counterfactual


def validation_chart(results: Results, targets: TargetFile, directory: Path) -> Path:
    """Simulated national series (median, 90% band) against the published points, one panel each."""
    import matplotlib.pyplot as plt


    columns = list(dict.fromkeys(t.column for t in targets.targets if t.statistic == "value"))
    rows = int(np.ceil(len(columns) / 3))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(rows, 3, figsize=(16, 3.6 * rows), squeeze=False)
    for ax, column in zip(axes.ravel(), columns):
        _band(ax, results, column, "simulated", PALETTE[0])
        points = [t for t in targets.targets if t.column == column and t.statistic == "value"]
        x = _months([t.month for t in points])
        ax.errorbar(x, [t.published for t in points], yerr=[t.tolerance for t in points], fmt="o", color="black",
                    capsize=4, label="published, with tolerance")
        ax.set_title(column.replace("_", " "), loc="left", fontsize=12, fontweight="bold")
        ax.tick_params(labelsize=9)
    for ax in axes.ravel()[len(columns):]:
        ax.set_visible(False)
    axes[0, 0].legend(frameon=False, fontsize=9)
    fig.suptitle("History run against published figures, 2013-2023", x=0.01, ha="left", fontsize=15, fontweight="bold")
    _note(fig, results)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    directory.mkdir(parents=True, exist_ok=True)
    fig.savefig(directory / "validation.png", dpi=120)
    fig.savefig(directory / "validation.svg", metadata={"Date": None})
    plt.close(fig)
    return directory / "validation.png"


def _numbers(row) -> dict[str, str]:
    """A scorecard row's figures as text: whole numbers for counts (a published figure of 10 or
    more with no fraction), three decimals for shares and rates."""
    count = float(row["published"]).is_integer() and abs(row["published"]) >= 10
    return {key: f"{row[key]:,.0f}" if count else f"{row[key]:.3f}"
            for key in ("published", "simulated_median", "simulated_low", "simulated_high", "tolerance")}


def format_scorecard(card: pd.DataFrame) -> str:
    """The scorecard as a plain-text table."""
    lines = [f"{'target':26s} {'published':>12s} {'simulated [90% interval]':>36s} {'tolerance':>10s}  result"]
    for _, row in card.iterrows():
        n = _numbers(row)
        simulated = f"{n['simulated_median']} [{n['simulated_low']} to {n['simulated_high']}]"
        lines.append(f"{row['target']:26s} {n['published']:>12s} {simulated:>36s} {n['tolerance']:>10s}  "
                     f"{'pass' if row['pass'] else 'FAIL'}")
    lines.append(f"{int(card['pass'].sum())} of {len(card)} targets within tolerance")
    return "\n".join(lines)


def markdown_report(card: pd.DataFrame, found: pd.DataFrame, results: Results, targets: TargetFile) -> str:
    """The scorecard and patterns as a Markdown page (docs/validation.md is one of these)."""
    lines = ["# Validation against 2013-2023", "",
             f"`gpsim validate --replications {results.replications}` (seed {results.seed}, targets version {targets.version}): "
             f"**{int(card['pass'].sum())} of {len(card)} targets within tolerance.** Simulated values are the median and "
             "90% interval across replications. Tolerances and their reasons are in `sim/data/validation_targets.yaml`.", "",
             "| target | published | simulated (90% interval) | tolerance | result | source |", "|---|---|---|---|---|---|"]
    for _, row in card.iterrows():
        n = _numbers(row)
        lines.append(f"| {row['label']} | {n['published']} | {n['simulated_median']} "
                     f"({n['simulated_low']} to {n['simulated_high']}) | {n['tolerance']} | "
                     f"{'pass' if row['pass'] else '**fail**'} | {row['source'].removeprefix('evidence: ')} |")
    lines += ["", "## Emergent patterns (not tuned to)", "",
              "| pattern | measure | value | comparison | reproduced |", "|---|---|---|---|---|"]
    for _, row in found.iterrows():
        lines.append(f"| {row['pattern']} | {row['measure']} | {row['value']:g} | {row['comparison']:g} | "
                     f"{'yes' if row['reproduced'] else '**no**'} |")
    lines += ["", "![History run against published figures](validation.png)", ""]
    return "\n".join(lines)
