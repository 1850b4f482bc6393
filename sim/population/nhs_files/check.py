"""`gpsim data check`: which NHS file a CSV is, and what a set of files gives, in words."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from sim.population.nhs_files.assembly import DataFiles, assemble, sample_codes
from sim.population.nhs_files.cells import existing_file, normalise, shown_columns
from sim.population.nhs_files.coordinates import EASTING, LATITUDE, LONGITUDE, NORTHING
from sim.population.nhs_files.epraccur import EPRACCUR_MIN_COLUMNS
from sim.population.nhs_files.pcn_memberships import PCN
from sim.population.nhs_files.registrations import REGISTRATIONS_MAP
from sim.population.nhs_files.workforce import WORKFORCE
from sim.scenario.errors import InputError
from sim.scenario.input_files import decode
from sim.scenario.loading import FILE_FIELDS


def identify(path: str | Path) -> str:
    """Which file this is, from its header: one of FILE_FIELDS."""
    path = existing_file(path, "data")
    text, _ = decode(path.read_bytes(), path, "data")
    try:
        header = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        header = []
    if not header:
        raise InputError(path, "", "expected a CSV file with a header row (or epraccur rows); found none")
    names = {normalise(column) for column in header}
    if "NUMBER_OF_PATIENTS" in names:
        return "registrations"
    if names & set(WORKFORCE["code"][:1]) or {"TOTAL_PATIENTS", "TOTAL_GP_FTE"} & names:
        return "workforce"
    if names & set(PCN["code"][:1]) or names & set(PCN["pcn"]) and names & set(PCN["start"]):
        return "pcn_membership"
    if "PRACTICE_CODE" in names and names & set(REGISTRATIONS_MAP["icb"]):
        return "registrations_map"
    if names & set(LATITUDE + EASTING) and names & set(LONGITUDE + NORTHING):
        return "coordinates"
    if len(header) >= EPRACCUR_MIN_COLUMNS:
        return "practices_file"
    raise InputError(path, "", "expected an NHS file this tool reads (registrations, registrations mapping, "
                               "workforce, PCN core partner details, epraccur or coordinates); found a header that "
                               f"matches none ({shown_columns(sorted(names))})")


LABELS = {"registrations": "registrations", "registrations_map": "registrations mapping", "workforce": "workforce",
          "pcn_membership": "PCN memberships", "practices_file": "practices (epraccur)", "coordinates": "coordinates"}


def _share(part: int, whole: int) -> str:
    return f"{part:,} of {whole:,} ({100.0 * part / whole:.1f}%)" if whole else f"{part:,} of 0"


def report(files: DataFiles, start: str, region: list[str] | tuple = (), network_kind: str = "pcn") -> tuple[str, int]:
    """What the files give, in words, and the exit status: 0 a population can be built, 1 not
    (or only with --allow-implausible).

    Args:
        files: the files given (any may be None).
        start: the month the population is taken at, YYYY-MM.
        region: ICB or sub-ICB codes to keep (empty for all).
        network_kind: the organisation the PCN file's memberships start in.
    """
    lines = [f"Files (population at {start}{', region ' + ', '.join(region) if region else ''})"]
    for name in FILE_FIELDS:
        path = getattr(files, name)
        lines.append(f"  {LABELS[name] + ':':24} {path if path else '(not given)'}")
    absent = files.missing()
    if absent:
        lines.append("Cannot build a population without: " + ", ".join(LABELS[name] for name in absent))
        return "\n".join(lines), 1
    result = assemble(files, start, region, allow_implausible=True)
    counts, n = result.counts, result.practices
    lines[1:1 + len(FILE_FIELDS)] = [line + (f" ({result.encodings[name]})" if name in result.encodings else "")
                                     for name, line in zip(FILE_FIELDS, lines[1:1 + len(FILE_FIELDS)])]
    lines += [
        "Practices",
        f"  in the registrations file ({counts['registrations_generation']} headers): {counts['registered']:,} "
        f"with {counts['registered_patients']:,.0f} patients",
    ]
    if "outside region" in counts:
        lines.append(f"  outside the region: {counts['outside region']:,}")
    lines.append(f"  in the population: {n:,} practices, {counts['patients']:,.0f} patients, "
                 f"{counts['areas']} sub-ICB locations, {counts['regions']} ICBs")
    if files.workforce is not None:
        lines += ["Workforce",
                  f"  practices with a workforce row: {_share(counts['with_workforce'], n)}",
                  f"  GP partners and salaried GPs disclosed: {_share(counts['gp_split'], n)}; GP FTE only: {counts['gp_fte_only']:,}"]
        for name, label in (("nurse_fte", "nurse FTE"), ("direct_care_fte", "direct patient care FTE"), ("admin_fte", "admin FTE")):
            lines.append(f"  {label} disclosed: {_share(counts[name + '_known'], n)}")
    if files.pcn_membership is not None:
        lines += [f"Networks ({network_kind})",
                  f"  practices in a PCN at {start}: {_share(counts['in_pcn'], n)}, in {counts['pcns']:,} PCNs"]
    lines.append("Practices missing from one file or another")
    listed = [(what, codes) for what, codes in result.missing.items() if codes]
    lines += [f"  {what}: {len(codes):,} ({sample_codes(codes)})" for what, codes in listed] or ["  none"]
    lines.append("Gaps filled")
    lines += [f"  - {text}" for text in result.fills] or ["  - none"]
    lines.append("Synthetic even with these files")
    lines += [f"  - {text}" for text in result.synthetic]
    lines.append("Warnings (lines skipped or read another way, implausible values)")
    lines += [f"  - {text}" for text in result.warnings] or ["  - none"]
    if n == 0:
        lines.append(f"Cannot build a population: no open GP practice at {start}")
        return "\n".join(lines), 1
    if any(text.startswith("implausible") for text in result.warnings):
        lines.append("A run stops at the implausible values above, unless run with --allow-implausible")
        return "\n".join(lines), 1
    return "\n".join(lines), 0
