"""Putting the files together: the practices open at the start, one row each, with what each file
says of them, and an account of every practice left out, missing from a file or filled in.

What is in the population: practices in the registrations file with patients, less those the
practices file shows were not GP practices or not open at the scenario's start (a practice
missing from the practices file is kept, and reported). Everything the files do not give is
filled as docs/data.md says, and `gpsim data check` reports each fill.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.population.nhs_files import plausible
from sim.population.nhs_files.cells import month_start
from sim.population.nhs_files.coordinates import read_coordinates
from sim.population.nhs_files.epraccur import GP_PRACTICE_SETTING, read_epraccur
from sim.population.nhs_files.pcn_memberships import read_pcn_memberships
from sim.population.nhs_files.registrations import (
    read_registrations,
    read_registrations_map,
)
from sim.population.nhs_files.workforce import STAFF_FIELDS, read_workforce
from sim.scenario.errors import InputError
from sim.scenario.loading import FILE_FIELDS

NEEDED = ("registrations", "practices_file")


@dataclass
class DataFiles:
    """The files a population is built from (None where not given)."""

    registrations: Path | None = None
    registrations_map: Path | None = None
    workforce: Path | None = None
    pcn_membership: Path | None = None
    practices_file: Path | None = None
    coordinates: Path | None = None

    @classmethod
    def of(cls, population) -> "DataFiles":
        """The files a scenario's population section names (paths already resolved)."""
        return cls(**{name: Path(getattr(population, name)) if getattr(population, name) else None
                      for name in FILE_FIELDS})

    def missing(self) -> list[str]:
        """The files a population cannot be built without that are not given."""
        return [name for name in NEEDED if getattr(self, name) is None]


@dataclass
class Assembly:
    """The practices the files give, one row each (sorted by code), and what was done to get them."""

    table: pd.DataFrame
    start: str
    files: DataFiles
    counts: dict = field(default_factory=dict)
    missing: dict = field(default_factory=dict)   # what -> list of practice codes
    fills: list = field(default_factory=list)     # how gaps were filled, in words
    synthetic: list = field(default_factory=list) # what is drawn, not read
    warnings: list = field(default_factory=list)  # lines skipped or read another way, implausible values allowed
    encodings: dict = field(default_factory=dict) # file field -> the encoding its text was read in

    @property
    def practices(self) -> int:
        return len(self.table)


def sample_codes(codes) -> str:
    """Up to six codes, sorted, and how many more there are."""
    codes = sorted(codes)
    return ", ".join(codes[:6]) + (f" and {len(codes) - 6} more" if len(codes) > 6 else "")


