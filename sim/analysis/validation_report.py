"""The validation scorecard in words: in sample (the figures calibration was fitted to) apart from
out of sample (figures it never saw), each against a naive straight line, as a terminal table and
as Markdown (docs/validation.md is one of these)."""
from __future__ import annotations

import pandas as pd

from sim.analysis.targets import TargetFile
from sim.results.run import Results
from sim.scenario.reference import linked

IN_SAMPLE = "In sample: figures the calibration was fitted to"
OUT_OF_SAMPLE = "Out of sample: figures the calibration never saw (a test of the model)"


def _figure(value: float, count: bool) -> str:
    if pd.isna(value):
        return "-"
    return f"{value:,.0f}" if count else f"{value:.3f}"


def _numbers(row) -> dict[str, str]:
    """A scorecard row's figures as text: whole numbers for counts (a published figure of 10 or
    more with no fraction), three decimals for shares and rates."""
    count = float(row["published"]).is_integer() and abs(row["published"]) >= 10
    keys = ("published", "simulated_median", "simulated_low", "simulated_high", "tolerance", "naive", "error", "naive_error")
    return {key: _figure(row[key], count) for key in keys if key in row}


def _result(passed, fail: str = "FAIL") -> str:
    return "-" if passed is None or pd.isna(passed) else ("pass" if passed else fail)


