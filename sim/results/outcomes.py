"""The headline outcomes and how they are summarised: labels, units, years compared, equity
groups and measures, and the tables of medians and 90% intervals read by comparisons and briefings."""
from __future__ import annotations

import numpy as np
import pandas as pd

HEADLINE = [
    ("practices", "Practices open", "{:,.0f}"),
    ("mean_list_size", "Mean list size (patients)", "{:,.0f}"),
    ("network_coverage_practices", "Practices in a network (share)", "{:.3f}"),
    ("networks", "Organisations (all kinds)", "{:,.0f}"),
    ("gp_fte_per_1000", "GP FTE per 1,000 patients", "{:.3f}"),
    ("gp_turnover_12m", "GP turnover, last 12 months", "{:.3f}"),
    ("locum_share", "Locum share of GP FTE", "{:.3f}"),
    ("continuity", "Continuity (usual-GP share)", "{:.3f}"),
    ("practices_in_deficit", "Practices in deficit (share)", "{:.3f}"),
    ("closures_12m", "Practices closed or merged, 12 months", "{:,.0f}"),
]

YEARS = (1, 3, 5, 10)
# How each headline outcome is measured, for axis labels and plain-words numbers.
UNITS = {"practices": "practices", "mean_list_size": "patients", "network_coverage_practices": "share",
         "networks": "organisations", "gp_fte_per_1000": "GP FTE per 1,000 patients", "gp_turnover_12m": "share",
         "locum_share": "share", "continuity": "share", "practices_in_deficit": "share", "closures_12m": "practices"}
GROUPS = {"small": "Small (list under 4,000 at start)", "rural": "Rural", "deprived": "Most deprived fifth",
          "isolated": "Most isolated tenth"}
MEASURES = {"closed_or_merged": "Closed or merged since the start", "in_deficit": "In deficit (negative reserves)",
            "gp_turnover_12m": "GP turnover, last 12 months", "continuity": "Continuity (usual-GP share)"}
SMALL_LIST = 4000


def format_value(column: str, value: float, difference: bool = False) -> str:
    """A figure as it appears in the briefing: shares as % (differences in percentage points).

    Args:
        column: the outcome (a key of UNITS, or an equity measure, all of which are shares).
        value: the number.
        difference: format as a signed difference.
    """
    unit = UNITS.get(column, "share")
    if unit == "share":
        number, digits, suffix = value * 100, 1, (" pp" if difference else "%")
    else:
        number, digits, suffix = value, (3 if column == "gp_fte_per_1000" else 0), ""
    number = round(float(number), digits) + 0.0  # + 0.0 turns -0.0 into 0.0
    sign = "+" if difference and number > 0 else ""
    return f"{sign}{number:,.{digits}f}{suffix}"


def year_months(timeseries: pd.DataFrame, years=YEARS) -> dict[int, str]:
    """The month label at the end of each whole year of a run (year y ends after 12*y months);
    years beyond the run are left out."""
    months = sorted(timeseries["month"].unique())
    return {year: months[12 * year - 1] for year in years if 12 * year <= len(months)}


def median_and_interval(values: pd.Series | np.ndarray) -> tuple[float, float, float]:
    values = pd.Series(values, dtype=float)
    return float(values.median()), float(values.quantile(0.05)), float(values.quantile(0.95))


def by_replication(frame: pd.DataFrame, column: str, month: str) -> pd.Series:
    return frame.loc[frame["month"] == month].set_index("replication")[column].sort_index()


def outcome_table(timeseries: dict[str, pd.DataFrame], years: dict[int, str]) -> pd.DataFrame:
    """Each headline outcome at each year: median and 90% interval per scenario, and the paired
    difference from the first scenario (replication r minus replication r) with its interval.

    Args:
        timeseries: scenario label -> its timeseries (all replications); the first is the baseline.
        years: year -> month label at the end of that year.
    """
    rows = []
    baseline = next(iter(timeseries.values()))
    for column, label, _ in HEADLINE:
        for year, month in years.items():
            base = by_replication(baseline, column, month)
            for name, frame in timeseries.items():
                values = by_replication(frame, column, month)
                median, low, high = median_and_interval(values)
                d_median, d_low, d_high = median_and_interval(values - base)
                rows.append({"outcome": column, "label": label, "unit": UNITS[column], "year": year, "month": month,
                             "scenario": name, "median": median, "low": low, "high": high,
                             "difference_median": d_median, "difference_low": d_low, "difference_high": d_high})
    return pd.DataFrame(rows)


def group_masks(snapshot: pd.DataFrame) -> dict[str, pd.Series]:
    """Which practice slots of one replication's snapshot belong to each equity group.

    Args:
        snapshot: one replication and month of Results.practices (every slot, open or not).
    """
    return {"small": snapshot["initial_list_size"] < SMALL_LIST,
            "rural": snapshot["rural"].astype(bool),
            "deprived": snapshot["deprivation"] >= snapshot["deprivation"].quantile(0.8),
            "isolated": snapshot["isolation_km"] >= snapshot["isolation_km"].quantile(0.9)}


def equity_measures(practices: pd.DataFrame) -> dict[str, float]:
    """The equity measures of a set of practice slots.

    Closure counts every slot that started in the set; the others describe practices still open,
    with continuity weighted by list size as the national figure is.
    """
    alive = practices[practices["open"].astype(bool)]
    weights = alive["list_size"].to_numpy()
    return {"closed_or_merged": float((practices["ended"] != "").mean()) if len(practices) else np.nan,
            "in_deficit": float((alive["reserves_gbp"] < 0).mean()) if len(alive) else np.nan,
            "gp_turnover_12m": float(alive["gp_turnover_12m"].mean()) if len(alive) else np.nan,
            "continuity": float(np.average(alive["continuity"], weights=weights)) if weights.sum() > 0 else np.nan}