def assemble(files: DataFiles, start: str, region: list[str] | tuple = (), allow_implausible: bool = False) -> Assembly:
    """Read the files and put together the practices open at a month, in a region.

    Args:
        files: the files to read; registrations and practices_file are needed.
        start: the month the population is taken at, YYYY-MM.
        region: ICB or sub-ICB codes to keep (empty for all).
        allow_implausible: figures outside the plausible ranges (plausible.py) become warnings
            rather than an InputError.
    """
    on = month_start(start)
    findings = plausible.Findings(allow_implausible)
    registrations, reg_info = read_registrations(files.registrations)
    plausible.check_registrations(findings, files.registrations, registrations)
    register = read_epraccur(files.practices_file)
    result = Assembly(table=pd.DataFrame(), start=start, files=files)
    _note_reading(result, "registrations", registrations)
    _note_reading(result, "practices_file", register)
    counts, missing = result.counts, result.missing
    counts["registered"] = len(registrations)
    counts["registered_patients"] = float(registrations["patients"].sum())
    counts["registrations_generation"] = reg_info["generation"]

    empty = registrations.index[registrations["patients"] <= 0]
    in_register = registrations.index.isin(register.index)
    entry = register.reindex(registrations.index)
    not_gp = registrations.index[in_register & (entry["setting"] != GP_PRACTICE_SETTING).to_numpy()]
    closed = (entry["close"] > 0) & (entry["close"] <= on)
    unopened = entry["open"] > on
    dead = entry["status"].isin(("C", "D", "P")) & (entry["close"] == 0)
    not_open = registrations.index[in_register & (closed | unopened | dead).to_numpy()]
    unregistered = registrations.index[~in_register]
    missing["no patients"] = list(empty)
    missing["not a GP practice in the practices file"] = list(not_gp)
    missing[f"not open at {start} in the practices file"] = list(not_open)
    missing["not in the practices file (kept)"] = list(unregistered)
    open_gp = register.index[(register["setting"] == GP_PRACTICE_SETTING) & (register["open"] <= on)
                             & ((register["close"] == 0) | (register["close"] > on)) & (register["status"] == "A")]
    missing["open GP practices in the practices file without registrations"] = list(open_gp.difference(registrations.index))
    keep = registrations.index.difference(empty.union(not_gp).union(not_open), sort=False)
    table = registrations.loc[sorted(keep)].copy()
    entry = register.reindex(table.index)
    plausible.check_register(findings, files.practices_file, entry[entry["line"].notna()])

    table["icb"] = entry["icb"].fillna("").to_numpy()
    icb_source = files.practices_file
    if files.registrations_map is not None:
        mapping = read_registrations_map(files.registrations_map)
        _note_reading(result, "registrations_map", mapping)
        mapping = mapping.reindex(table.index)
        mapped = mapping["icb"].fillna("") != ""
        table["icb"] = np.where(mapped, mapping["icb"].fillna(""), table["icb"])
        missing["not in the registrations mapping file (ICB from the practices file)"] = list(table.index[~mapped])
        icb_source = files.registrations_map
    no_icb = table["icb"] == ""
    if no_icb.any():
        result.fills.append(f"{int(no_icb.sum())} practice(s) with no ICB code in any file: their sub-ICB code stands as their region")
        table.loc[no_icb, "icb"] = table.loc[no_icb, "area"]

    if region:
        wanted = {code.upper() for code in region}
        known = set(table["icb"]) | set(table["area"])
        unknown = sorted(wanted - known)
        if unknown:
            raise InputError(icb_source, "population.region", f"expected ICB or sub-ICB codes found in the files "
                                                              f"(such as {sample_codes(set(table['icb']))}); found '{unknown[0]}'")
        table = table[table["icb"].isin(wanted) | table["area"].isin(wanted)]
        counts["outside region"] = len(keep) - len(table)

    _add_workforce(result, table, files, findings)
    _add_memberships(result, table, files, on, findings)
    _add_coordinates(result, table, files)
    result.warnings += plausible.summary([f"implausible value accepted: {text}" for text in findings.found])
    counts["practices"], counts["patients"] = len(table), float(table["patients"].sum())
    counts["areas"], counts["regions"] = table["area"].nunique(), table["icb"].nunique()
    result.synthetic.append("deprivation: not in these files; drawn around a level for each commissioner area, "
                            "as for the synthetic population")
    result.synthetic.append("rurality: no rurality file; the population's rural_share of practices with the "
                            "sparsest surroundings (farthest third-nearest practice) count as rural")
    result.synthetic.append("reserves, continuity, independence and trust: drawn as for the synthetic population")
    result.table = table
    return result


def _note_reading(result: Assembly, name: str, frame: pd.DataFrame) -> None:
    """Record the encoding a file was read in, and warn of lines skipped or read another way."""
    path = getattr(result.files, name)
    result.encodings[name] = frame.attrs.get("encoding", "UTF-8")
    if result.encodings[name] not in ("UTF-8", "UTF-8 with BOM"):
        result.warnings.append(f"{path}: read as {result.encodings[name]} text (not UTF-8)")
    result.warnings += [f"{path}: {text}" for text in frame.attrs.get("notes", [])]