def _split(card: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    fitted = card["fitted"].astype(bool) if "fitted" in card else pd.Series(False, index=card.index)
    return card[fitted], card[~fitted]


def _passes(card: pd.DataFrame) -> str:
    return f"{int(card['pass'].sum())} of {len(card)}"


def naive_summary(card: pd.DataFrame) -> str:
    """What the model adds over a straight line, on the targets a line can be drawn for."""
    drawn = card[card["naive"].notna()] if "naive" in card else card.iloc[:0]
    if drawn.empty:
        return "No straight-line benchmark can be drawn for these figures."
    closer = int((drawn["error"] < drawn["naive_error"]).sum())
    return (f"Against a straight line through the figures published by March 2019 (or the last one carried forward), "
            f"on the {len(drawn)} figures such a line can be drawn for: the model is within tolerance on "
            f"{_passes(drawn)}, the straight line on {int(drawn['naive_pass'].astype(bool).sum())} of {len(drawn)}; "
            f"the model is closer to the published figure on {closer} of {len(drawn)}.")


def pass_counts(card: pd.DataFrame) -> str:
    """In-sample and out-of-sample pass counts in one line."""
    inside, outside = _split(card)
    return (f"{_passes(card)} figures within tolerance ({_passes(inside)} in sample, "
            f"{_passes(outside)} out of sample)")


def comparison(calibrated: pd.DataFrame, uncalibrated: pd.DataFrame) -> str:
    """The calibrated and uncalibrated scorecards' pass counts, side by side."""
    return (f"Calibrated model: {pass_counts(calibrated)}.\n"
            f"Uncalibrated model (every calibrated setting at its prior): {pass_counts(uncalibrated)}.")


def _has_naive(part: pd.DataFrame) -> bool:
    return "naive" in part and bool(part["naive"].notna().any())


def format_scorecard(card: pd.DataFrame) -> str:
    """The scorecard as plain-text tables: in sample, then out of sample with the straight line."""
    lines = []
    for title, part in zip((IN_SAMPLE, OUT_OF_SAMPLE), _split(card)):
        if part.empty:
            continue
        line = _has_naive(part)
        lines += [title, f"{'target':26s} {'published':>12s} {'simulated [90% interval]':>36s} {'tolerance':>10s}  result"
                  + (f"  {'straight line':>13s}  result" if line else "")]
        for _, row in part.iterrows():
            n = _numbers(row)
            simulated = f"{n['simulated_median']} [{n['simulated_low']} to {n['simulated_high']}]"
            text = f"{row['target']:26s} {n['published']:>12s} {simulated:>36s} {n['tolerance']:>10s}  {_result(row['pass']):6s}"
            lines.append((text + f"  {n['naive']:>13s}  {_result(row['naive_pass'])}") if line else text.rstrip())
        lines += [f"{_passes(part)} within tolerance", ""]
    lines.append(f"In all, {pass_counts(card)}.")
    if "naive" in card:
        lines.append(naive_summary(_split(card)[1]))
    return "\n".join(lines)


def _table(part: pd.DataFrame) -> list[str]:
    line = _has_naive(part)
    extra = (" model off by | straight line | line off by | line result |", "---|---|---|---|") if line else ("", "")
    lines = [f"| figure | published | simulated (90% interval) | tolerance | result |{extra[0]} source |",
             f"|---|---|---|---|---|{extra[1]}---|"]
    for _, row in part.iterrows():
        n = _numbers(row)
        against = (f" {n['error']} | {n['naive']} | {n['naive_error']} | {_result(row['naive_pass'], 'fail')} |"
                   if line else "")
        lines.append(f"| {row['label']} | {n['published']} | {n['simulated_median']} "
                     f"({n['simulated_low']} to {n['simulated_high']}) | {n['tolerance']} | "
                     f"{_result(row['pass'], '**fail**')} |{against} {linked(row['source'])} |")
    return lines


def _misses(part: pd.DataFrame) -> str:
    missed = part.loc[~part["pass"].astype(bool), "label"].tolist()
    return f"Where the model misses: {'; '.join(missed)}." if missed else "The model misses none of them."


def markdown_report(card: pd.DataFrame, found: pd.DataFrame, results: Results, targets: TargetFile,
                    uncalibrated: pd.DataFrame | None = None) -> str:
    """The two scorecards, the straight-line benchmark, the uncalibrated pass counts and the
    emergent patterns as a Markdown page."""
    inside, outside = _split(card)
    ends = (pd.Period(targets.calibration_ends, freq="M").strftime("%B %Y") if targets.calibration_ends
            else "the end of the run")
    lines = ["# Validation against 2013-2023", "",
             (f"`gpsim validate --replications {results.replications}` (seed {results.seed}, targets version "
             f"{targets.version}): **{pass_counts(card)}.** Simulated values are the median and 90% interval across "
             "replications. Each tolerance is the published figure's own uncertainty or the smallest difference that "
             "would change a decision, never more than half the change the figure measures; tolerances, their reasons "
             "and how the model measures each figure are in `sim/data/validation_targets.yaml`."), ""]
    if uncalibrated is not None:
        lines += ["**What calibration adds.** " + comparison(card, uncalibrated).replace("\n", " "), ""]
    lines += [f"## {IN_SAMPLE}", "",
              (f"Calibration chose the model's uncertain settings to match these figures, all from {ends} or "
              f"earlier. Matching them shows the fit worked, not that the model predicts: "
              f"**{_passes(inside)} within tolerance.**"), ""] + _table(inside)
    lines += ["", f"## {OUT_OF_SAMPLE}", "",
              ("The calibration never saw these figures: most are from April 2019 on, after the network contract, and "
              "some are patterns across practices that no setting was tuned to. They are the test of whether the "
              f"model can be trusted beyond what it was fitted to: **{_passes(outside)} within tolerance.**"), "",
              naive_summary(outside), "", _misses(outside), ""] + _table(outside)
    lines += ["", "## Emergent patterns (not tuned to)", "",
              "| pattern | measure | value | comparison | reproduced |", "|---|---|---|---|---|"]
    for _, row in found.iterrows():
        lines.append(f"| {row['pattern']} | {row['measure']} | {row['value']:g} | {row['comparison']:g} | "
                     f"{'yes' if row['reproduced'] else '**no**'} |")
    lines += ["", "![History run against published figures](validation.png)", ""]
    return "\n".join(lines)
