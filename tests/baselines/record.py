"""Record the regression baselines: the national series, the networks and a per-practice summary
of the yearly practice snapshots of a few small runs.

    python tests/baselines/record.py

Re-record only when a change is meant to alter results (a mechanism, a default, the population,
the random draws), never to make a failing test pass unexplained: run the command above, check
with `git diff --stat tests/baselines` that the cases you expected changed, and say in the commit
message which change moved the figures and why. tests/test_regression.py then holds every later
change to these figures within its stated tolerance.
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))  # run as a script, the checkout's own sim comes first

from sim.results.start import start_model  # noqa: E402
from sim.scenario.loading import load  # noqa: E402

CASES = {
    # name: (scenario file relative to the project, overrides)
    "history_1500": ("scenarios/history_2013_2023.yaml", ["population.practices=1500"]),
    # from the history's April 2024 (a 1,500-practice 2013, as history_1500), six years on
    "status_quo_1500": ("scenarios/status_quo_2024.yaml", ["start_from.set.population.practices=1500", "months=72"]),
    "nhs_files": ("tests/fixtures/nhs/scenario.yaml", []),
}
TABLES = ("timeseries", "networks", "practices")

# Snapshot figures summarised per practice: the mean over the yearly snapshots (the path) and the
# last snapshot (where the practice ends up).
SUMMARISED = ("list_size", "gp_fte", "reserves_gbp", "continuity")

# How finely the output tables round these columns (GPModel.network_table and practice_table). A
# value within a last-bit error of a rounding boundary may round the other way on another
# processor, so a comparison allows one rounding step on top of the relative tolerance.
ROUNDING_STEP = {
    "networks": {"patients": 0.1},
    "practices": {"list_size_mean": 0.1, "list_size_last": 0.1, "gp_fte_mean": 0.001, "gp_fte_last": 0.001,
                  "reserves_gbp_mean": 1.0, "reserves_gbp_last": 1.0, "continuity_mean": 1e-4, "continuity_last": 1e-4},
}


def practice_summary(snapshots: pd.DataFrame) -> pd.DataFrame:
    """One row per practice slot: how many yearly snapshots found it open, how it ended, its
    networks in the last snapshot, and the mean and last value of each SUMMARISED figure."""
    by_practice = snapshots.groupby("practice_id", sort=True)
    networks = [column for column in snapshots.columns if column.startswith("network_")]
    summary = pd.DataFrame({"open_snapshots": by_practice["open"].sum(), "ended": by_practice["ended"].last()})
    for column in networks:
        summary[column] = by_practice[column].last()
    for column in SUMMARISED:
        summary[f"{column}_mean"] = by_practice[column].mean()
        summary[f"{column}_last"] = by_practice[column].last()
    return summary.reset_index()


def tables_as_text(name: str) -> dict[str, str]:
    """The case's tables as the CSV text its baseline files hold: the national series and the
    networks at full precision, the practice summary to 12 significant figures."""
    path, overrides = CASES[name]
    scenario = load(ROOT / path, overrides)
    model = start_model(scenario, replication=0, root_seed=scenario.seed).run()
    return {"timeseries": model.timeseries().to_csv(index=False),
            "networks": model.network_table().to_csv(index=False),
            "practices": practice_summary(model.practice_table()).to_csv(index=False, float_format="%.12g")}


def run_case(name: str) -> dict[str, pd.DataFrame]:
    """The case's tables, read back from their CSV text as the baselines are."""
    return {table: read(io.StringIO(text)) for table, text in tables_as_text(name).items()}


def read(source) -> pd.DataFrame:
    """A baseline table from a CSV file or text (a blank cell, as for a practice still open, is '')."""
    return pd.read_csv(source, keep_default_na=False)


def main() -> None:
    for name in CASES:
        for table, text in tables_as_text(name).items():
            (HERE / f"{name}.{table}.csv").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
