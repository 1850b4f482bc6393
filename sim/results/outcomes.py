"""The headline outcomes and how they are summarised: labels, units, years compared, equity
groups and measures, and the tables of medians and 90% intervals read by comparisons and briefings."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Outcome:
    """A headline outcome and the smallest difference in it that matters to a policymaker.

    Attributes:
        column: its column in timeseries.csv (or a figure derived from them, see with_derived).
        label: plain-words name.
        unit: how it is measured (a key of DIGITS).
        important: smallest important difference, in the column's own units: a paired interval
            lying wholly inside plus or minus this is 'no clear difference'.
        why: the reason for that size.
    """

    column: str
    label: str
    unit: str
    important: float
    why: str


ONE_POINT_OF_PRACTICES = "1 percentage point, about 64 of 6,400 practices"
# The outcomes every comparison and run reports, whatever the policy.
CORE = [
    Outcome("practices", "Practices open", "practices", 40,
            "about 0.6% of England's 6,400 practices (2023), a quarter of the 160 a year England lost in 2013-2023 (8,044 to 6,419)"),
    Outcome("mean_list_size", "Mean list size", "patients", 100,
            "about 1% of a mean list of 9,700 (2023), under half a year's growth in 2013-2023 (6,967 to 9,724)"),
    Outcome("gp_fte_per_1000", "GP FTE per 1,000 patients", "GP FTE per 1,000 patients", 0.005,
            "about 300 full-time GPs for England's 62 million patients, half a year's fall in 2015-2022 (0.53 to 0.45)"),
    Outcome("continuity", "Continuity (usual-GP share)", "share", 0.01,
            "1 percentage point of consultations with the usual GP, about half a year's fall in the simulated 2013-2021"),
    Outcome("practices_in_deficit", "Practices in deficit (share)", "share", 0.01, ONE_POINT_OF_PRACTICES),
    Outcome("closures_12m", "Practices closed or merged, last 12 months", "practices", 10,
            "under a tenth of the 160 practices a year England lost in 2013-2023"),
    Outcome("incentive_spend_12m_gbp", "Incentive spend, last 12 months", "GBP", 10e6,
            "about 1% of the roughly GBP 1bn a year the simulated status quo spends on network payments, support and roles"),
]
# Shown when a comparison changes the networks or their payments (and always for a single run).
NETWORKS = [
    Outcome("network_coverage_practices", "Practices in any organisation (share)", "share", 0.01, ONE_POINT_OF_PRACTICES),
    Outcome("networks", "Organisations (all kinds)", "organisations", 20,
            "about 1% of the 1,600 organisations of all kinds in the simulated April 2024"),
]
# Shown when a comparison changes the workforce or the additional roles (and always for a single run).
WORKFORCE = [
    Outcome("gp_turnover_12m", "GP turnover, last 12 months", "share", 0.005,
            "half a percentage point of GPs leaving a year, about 180 of 37,000 GPs"),
    Outcome("locum_share", "Locum share of GP FTE", "share", 0.005, "half a percentage point of GP time"),
    Outcome("additional_roles_fte", "Additional roles in post (FTE)", "FTE", 300,
            "about 1% of the 34,000 additional roles staff in post (September 2024)"),
]


# Shown when a comparison changes the organisations and a scenario has integrated providers.
PROVIDERS = [
    Outcome("contracts_handed_back_12m", "Contracts handed back, last 12 months", "practices", 2, "a fifth of the 10 or so contracts a year the simulated status quo sees handed back"),
    Outcome("practices_taken_over_12m", "Practices taken over, last 12 months", "practices", 2, "as contracts handed back, whose place a takeover takes"),
    Outcome("patients_kept_12m", "Patients kept by takeovers, last 12 months", "patients", 5000, "about one practice's list (a mean list of 9,700 in 2023)"),
    Outcome("taken_over_continuity", "Continuity in practices taken over", "share", 0.01, "as the national figure"),
]
# Providers' reach: headline for a single run; in a comparison in comparison.csv but not headline,
# since they differ by design and on the difference chart's shared axis would flatten the rest.
PROVIDER_REACH = [
    Outcome("provider_budget_gbp", "Provider budgets, this month", "GBP", 5e6,
            "about 1% of a month's budget at 100 GBP a patient a year for England's 62 million patients"),
]


def provider_outcomes(kind: str) -> list[Outcome]:
    """The outcomes of one integrated provider kind."""
    name = kind.upper() if len(kind) <= 4 else kind.replace("_", "-")
    return [Outcome(f"patient_coverage_{kind}", f"Patients covered by a {name} provider (share)", "share", 0.01,
                    "1 percentage point of patients, about 620,000 of England's 62 million")]


def network_outcomes(kind: str) -> list[Outcome]:
    """The outcomes of an organisation kind paid under a size band (the PCNs)."""
    name = kind.upper() if len(kind) <= 4 else kind
    return [
        Outcome(f"paid_coverage_{kind}", f"Practices in a paid {name} (share)", "share", 0.01, ONE_POINT_OF_PRACTICES),
        Outcome(f"networks_{kind}", f"Number of {name}s", "organisations", 20, "about 1.5% of the 1,250 PCNs"),
        Outcome(f"in_band_{kind}", f"{name}s within the paid band (share)", "share", 0.02,
                "2 percentage points, about 25 of 1,250 PCNs"),
        Outcome(f"median_patients_{kind}", f"Median {name} size (patients)", "patients", 1000,
                "1,000 patients is 2-3% of a 30,000-50,000 network, less than one small practice"),
    ]


def find_outcome(column: str) -> Outcome | None:
    """The Outcome of a column, or None for a column that is not an outcome."""
    for outcome in [*CORE, *NETWORKS, *WORKFORCE, *PROVIDERS, *PROVIDER_REACH]:
        if outcome.column == column:
            return outcome
    if column.startswith("patient_coverage_"):
        return provider_outcomes(column[len("patient_coverage_"):])[0]
    for prefix in ("paid_coverage_", "networks_", "in_band_", "median_patients_"):
        if column.startswith(prefix):
            return next((o for o in network_outcomes(column[len(prefix):]) if o.column == column), None)
    return None


def importance_markdown() -> str:
    """The smallest important differences as the Markdown table in docs/outputs.md (PCN outcomes
    for the kind 'pcn'; equity gaps last)."""
    rows = ["| outcome | column | group | smallest important difference | why |", "|---|---|---|---|---|"]
    for group, outcomes in (("core", CORE), ("networks", network_outcomes("pcn") + NETWORKS), ("workforce", WORKFORCE),
                            ("providers", PROVIDERS + PROVIDER_REACH + provider_outcomes("<kind>"))):
        for o in outcomes:
            size = format_value(o.unit, o.important, True).lstrip("+")
            rows.append(f"| {o.label} | {o.column} | {group} | {size} | {o.why} |")
    for measure, important in MEASURE_IMPORTANT.items():
        rows.append(f"| Equity gap: {MEASURES[measure]} | {measure} | equity | {format_value('share', important, True).lstrip('+')} "
                    f"| as the national figure |")
    return "\n".join(rows)


# Settings (dotted key prefixes) whose change makes each group of outcomes a headline.
RELEVANT = (("organisations.", "networks"), ("organisations.", "providers"), ("additional_roles.", "workforce"),
            ("workforce.", "workforce"))
# Figures that are empty, not zero, where a scenario has nothing to measure (no organisations of
# a kind, no practice taken over).
EMPTY_WHEN_NONE = ("in_band_", "median_patients_", "taken_over_continuity", "continuity_kept_at_takeover_12m")
YEARS = (1, 3, 5, 10)
# A run that draws its own starting population (no start_from) spends its first year settling
# from it (docs/ODD.md, starting from another run's state): shaded on charts, not judged.
START_UP_MONTHS = 12
# Fewer replications than this give no verdict: 5%/95% quantiles of one or two values are not an interval.
MIN_REPLICATIONS = 3
VERDICTS = ("higher", "lower", "no clear difference", "too few replications", "not comparable", "start-up year")
# Decimal places a figure is printed with, by unit, and how it is scaled and suffixed.
DIGITS = {"share": 1, "practices": 0, "patients": 0, "organisations": 0, "GP FTE per 1,000 patients": 3,
          "FTE": 0, "GBP": 1}
GROUPS = {"small": "Small (list under 4,000 at start)", "rural": "Rural", "deprived": "Most deprived fifth",
          "isolated": "Most isolated tenth"}
MEASURES = {"closed_or_merged": "Closed or merged since the start", "in_deficit": "In deficit (negative reserves)",
            "gp_turnover_12m": "GP turnover, last 12 months", "continuity": "Continuity (usual-GP share)"}
# Smallest important gap (group minus rest) or change in gap, in shares, as for the national figures.
MEASURE_IMPORTANT = {"closed_or_merged": 0.01, "in_deficit": 0.01, "gp_turnover_12m": 0.005, "continuity": 0.01}
SMALL_LIST = 4000


def banded_kinds(timeseries: pd.DataFrame) -> list[str]:
    """Organisation kinds with a paid size band somewhere in the run (the PCNs)."""
    return [c[len("in_band_"):] for c in timeseries.columns if c.startswith("in_band_") and timeseries[c].notna().any()]


def outcomes_for(timeseries: pd.DataFrame, changed: list[str] | None = None) -> list[Outcome]:
    """The headline outcomes: the core set always; network and workforce outcomes for a single
    run (changed=None) or when a changed setting concerns them.

    Args:
        timeseries: a run's timeseries (the baseline's, in a comparison).
        changed: dotted keys of the settings on which compared scenarios differ.
    """
    groups = {"networks", "workforce", "providers"} if changed is None else \
        {group for prefix, group in RELEVANT if any(key.startswith(prefix) for key in changed)}
    chosen = list(CORE)
    if "networks" in groups:
        chosen += [o for kind in banded_kinds(timeseries) for o in network_outcomes(kind)] + NETWORKS
    if "workforce" in groups:
        chosen += WORKFORCE
    if "providers" in groups and "practices_taken_over_12m" in timeseries.columns:
        kinds = [c[len("patient_coverage_"):] for c in timeseries.columns if c.startswith("patient_coverage_")]
        chosen += PROVIDERS
        if changed is None:
            chosen += PROVIDER_REACH + [o for kind in kinds for o in provider_outcomes(kind)]
    derived = {"incentive_spend_12m_gbp"}
    return [o for o in chosen if o.column in timeseries.columns or o.column in derived]


def outcomes_of_all(timeseries: list[pd.DataFrame], changed: list[str] | None = None) -> list[Outcome]:
    """The headline outcomes of several scenarios compared (outcomes_for each, in order, once):
    a kind of organisation only a later scenario has brings its outcomes too."""
    chosen: dict[str, Outcome] = {}
    for frame in timeseries:
        chosen.update({o.column: o for o in outcomes_for(frame, changed) if o.column not in chosen})
    return list(chosen.values())


def with_derived(timeseries: pd.DataFrame) -> pd.DataFrame:
    """The timeseries with the figures derived from its columns: incentive_spend_12m_gbp, the
    spend of the last 12 months (annualised from the months so far in a run's first 11)."""
    frame = timeseries.sort_values(["replication", "month"], kind="stable")
    spend = frame.groupby("replication")["incentive_spend_gbp"].transform(lambda s: s.rolling(12, min_periods=1).mean() * 12)
    return timeseries.assign(incentive_spend_12m_gbp=spend.reindex(timeseries.index))


def _scale(unit: str, value: float, difference: bool) -> tuple[float, str, str]:
    """A figure in its printed unit: (number, prefix, suffix)."""
    if unit == "share":
        return value * 100, "", (" pp" if difference else "%")
    if unit == "GBP":
        return value / 1e6, "£", "m"
    return value, "", ""


# Differences within NOISE of zero are floating-point rounding of equal figures, not differences.
NOISE = 1e-9


def format_value(unit: str, value: float, difference: bool = False, extra: int = 0) -> str:
    """A figure as it appears in the briefing: shares as % (differences in percentage points),
    money in GBP millions.

    Args:
        unit: the figure's unit (a key of DIGITS; an equity measure's unit is 'share').
        value: the number.
        difference: format as a signed difference.
        extra: decimal places beyond the unit's usual ones.
    """
    if value is None or pd.isna(value):
        return "n/a"
    number, prefix, suffix = _scale(unit, value, difference)
    digits = DIGITS.get(unit, 1) + extra
    number = round(float(number), digits) + 0.0  # + 0.0 turns -0.0 into 0.0
    sign = "+" if difference and number > 0 else ("-" if number < 0 else "")
    return f"{sign}{prefix}{abs(number):,.{digits}f}{suffix}"


def difference_digits(unit: str, low: float, high: float, important: float = 0.0) -> int:
    """Extra decimal places (up to 4) so that no end of an interval that matters prints as zero:
    neither end of an interval wholly on one side of zero (that would hide that it does not cross
    zero), nor an end of at least a hundredth of the smallest important difference."""
    if pd.isna(low) or pd.isna(high):
        return 0
    one_sided = low > NOISE or high < -NOISE
    ends = [_scale(unit, v, True)[0] for v in (low, high) if abs(v) > NOISE and (one_sided or abs(v) >= important / 100)]
    for extra in range(5):
        if all(round(v, DIGITS.get(unit, 1) + extra) != 0 for v in ends):
            return extra
    return 4


def format_interval(unit: str, median: float, low: float, high: float, difference: bool = False,
                    brackets: bool = False, important: float = 0.0) -> str:
    """'median (90% interval low to high)' or 'median [low to high]'; differences at the precision
    that shows the sign of each end that matters (see difference_digits)."""
    if pd.isna(median):
        return "n/a"  # no organisations of that kind, say
    extra = difference_digits(unit, low, high, important) if difference else 0
    m, lo, hi = (format_value(unit, v, difference, extra) for v in (median, low, high))
    return f"{m} [{lo} to {hi}]" if brackets else f"{m} (90% interval {lo} to {hi})"


def start_up_months(scenario) -> int:
    """Months a scenario spends settling from its start: START_UP_MONTHS when it draws its own
    population, 0 when it starts from another run's state.

    Args:
        scenario: a Scenario, or its dict (a manifest's 'scenario').
    """
    origin = scenario.get("start_from") if isinstance(scenario, dict) else scenario.start_from
    return 0 if origin else START_UP_MONTHS


def verdict(low: float, high: float, important: float, replications: int) -> str:
    """What a paired difference says: 'higher' or 'lower' when its 90% interval lies wholly on one
    side of zero and reaches beyond the smallest important difference; 'no clear difference' when
    it crosses zero or lies wholly inside plus or minus that difference; 'too few replications'
    below MIN_REPLICATIONS (one replication has no spread at all); 'not comparable' when a
    scenario lacks the figure (a kind of organisation it does not have)."""
    if pd.isna(low) or pd.isna(high):
        return "not comparable"
    if replications < MIN_REPLICATIONS:
        return "too few replications"
    if low <= 0 <= high or (-important < low and high < important):
        return "no clear difference"
    return "higher" if low > 0 else "lower"


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


def aligned(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A scenario's timeseries with every outcome column: a kind of organisation the scenario
    lacks has no members, no organisations and no spend (zero), and no sizes (empty)."""
    frame = with_derived(frame)
    for column in columns:
        if column not in frame:
            frame[column] = np.nan if column.startswith(EMPTY_WHEN_NONE) else 0.0
    return frame


def paired_difference(values: pd.Series, base: pd.Series) -> pd.Series:
    """Replication r minus baseline replication r; zero where neither has the figure (no
    organisations of that kind in either), empty where only one has it."""
    return (values - base).mask(values.isna() & base.isna(), 0.0)


def outcome_table(timeseries: dict[str, pd.DataFrame], years: dict[int, str],
                  changed: list[str] | None = None, start_up: int = 0) -> pd.DataFrame:
    """Every outcome at each year: median and 90% interval per scenario, the paired difference
    from the first scenario (replication r minus replication r) with its interval, and its verdict.

    Args:
        timeseries: scenario label -> its timeseries (all replications); the first is the baseline.
        years: year -> month label at the end of that year.
        changed: dotted keys on which the scenarios differ, choosing the headline outcomes (None:
            all of them).
        start_up: months at the start still settling from a drawn population (START_UP_MONTHS for
            a run that draws its own); years within them get the verdict 'start-up year'.
    """
    baseline = next(iter(timeseries.values()))
    everything = outcomes_of_all(list(timeseries.values()))
    headline = {o.column for o in outcomes_of_all(list(timeseries.values()), changed)}
    frames = {name: aligned(frame, [o.column for o in everything]) for name, frame in timeseries.items()}
    replications = int(baseline["replication"].nunique())
    base_frame = next(iter(frames.values()))
    rows = []
    for outcome in everything:
        column = outcome.column
        for year, month in years.items():
            base = by_replication(base_frame, column, month)
            for name, frame in frames.items():
                values = by_replication(frame, column, month)
                median, low, high = median_and_interval(values)
                d_median, d_low, d_high = median_and_interval(paired_difference(values, base))
                judged = verdict(d_low, d_high, outcome.important, replications)
                rows.append({"outcome": column, "label": outcome.label, "unit": outcome.unit, "year": year, "month": month,
                             "scenario": name, "median": median, "low": low, "high": high,
                             "difference_median": d_median, "difference_low": d_low, "difference_high": d_high,
                             "smallest_important_difference": outcome.important,
                             "verdict": "start-up year" if 12 * year <= start_up else judged,
                             "headline": column in headline})
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
