"""Sensitivity analysis of a finished sweep: Sobol (S1, ST) or Morris (mu*, sigma) indices with
bootstrap intervals, per outcome, and their ranked chart."""
from __future__ import annotations

import itertools
import math
import warnings
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from sim.analysis import evaluate as experiment
from sim.analysis.sweep.design import Sweep, unit_problem
from sim.analysis.sweep.store import write_bytes
from sim.report.charts import PALETTE, STYLE, plt, source_note
from sim.report.notebook import load_backend
from sim.results.folder import atomic_file
from sim.results.seeds import design_seed


def point_means(sweep: Sweep, runs: Path) -> dict[str, np.ndarray]:
    """Each outcome's mean over replications at each design point, in point order."""
    table = pq.read_table(runs, columns=["point", *sweep.outcomes]).to_pandas()
    means = table.groupby("point", sort=True)[sweep.outcomes].mean()
    return {name: means[name].to_numpy(dtype=float) for name in sweep.outcomes}


def sensitivity(sweep: Sweep, runs: Path):
    """Sobol (S1, ST) or Morris (mu*, sigma) indices with confidence intervals, per outcome.

    Columns: outcome, parameter, then the design's indices and their '_conf' half-widths at the
    sweep's confidence level, and rank (1 = most influential: by ST or mu*).
    """
    return indices(sweep, runs)[0]


def indices(sweep: Sweep, runs: Path) -> tuple:
    """The first-order and total indices (as sensitivity), and for a Sobol design with
    second_order the second-order indices of each pair of parameters: outcome, parameter,
    other_parameter, S2, S2_conf (else None)."""
    import pandas as pd
    spec = sweep.spec
    pairs = []
    unit, _ = sweep.design()
    problem = unit_problem(sweep)
    seed = design_seed(spec.seed)
    rows = []
    for outcome, y in point_means(sweep, runs).items():
        usable = bool(np.all(np.isfinite(y))) and float(np.ptp(y)) > 0
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if spec.design == "sobol":
                from SALib.analyze import sobol
                result = sobol.analyze(problem, y, calc_second_order=spec.second_order, num_resamples=spec.resamples,
                                       conf_level=spec.confidence, seed=seed) if usable else None
                keys = ("S1", "S1_conf", "ST", "ST_conf")
            else:
                from SALib.analyze import morris
                result = morris.analyze(problem, unit, y, num_resamples=spec.resamples, conf_level=spec.confidence,
                                        num_levels=spec.levels, seed=seed) if usable else None
                keys = ("mu", "mu_star", "mu_star_conf", "sigma")
        for i, name in enumerate(problem["names"]):
            row = {"outcome": outcome, "parameter": name}
            for key in keys:
                row[key] = float(np.asarray(result[key])[i]) if result is not None else math.nan
            rows.append(row)
        if spec.design == "sobol" and spec.second_order:
            names = problem["names"]
            for first, second in itertools.combinations(range(len(names)), 2):
                pairs.append({"outcome": outcome, "parameter": names[first], "other_parameter": names[second],
                              **{key: float(np.asarray(result[key])[first, second]) if result is not None else math.nan
                                 for key in ("S2", "S2_conf")}})
    frame = pd.DataFrame(rows)
    by = "ST" if spec.design == "sobol" else "mu_star"
    frame["rank"] = frame.groupby("outcome")[by].rank(ascending=False, method="first").astype("Int64")
    second = pd.DataFrame(pairs, columns=["outcome", "parameter", "other_parameter", "S2", "S2_conf"]) \
        if spec.design == "sobol" and spec.second_order else None
    return frame, second


def write_sensitivity(sweep: Sweep, folder: Path) -> Path:
    """Write sensitivity.csv (and sensitivity_second_order.csv for a Sobol design with
    second_order) and the ranked chart (sensitivity.png, .svg); return the CSV path."""
    frame, second = indices(sweep, folder / "runs.parquet")
    path = folder / "sensitivity.csv"
    write_bytes(path, frame.to_csv(index=False, float_format="%.6g").encode("utf-8"))
    if second is not None:
        write_bytes(folder / "sensitivity_second_order.csv", second.to_csv(index=False, float_format="%.6g").encode("utf-8"))
    sensitivity_chart(sweep, frame, folder)
    return path


def sensitivity_chart(sweep: Sweep, frame, folder: Path) -> None:
    """One panel per outcome: parameters ranked by total (Sobol ST) or mean absolute (Morris mu*)
    effect, with confidence intervals."""

    spec = sweep.spec
    sobol = spec.design == "sobol"
    outcomes = list(dict.fromkeys(frame["outcome"]))
    load_backend()
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(outcomes), 1, figsize=(12.5, 1.2 + (0.45 * len(sweep.varied) + 0.9) * len(outcomes)),
                                 squeeze=False)
        for ax, outcome in zip(axes[:, 0], outcomes):
            part = frame[frame["outcome"] == outcome].sort_values("rank", ascending=False)
            y = np.arange(len(part))
            label = experiment.OUTCOMES[outcome].description
            if part[("ST" if sobol else "mu_star")].isna().all():
                ax.text(0.5, 0.5, "no variation in this outcome: indices undefined", transform=ax.transAxes, ha="center")
            elif sobol:
                ax.barh(y + 0.2, part["ST"], 0.4, xerr=part["ST_conf"], color=PALETTE[0], label="Total effect (ST)", capsize=3)
                ax.barh(y - 0.2, part["S1"], 0.4, xerr=part["S1_conf"], color=PALETTE[1], label="First order (S1)", capsize=3)
                ax.set_xlabel("Sobol index (share of variance)")
            else:
                ax.barh(y, part["mu_star"], 0.6, xerr=part["mu_star_conf"], color=PALETTE[0], label="mu* (mean |elementary effect|)", capsize=3)
                ax.plot(part["sigma"], y, "D", color=PALETTE[5], label="sigma (interactions, non-linearity)")
                ax.set_xlabel("Effect on the outcome of moving a parameter across its range (outcome units)")
            ax.set_yticks(y, part["parameter"])
            ax.set_title(label, loc="left", fontsize=12)
            ax.legend(loc="lower left", bbox_to_anchor=(1.01, 0.0), fontsize=9, frameon=False)
        level = f"{spec.confidence:.0%}"
        fig.suptitle(spec.title or f"Sensitivity: {spec.name} ({spec.design})", x=0.01, ha="left", fontweight="bold")
        fig.tight_layout(rect=(0, 0.05, 1, 1))
        source_note(fig, f"Bars ranked by influence; whiskers: {level} bootstrap intervals. Source: gpsim sweep '{spec.name}', "
                    f"{sweep.points} points x {spec.replications} replication(s), root seed {spec.seed}.")
        for suffix in ("png", "svg"):
            with atomic_file(folder / f"sensitivity.{suffix}") as work:
                fig.savefig(work, format=suffix)
        plt.close(fig)
