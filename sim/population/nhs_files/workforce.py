"""General Practice Workforce, practice-level CSV: PRAC_CODE, TOTAL_PATIENTS, TOTAL_GP_HC,
TOTAL_GP_FTE, TOTAL_GP_EXTGL_FTE, TOTAL_NURSES_FTE (older TOTAL_NURSE_FTE), TOTAL_DPC_FTE (older
DIRECT_PATIENT_CARE_FTE), TOTAL_ADMIN_FTE (older ADMIN_FTE); partners are TOTAL_GP_SEN_PTNR_HC +
TOTAL_GP_PTNR_PROV_HC, salaried GPs TOTAL_GP_SAL_BY_PRAC_HC + TOTAL_GP_SAL_BY_OTH_HC, locums
TOTAL_GP_LOCUM_VAC/ABS/OTH_FTE."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.population.nhs_files.cells import columns, numbers, read_table, unique_codes

WORKFORCE = {
    "code": ("PRAC_CODE", "PRACTICE_CODE"),
    "gp_fte": ("TOTAL_GP_EXTGL_FTE", "TOTAL_GP_EXRRL_FTE", "TOTAL_GP_EXL_FTE", "TOTAL_GP_FTE"),
    "nurse_fte": ("TOTAL_NURSES_FTE", "TOTAL_NURSE_FTE"),
    "direct_care_fte": ("TOTAL_DPC_FTE", "DIRECT_PATIENT_CARE_FTE"),
    "admin_fte": ("TOTAL_ADMIN_FTE", "ADMIN_FTE"),
}
WORKFORCE_OPTIONAL = {"patients": ("TOTAL_PATIENTS",), "gp_hc": ("TOTAL_GP_HC",)}
WORKFORCE_SUMS = {  # a value is known only when every one of its columns present is disclosed
    "partners": ("TOTAL_GP_SEN_PTNR_HC", "TOTAL_GP_PTNR_PROV_HC"),
    "salaried": ("TOTAL_GP_SAL_BY_PRAC_HC", "TOTAL_GP_SAL_BY_OTH_HC"),
    "locum_fte": ("TOTAL_GP_LOCUM_VAC_FTE", "TOTAL_GP_LOCUM_ABS_FTE", "TOTAL_GP_LOCUM_OTH_FTE"),
}
STAFF_FIELDS = ("gp_fte", "partners", "salaried", "nurse_fte", "direct_care_fte", "admin_fte")


def read_workforce(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """Staff per practice (NaN where not disclosed), indexed by practice code, and what the file
    is: rows read, the columns used and its header generation ("older" or "current")."""
    path = Path(path)
    frame = read_table(path, "workforce")
    cols = columns(frame, path, WORKFORCE, WORKFORCE_OPTIONAL)
    code = frame[cols["code"]].str.upper()
    unique_codes(code, path, cols["code"])
    table = pd.DataFrame(index=code.to_numpy())
    for name in ("gp_fte", "nurse_fte", "direct_care_fte", "admin_fte", "patients", "gp_hc"):
        table[name] = numbers(frame, cols[name], path) if cols.get(name) else np.nan
    for name, parts in WORKFORCE_SUMS.items():
        present = [column for column in parts if column in frame.columns]
        table[name] = sum(numbers(frame, column, path) for column in present) if present else np.nan
    table["line"] = np.arange(len(frame)) + 2
    table.attrs["encoding"] = frame.attrs["encoding"]
    info = {"rows": len(frame), "columns": {name: column for name, column in cols.items() if column},
            "generation": "older" if cols["nurse_fte"] == "TOTAL_NURSE_FTE" else "current"}
    return table, info
