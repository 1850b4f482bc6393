"""ePCN "PCN Core Partner Details" saved as CSV: Partner Organisation Code, Partner Name, Practice
Parent Sub ICB Location Code (older Practice Parent CCG Code), PCN Code, PCN Name, Practice to PCN
Relationship Start Date, Practice to PCN Relationship End Date, ..."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.population.nhs_files.cells import check_codes, columns, dates, read_table
from sim.scenario.errors import InputError

PCN = {
    "code": ("PARTNER ORGANISATION CODE", "PRACTICE CODE"),
    "pcn": ("PCN CODE",),
    "start": ("PRACTICE TO PCN RELATIONSHIP START DATE",),
    "end": ("PRACTICE TO PCN RELATIONSHIP END DATE",),
}
PCN_OPTIONAL = {"pcn_name": ("PCN NAME",),
                "area": ("PRACTICE PARENT SUB ICB LOCATION CODE", "PRACTICE PARENT CCG CODE")}


def read_pcn_memberships(path: str | Path, on: int) -> tuple[pd.DataFrame, dict]:
    """Practice -> PCN code for relationships in force on a date (YYYYMMDD), and what the file
    holds: rows, every practice code in it, PCNs in force."""
    path = Path(path)
    frame = read_table(path, "PCN core partner details")
    cols = columns(frame, path, PCN, PCN_OPTIONAL)
    code = frame[cols["code"]].str.upper()
    check_codes(code, path, cols["code"])
    start = dates(frame, cols["start"], path, 2, cols["start"])
    end = dates(frame, cols["end"], path, 2, cols["end"])
    active = (start > 0) & (start <= on) & ((end == 0) | (end >= on))
    current = code[active]
    repeated = current.duplicated(keep=False)
    if repeated.any():
        lines = [str(i + 2) for i in np.flatnonzero(active)[np.flatnonzero(repeated.to_numpy())[:2]]]
        raise InputError(path, cols["code"], f"expected one PCN membership per practice in force on {on}; found "
                                             f"'{current[repeated].iloc[0]}' on lines {' and '.join(lines)}")
    table = pd.DataFrame({"pcn": frame.loc[active, cols["pcn"]].str.upper().to_numpy(),
                          "start": start[active], "line": np.flatnonzero(active) + 2}, index=current.to_numpy())
    table.attrs["encoding"] = frame.attrs["encoding"]
    info = {"rows": len(frame), "ever": set(code), "pcns": int(table["pcn"].nunique()),
            "starts": start, "ends": end, "column_start": cols["start"], "column_end": cols["end"]}
    return table, info
