"""Plausible ranges for the figures read from NHS files, and the check of every figure against them.

A figure outside its range is far more likely a typo or a broken file than a real practice (a
list of a billion patients, a GP FTE of 500, a PCN that started before PCNs existed), so it stops
the run with an InputError naming the file, column, line and value, unless the scenario allows
implausible data (`population.allow_implausible`, set by `gpsim run --allow-implausible`); then each
becomes a warning that `run` prints and records in manifest.json. The ranges and their sources are
in docs/data.md ("Plausible ranges").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.scenario.errors import InputError


@dataclass(frozen=True)
class Range:
    """A plausible range: what it applies to, its bounds and where they come from."""

    what: str
    low: float
    high: float
    source: str


# NHS Digital's registrations: the largest single practice lists are about 100,000 patients; over
# 20,000 were 1% of practices in 2013 (evidence.md, list-size distribution).
LIST_SIZE = Range("registered patients", 1, 150_000, "the largest practice lists are about 100,000")
# Fully qualified GP FTE per 1,000 patients is 0.45-0.53 nationally (Pettigrew et al. 2024); ten
# times that is no practice's staffing.
GP_FTE_PER_1000 = Range("GP FTE per 1,000 patients", 0, 5, "0.45-0.53 nationally, 2015-2022")
GP_FTE = Range("GP FTE", 0, 100, "the largest practices have a few dozen GPs")
STAFF_PER_1000 = {  # the whole practice workforce is 1.97-2.37 FTE per 1,000 (Pettigrew et al. 2024)
    "nurse_fte": Range("nurse FTE per 1,000 patients", 0, 5, "whole practice workforce 2.0-2.4 FTE per 1,000"),
    "direct_care_fte": Range("direct patient care FTE per 1,000 patients", 0, 5, "whole practice workforce 2.0-2.4 FTE per 1,000"),
    "admin_fte": Range("admin FTE per 1,000 patients", 0, 10, "whole practice workforce 2.0-2.4 FTE per 1,000"),
}
# Ratios are checked only for lists of at least this size, where one person does not swing them.
RATIO_MIN_LIST = 1_000
# The registrations and workforce files count the same lists a few months apart.
LIST_AGREEMENT = 2.0
DATES = Range("a date", 19480705, 20991231, "the NHS began on 5 July 1948")
PCN_START = Range("a PCN relationship start date", 20190101, 20991231,
                  "PCNs were formed in 2019 (Network Contract DES from 1 July 2019)")
SHOWN_WARNINGS = 20


class Findings:
    """Implausible figures found: the first stops the run, unless allowed; then all are warnings."""

    def __init__(self, allow: bool):
        self.allow, self.found = allow, []

    def add(self, path, column: str, line: int, problem: str) -> None:
        if not self.allow:
            raise InputError(path, column, f"line {line}: {problem} (check the file, or run with --allow-implausible)")
        self.found.append(f"{path}: {column}: line {line}: {problem}")


def _outside(findings: Findings, path, column: str, lines, values, rule: Range, shown=None, mask=None) -> None:
    values = np.asarray(values, dtype=float)
    bad = ~np.isnan(values) & ((values < rule.low) | (values > rule.high))
    if mask is not None:
        bad &= mask
    for row in np.flatnonzero(bad):
        value = values[row] if shown is None else shown[row]
        findings.add(path, column, int(lines[row]), f"expected {rule.what} from {rule.low:,g} to {rule.high:,g} "
                                                    f"({rule.source}); found {number(value)}")


def number(value: float) -> str:
    """A figure as shown in a message: whole numbers in full, others to 6 significant figures."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.6g}"


def check_registrations(findings: Findings, path, table: pd.DataFrame) -> None:
    """Whole numbers of patients within LIST_SIZE."""
    patients, lines = table["patients"].to_numpy(dtype=float), table["line"].to_numpy()
    for row in np.flatnonzero(patients != np.round(patients)):
        findings.add(path, "NUMBER_OF_PATIENTS", int(lines[row]), f"expected a whole number of patients; found {number(patients[row])}")
    _outside(findings, path, "NUMBER_OF_PATIENTS", lines, patients, LIST_SIZE, mask=patients > 0)


