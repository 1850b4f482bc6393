"""epraccur.csv from the Organisation Data Service: the register of practices.

It has no header row and is read by position: 0 organisation code, 1 name, 2 national grouping,
3 high level health geography, 4-8 address lines, 9 postcode, 10 open date, 11 close date
(YYYYMMDD), 12 status code (A active, C closed, D dormant, P proposed), 13 organisation sub-type,
14 commissioner, 15 join provider/purchaser date, 16 left provider/purchaser date, ..., 25
prescribing setting (4 = GP practice). This is the layout the long-standing epraccur importers
read (ebmdatalab/openprescribing, frontend/management/commands/import_practices.py: row[9]
postcode, row[10] and row[11] open and close dates, row[12] status, row[14] commissioner, row[15]
and row[16] join and leave dates, row[-2] prescribing setting of the 27 columns).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.population.nhs_files.cells import (
    CODE,
    dates,
    excerpt,
    parse_date,
    read_table,
    unique_codes,
)
from sim.scenario.errors import InputError

GP_PRACTICE_SETTING = 4
EPRACCUR_MIN_COLUMNS = 26


def read_epraccur(path: str | Path) -> pd.DataFrame:
    """The ODS practice register by position (see the module docstring), indexed by code."""
    path = Path(path)
    frame = read_table(path, "epraccur practices", header=False)
    if frame.shape[1] < EPRACCUR_MIN_COLUMNS:
        raise InputError(path, "", f"expected the epraccur layout of 27 columns without a header row; "
                                   f"found {frame.shape[1]} columns")
    first = 1
    if parse_date(frame.iloc[0, 10]) is None and not CODE.fullmatch(frame.iloc[0, 0].upper()):
        frame, first = frame.iloc[1:].reset_index(drop=True), 2  # a header row someone added (reported)
        frame.attrs["notes"] = ["line 1 read as a header row and skipped"]
    code = frame[0].str.upper()
    unique_codes(code, path, "column 1 (organisation code)", first)
    setting = pd.to_numeric(frame[25], errors="coerce")
    if setting.isna().any():
        row = int(np.flatnonzero(setting.isna().to_numpy())[0])
        raise InputError(path, "column 26 (prescribing setting)", f"expected a setting number on line {row + first}; "
                                                                  f"found {excerpt(frame.iloc[row, 25])}")
    register = pd.DataFrame({
        "name": frame[1].to_numpy(), "grouping": frame[2].str.upper().to_numpy(),
        "icb": frame[3].str.upper().to_numpy(), "postcode": frame[9].to_numpy(),
        "open": dates(frame, 10, path, first, "column 11 (open date)"),
        "close": dates(frame, 11, path, first, "column 12 (close date)"),
        "status": frame[12].str.upper().to_numpy(), "commissioner": frame[14].str.upper().to_numpy(),
        "setting": setting.to_numpy(dtype=int), "line": np.arange(len(frame)) + first,
    }, index=code.to_numpy())
    register.attrs = {"encoding": frame.attrs.get("encoding"), "notes": frame.attrs.get("notes", [])}
    return register
