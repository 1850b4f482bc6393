"""Patients Registered at a GP Practice, and its mapping file.

- Practice level (gp-reg-pat-prac-all.csv): PUBLICATION, EXTRACT_DATE, TYPE, CCG_CODE or
  SUB_ICB_LOCATION_CODE, ONS_CCG_CODE or ONS_SUB_ICB_LOCATION_CODE, CODE (ORG_CODE in some
  files), POSTCODE, SEX, AGE, NUMBER_OF_PATIENTS. Rows other than SEX ALL and AGE ALL are ignored
  where those columns exist.
- The mapping file (gp-reg-pat-prac-map.csv): PRACTICE_CODE, PRACTICE_NAME, PRACTICE_POSTCODE,
  PCN_CODE, PCN_NAME, SUB_ICB_LOCATION_CODE (CCG_CODE), ICB_CODE (STP_CODE), ...
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.population.nhs_files.cells import (
    check_codes,
    columns,
    numbers,
    read_table,
    unique_codes,
)
from sim.scenario.errors import InputError

REGISTRATIONS = {
    "code": ("CODE", "ORG_CODE", "PRACTICE_CODE"),
    "patients": ("NUMBER_OF_PATIENTS",),
    "area": ("SUB_ICB_LOCATION_CODE", "CCG_CODE"),
}
REGISTRATIONS_OPTIONAL = {"type": ("TYPE",), "sex": ("SEX",), "age": ("AGE",), "postcode": ("POSTCODE",),
                          "extract_date": ("EXTRACT_DATE",)}
REGISTRATIONS_MAP = {"code": ("PRACTICE_CODE", "CODE"), "icb": ("ICB_CODE", "STP_CODE")}
REGISTRATIONS_MAP_OPTIONAL = {"area": ("SUB_ICB_LOCATION_CODE", "CCG_CODE"), "pcn": ("PCN_CODE",)}


def read_registrations(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """Practices' registered patients and commissioner codes, indexed by practice code, and what
    the file is: rows read, header generation ("sub-ICB" or "CCG") and extract date."""
    path = Path(path)
    frame = read_table(path, "registered patients")
    encoding = frame.attrs["encoding"]
    cols = columns(frame, path, REGISTRATIONS, REGISTRATIONS_OPTIONAL)
    check_codes(frame[cols["code"]].str.upper(), path, cols["code"])
    keep = np.ones(len(frame), dtype=bool)
    if cols["type"]:
        keep &= frame[cols["type"]].str.upper().isin(("GP", "")).to_numpy()
    for name in ("sex", "age"):
        if cols[name]:
            keep &= frame[cols[name]].str.upper().isin(("ALL", "")).to_numpy()
    lines = np.flatnonzero(keep)
    frame = frame[keep].reset_index(drop=True)
    code = frame[cols["code"]].str.upper()
    repeated = code.duplicated(keep=False)
    if repeated.any():  # lines counted in the file, rows of other sexes and ages included
        first = np.flatnonzero(repeated.to_numpy())[:2]
        raise InputError(path, cols["code"], f"expected each practice code once; found '{code[repeated].iloc[0]}' "
                                             f"on lines {' and '.join(str(lines[i] + 2) for i in first)}")
    table = pd.DataFrame({"patients": numbers(frame, cols["patients"], path, missing_ok=False),
                          "area": frame[cols["area"]].str.upper().to_numpy(), "line": lines + 2}, index=code.to_numpy())
    table.attrs["encoding"] = encoding
    info = {"rows": int(keep.size), "generation": "sub-ICB" if cols["area"] == "SUB_ICB_LOCATION_CODE" else "CCG",
            "extract_date": frame[cols["extract_date"]].iloc[0] if cols["extract_date"] and len(frame) else ""}
    return table, info


def read_registrations_map(path: str | Path) -> pd.DataFrame:
    """Each practice's ICB (and sub-ICB) code from the registrations mapping file."""
    path = Path(path)
    frame = read_table(path, "registrations mapping")
    cols = columns(frame, path, REGISTRATIONS_MAP, REGISTRATIONS_MAP_OPTIONAL)
    code = frame[cols["code"]].str.upper()
    unique_codes(code, path, cols["code"])
    mapping = pd.DataFrame({"icb": frame[cols["icb"]].str.upper().to_numpy(),
                            "area": frame[cols["area"]].str.upper().to_numpy() if cols["area"] else ""},
                           index=code.to_numpy())
    mapping.attrs["encoding"] = frame.attrs["encoding"]
    return mapping