def check_workforce(findings: Findings, path, staff: pd.DataFrame, patients: np.ndarray, columns: dict) -> None:
    """GP FTE and staff per 1,000 patients (lists of at least RATIO_MIN_LIST), GP FTE, and the
    workforce file's list size against the registrations file's.

    Args:
        staff: the workforce rows of the practices in the population, in population order.
        patients: their registered patients (registrations file).
        columns: canonical name -> the file's column (read_workforce's info["columns"]).
    """
    known = ~np.isnan(staff["line"].to_numpy(dtype=float))
    lines = np.nan_to_num(staff["line"].to_numpy(dtype=float)).astype(int)
    large = known & (patients >= RATIO_MIN_LIST)
    per_1000 = 1000.0 / np.where(patients > 0, patients, np.nan)
    gp = staff["gp_fte"].to_numpy(dtype=float)
    _outside(findings, path, columns["gp_fte"], lines, gp, GP_FTE, mask=known)
    _outside(findings, path, columns["gp_fte"], lines, gp * per_1000, GP_FTE_PER_1000, mask=large)
    for name, rule in STAFF_PER_1000.items():
        _outside(findings, path, columns[name], lines, staff[name].to_numpy(dtype=float) * per_1000, rule, mask=large)
    if "patients" in columns:
        theirs = staff["patients"].to_numpy(dtype=float)
        ratio = theirs / np.where(patients > 0, patients, np.nan)
        far = known & (theirs > 0) & ((ratio > LIST_AGREEMENT) | (ratio < 1 / LIST_AGREEMENT))
        for row in np.flatnonzero(far):
            findings.add(path, columns["patients"], int(lines[row]),
                         f"expected about the registrations file's list of {patients[row]:,.0f} (within a factor of "
                         f"{LIST_AGREEMENT:g}); found {number(theirs[row])} (a typo in one file?)")


def check_register(findings: Findings, path, register: pd.DataFrame) -> None:
    """Open and close dates within DATES, and no close before opening."""
    lines = register["line"].to_numpy()
    for column, name in (("open", "column 11 (open date)"), ("close", "column 12 (close date)")):
        values = register[column].to_numpy(dtype=float)
        _outside(findings, path, name, lines, values, DATES, shown=values.astype(np.int64), mask=values > 0)
    opened, closed = register["open"].to_numpy(), register["close"].to_numpy()
    for row in np.flatnonzero((closed > 0) & (opened > 0) & (closed < opened)):
        findings.add(path, "column 12 (close date)", int(lines[row]),
                     f"expected a close date after the open date {opened[row]}; found {closed[row]}")


def check_memberships(findings: Findings, path, info: dict) -> None:
    """Start dates given and within PCN_START; ends not before starts."""
    starts, ends = info["starts"], info["ends"]
    lines = np.arange(len(starts)) + 2
    for row in np.flatnonzero(starts == 0):
        findings.add(path, info["column_start"], int(lines[row]), "expected a start date; found none (the membership would be dropped)")
    _outside(findings, path, info["column_start"], lines, starts.astype(float), PCN_START, shown=starts, mask=starts > 0)
    for row in np.flatnonzero((ends > 0) & (ends < starts)):
        findings.add(path, info["column_end"], int(lines[row]), f"expected an end date after the start date {starts[row]}; found {ends[row]}")


def summary(found: list[str]) -> list[str]:
    """The warnings to show: the first SHOWN_WARNINGS and how many more there are."""
    more = len(found) - SHOWN_WARNINGS
    return found[:SHOWN_WARNINGS] + ([f"... and {more:,} more implausible value(s)"] if more > 0 else [])
