"""Validation: score the history run against published figures, and check emergent patterns.

Targets and their tolerances live in sim/data/validation_targets.yaml, each with a reason, so
they are stated before any run is scored. No target value appears in the model's rules.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.targets import (
    PACKAGE,
    TARGETS_FILE,
    Target,
    TargetFile,
    at_month,
    load_targets,
    measure,
)
from sim.analysis.validation_report import comparison, format_scorecard, markdown_report
from sim.report.charts import PALETTE, STYLE, _band, _months, _note
from sim.results.run import Results, run
from sim.scenario.loading import resolve
from sim.scenario.schema import PRIORS

__all__ = ["TARGETS_FILE", "Target", "TargetFile", "comparison", "format_scorecard", "load_targets", "markdown_report", "measure",
           "scorecard", "validate"]
SCENARIOS = PACKAGE.parent / "scenarios"


def scorecard(results: Results, targets: TargetFile) -> pd.DataFrame:
    """One row per target: published, simulated median and 90% interval, tolerance, pass; whether
    calibration was fitted to it; and the naive benchmark (a straight line through earlier
    published figures, empty where none can be drawn) scored with the same tolerance."""
    rows = []
    for target in targets.targets:
        values = measure(target, results)
        median = float(np.median(values))
        naive = target.naive_value
        rows.append({
            "target": target.id, "label": target.label, "source": target.source,
            "published": target.published, "simulated_median": median,
            "simulated_low": float(np.quantile(values, 0.05)), "simulated_high": float(np.quantile(values, 0.95)),
            "tolerance": target.tolerance, "pass": bool(abs(median - target.published) <= target.tolerance),
            "fitted": target.fitted, "error": abs(median - target.published),
            "naive": np.nan if naive is None else naive,
            "naive_error": np.nan if naive is None else abs(naive - target.published),
            "naive_pass": None if naive is None else bool(abs(naive - target.published) <= target.tolerance),
        })
    return pd.DataFrame(rows)


def prior_overrides() -> tuple[str, ...]:
    """Every calibrated parameter set back to its uncalibrated prior, as --set overrides."""
    return tuple(f"{key}={value!r}" for key, value in sorted(PRIORS.items()))


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
        with_policy = at_month(results, "gp_turnover_12m", month)
        without = at_month(counterfactual, "gp_turnover_12m", month)
        effects.append(float(np.median(with_policy - without)))
    return ("network benefits arrive only after one to two years",
            "GP turnover difference from the counterfactual at 24 months (6 months as comparison)",
            effects[1], effects[0], effects[1] < effects[0] and effects[1] < 0)


def validate(replications: int = 5, seed: int | None = None, overrides: tuple[str, ...] = (),
             targets_path: str | Path | None = None, progress=None, uncalibrated: bool = False,
             counterfactual: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, Results, Results | None]:
    """Run the history scenario (and its counterfactual, with the same seeds) and score it.

    uncalibrated sets every calibrated parameter to its prior first (the given overrides still
    apply after them); counterfactual=False skips the counterfactual run (the patterns then
    leave out the delayed network benefit).

    Returns:
        (scorecard, patterns, history results, counterfactual results or None).
    """
    targets = load_targets(targets_path)
    overrides = (prior_overrides() if uncalibrated else ()) + tuple(overrides)
    base = (Path(targets_path).parent if targets_path else SCENARIOS)
    history = run(base / targets.scenario if (base / targets.scenario).exists() else SCENARIOS / targets.scenario,
                  replications=replications, seed=seed, overrides=overrides, progress=progress)
    other = None
    if targets.counterfactual and counterfactual:
        path = base / targets.counterfactual if (base / targets.counterfactual).exists() else SCENARIOS / targets.counterfactual
        kinds = set(resolve(path).scenario.organisations)
        # Settings of organisation kinds the counterfactual does not have cannot apply to it.
        shared = tuple(o for o in overrides if not o.startswith("organisations.") or o.split(".")[1] in kinds)
        other = run(path, replications=replications, seed=history.seed, overrides=shared, progress=progress)
    return scorecard(history, targets), patterns(history, other), history, other


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
        lined = [t for t in points if t.naive is not None]
        if lined:
            months = [lined[0].naive.points[0][0], max(t.month for t in lined)]
            ax.plot(_months(months), [lined[0].naive.at(m) for m in months], linestyle="--", color=PALETTE[1],
                    label="straight line from figures to Mar 2019")
        ax.set_title(column.replace("_", " "), loc="left", fontsize=12, fontweight="bold")
        ax.tick_params(labelsize=9)
    for ax in axes.ravel()[len(columns):]:
        ax.set_visible(False)
    for ax in axes.ravel()[:len(columns)]:
        if len(ax.get_legend_handles_labels()[0]) == 3:  # the first panel with the straight line explains all three
            ax.legend(frameon=False, fontsize=9)
            break
    else:
        axes[0, 0].legend(frameon=False, fontsize=9)
    fig.suptitle("History run against published figures, 2013-2023", x=0.01, ha="left", fontsize=15, fontweight="bold")
    _note(fig, results)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    directory.mkdir(parents=True, exist_ok=True)
    fig.savefig(directory / "validation.png", dpi=120)
    fig.savefig(directory / "validation.svg", metadata={"Date": None})
    plt.close(fig)
    return directory / "validation.png"