def _add_workforce(result: Assembly, table: pd.DataFrame, files: DataFiles, findings: plausible.Findings) -> None:
    counts = result.counts
    if files.workforce is None:
        for name in STAFF_FIELDS:
            table[name] = np.nan
        counts["workforce_rows"] = 0
        result.missing["not in the workforce file"] = list(table.index)
        result.fills.append("no workforce file: every practice's staff come from the scenario's per-1,000 ratios")
        return
    workforce, info = read_workforce(files.workforce)
    _note_reading(result, "workforce", workforce)
    plausible.check_workforce(findings, files.workforce, workforce.reindex(table.index),
                              table["patients"].to_numpy(dtype=float), info["columns"])
    counts["workforce_rows"], counts["workforce_generation"] = info["rows"], info["generation"]
    staff = workforce.reindex(table.index)
    for name in STAFF_FIELDS:
        table[name] = staff[name].to_numpy()
    present = table.index.isin(workforce.index)
    result.missing["not in the workforce file (staff from ratios)"] = list(table.index[~present])
    result.missing["in the workforce file, not in the population"] = list(workforce.index.difference(table.index))
    counts["with_workforce"] = int(present.sum())
    split = table["partners"].notna() & table["salaried"].notna()
    counts["gp_split"] = int(split.sum())
    counts["gp_fte_only"] = int((~split & table["gp_fte"].notna()).sum())
    for name in ("nurse_fte", "direct_care_fte", "admin_fte"):
        counts[f"{name}_known"] = int(table[name].notna().sum())
    gaps = len(table) - counts["gp_split"]
    if gaps:
        result.fills.append(f"GP partners and salaried GPs: {counts['gp_fte_only']} practice(s) from their GP FTE and "
                            f"{gaps - counts['gp_fte_only']} from gp_fte_per_1000 x list size, split by partner_share")
    for name, ratio in (("nurse_fte", "nurse_fte_per_1000"), ("direct_care_fte", "direct_care_fte_per_1000"),
                        ("admin_fte", "admin_fte_per_1000")):
        gaps = len(table) - counts[f"{name}_known"]
        if gaps:
            result.fills.append(f"{name}: {gaps} practice(s) not disclosed or missing, filled with {ratio} x list size")


def _add_memberships(result: Assembly, table: pd.DataFrame, files: DataFiles, on: int,
                     findings: plausible.Findings) -> None:
    table["network"] = ""
    if files.pcn_membership is None:
        result.counts["pcns"] = 0
        result.fills.append("no PCN file: no practice starts in a network")
        return
    memberships, info = read_pcn_memberships(files.pcn_membership, on)
    _note_reading(result, "pcn_membership", memberships)
    plausible.check_memberships(findings, files.pcn_membership, info)
    table["network"] = memberships["pcn"].reindex(table.index).fillna("").to_numpy()
    table["network_start"] = memberships["start"].reindex(table.index).fillna(0).astype(np.int64).to_numpy()
    result.counts["pcns"] = int(table.loc[table["network"] != "", "network"].nunique())
    result.counts["in_pcn"] = int((table["network"] != "").sum())
    result.missing[f"in no PCN at {result.start}"] = list(table.index[table["network"] == ""])
    result.missing["PCN members not in the population"] = list(memberships.index.difference(table.index))


def _add_coordinates(result: Assembly, table: pd.DataFrame, files: DataFiles) -> None:
    if files.coordinates is None:
        table["x_km"] = table["y_km"] = np.nan
        result.synthetic.append("locations: no coordinates file; practices are placed synthetically within their "
                                "commissioner area (areas of one ICB side by side)")
        return
    sites = read_coordinates(files.coordinates)
    _note_reading(result, "coordinates", sites)
    sites = sites.reindex(table.index)
    table["x_km"], table["y_km"] = sites["x_km"].to_numpy(), sites["y_km"].to_numpy()
    lost = table.index[table["x_km"].isna()]
    result.missing["not in the coordinates file (placed near their area's practices)"] = list(lost)
    if len(lost):
        result.fills.append(f"locations: {len(lost)} practice(s) without coordinates placed near the centre of "
                            "their commissioner area's other practices")


