"""Real data in: the starting population built from NHS open data files.

Files read (headers vary by year; each reader maps the accepted aliases to one name, compares
headers with their whitespace collapsed, line breaks included, and case ignored, and reads "ND"
(not disclosed) or a blank as missing):

- Patients Registered at a GP Practice, practice level (gp-reg-pat-prac-all.csv): PUBLICATION,
  EXTRACT_DATE, TYPE, CCG_CODE or SUB_ICB_LOCATION_CODE, ONS_CCG_CODE or
  ONS_SUB_ICB_LOCATION_CODE, CODE (ORG_CODE in some files), POSTCODE, SEX, AGE,
  NUMBER_OF_PATIENTS. Rows other than SEX ALL and AGE ALL are ignored where those columns exist.
- Its mapping file (gp-reg-pat-prac-map.csv): PRACTICE_CODE, PRACTICE_NAME, PRACTICE_POSTCODE,
  PCN_CODE, PCN_NAME, SUB_ICB_LOCATION_CODE (CCG_CODE), ICB_CODE (STP_CODE), ...
- General Practice Workforce, practice-level CSV: PRAC_CODE, TOTAL_PATIENTS, TOTAL_GP_HC,
  TOTAL_GP_FTE, TOTAL_GP_EXTGL_FTE, TOTAL_NURSES_FTE (older TOTAL_NURSE_FTE), TOTAL_DPC_FTE
  (older DIRECT_PATIENT_CARE_FTE), TOTAL_ADMIN_FTE (older ADMIN_FTE); partners are
  TOTAL_GP_SEN_PTNR_HC + TOTAL_GP_PTNR_PROV_HC, salaried GPs TOTAL_GP_SAL_BY_PRAC_HC +
  TOTAL_GP_SAL_BY_OTH_HC, locums TOTAL_GP_LOCUM_VAC/ABS/OTH_FTE.
- ePCN "PCN Core Partner Details" saved as CSV: Partner Organisation Code, Partner Name,
  Practice Parent Sub ICB Location Code (older Practice Parent CCG Code), PCN Code, PCN Name,
  Practice to PCN Relationship Start Date, Practice to PCN Relationship End Date, ...
- epraccur.csv from the Organisation Data Service, with no header row, read by position:
  0 organisation code, 1 name, 2 national grouping, 3 high level health geography, 4-8 address
  lines, 9 postcode, 10 open date, 11 close date (YYYYMMDD), 12 status code (A active, C closed,
  D dormant, P proposed), 13 organisation sub-type, 14 commissioner, 15 join provider/purchaser
  date, 16 left provider/purchaser date, ..., 25 prescribing setting (4 = GP practice). This is
  the layout the long-standing epraccur importers read (ebmdatalab/openprescribing,
  frontend/management/commands/import_practices.py: row[9] postcode, row[10] and row[11] open
  and close dates, row[12] status, row[14] commissioner, row[15] and row[16] join and leave
  dates, row[-2] prescribing setting of the 27 columns).
- Optional coordinates: a practice code with LATITUDE and LONGITUDE, or EASTING and NORTHING (m,
  British National Grid). Latitude and longitude are projected onto the National Grid
  (transverse Mercator on the Airy 1830 ellipsoid, Ordnance Survey constants) without the
  datum shift, so sites are within about 0.1 km of their grid position.

What is in the population: practices in the registrations file with patients, less those the
practices file shows were not GP practices or not open at the scenario's start (a practice
missing from the practices file is kept, and reported). Everything the files do not give is
filled as docs/data.md says, and `gpsim data check` reports each fill.
"""
from __future__ import annotations

import datetime as _dt
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.population.places import (
    area_centres,
    deprivation_and_need,
    gp_heads,
    neighbours,
    place,
    practice_state,
    reserves,
    towns,
)
from sim.scenario.errors import InputError
from sim.scenario.loading import FILE_FIELDS

NOT_DISCLOSED = ("ND", "")
GP_PRACTICE_SETTING = 4
EPRACCUR_MIN_COLUMNS = 26
NEEDED = ("registrations", "practices_file")

REGISTRATIONS = {
    "code": ("CODE", "ORG_CODE", "PRACTICE_CODE"),
    "patients": ("NUMBER_OF_PATIENTS",),
    "area": ("SUB_ICB_LOCATION_CODE", "CCG_CODE"),
}
REGISTRATIONS_OPTIONAL = {"type": ("TYPE",), "sex": ("SEX",), "age": ("AGE",), "postcode": ("POSTCODE",),
                          "extract_date": ("EXTRACT_DATE",)}
REGISTRATIONS_MAP = {"code": ("PRACTICE_CODE", "CODE"), "icb": ("ICB_CODE", "STP_CODE")}
REGISTRATIONS_MAP_OPTIONAL = {"area": ("SUB_ICB_LOCATION_CODE", "CCG_CODE"), "pcn": ("PCN_CODE",)}
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
PCN = {
    "code": ("PARTNER ORGANISATION CODE", "PRACTICE CODE"),
    "pcn": ("PCN CODE",),
    "start": ("PRACTICE TO PCN RELATIONSHIP START DATE",),
    "end": ("PRACTICE TO PCN RELATIONSHIP END DATE",),
}
PCN_OPTIONAL = {"pcn_name": ("PCN NAME",),
                "area": ("PRACTICE PARENT SUB ICB LOCATION CODE", "PRACTICE PARENT CCG CODE")}
COORDINATES_CODE = ("PRACTICE_CODE", "PRACTICE CODE", "CODE", "PRAC_CODE", "ORG_CODE", "ORGANISATION CODE")
LATITUDE, LONGITUDE = ("LATITUDE", "LAT"), ("LONGITUDE", "LONG", "LON", "LNG")
EASTING, NORTHING = ("EASTING", "OSEAST1M", "X"), ("NORTHING", "OSNRTH1M", "Y")
STAFF_FIELDS = ("gp_fte", "partners", "salaried", "nurse_fte", "direct_care_fte", "admin_fte")


def normalise(header: Any) -> str:
    """A header with its whitespace (line breaks too) collapsed to single spaces, upper-cased."""
    return " ".join(str(header).split()).upper()


# -- reading -------------------------------------------------------------------------------------
def _exists(path: str | Path, what: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "", f"expected an existing {what} file; found nothing there")
    return path


def read_table(path: str | Path, what: str, header: bool = True) -> pd.DataFrame:
    """A CSV file as text cells (stripped), headers normalised; InputError if it cannot be read."""
    path = _exists(path, what)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # a line with more cells than the header
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                                header=0 if header else None, index_col=False)
    except pd.errors.ParserWarning:
        raise InputError(path, "", f"expected a {what} CSV file with as many cells on each line as in its header; "
                                   "found a line with more (an unquoted comma?)") from None
    except UnicodeDecodeError:
        raise InputError(path, "", f"expected a {what} CSV file in UTF-8 text; found binary data") from None
    except pd.errors.EmptyDataError:
        raise InputError(path, "", f"expected a {what} CSV file with rows; found an empty file") from None
    except pd.errors.ParserError as error:
        raise InputError(path, "", f"expected a {what} CSV file; found text that does not parse ({str(error).strip()})") from None
    if header:
        frame.columns = [normalise(column) for column in frame.columns]
    return frame.apply(lambda column: column.str.strip())


def _find(frame: pd.DataFrame, aliases: tuple[str, ...]) -> str | None:
    return next((name for name in aliases if name in frame.columns), None)


def _columns(frame: pd.DataFrame, path: Path, required: dict, optional: dict | None = None) -> dict[str, str | None]:
    """Canonical name -> the column that holds it (first alias present); InputError if a required
    one is missing."""
    found: dict[str, str | None] = {}
    for name, aliases in required.items():
        column = _find(frame, aliases)
        if column is None:
            shown = ", ".join(frame.columns[:12]) + (", ..." if len(frame.columns) > 12 else "")
            raise InputError(path, aliases[0], f"expected a column named {' or '.join(aliases)}; found columns {shown}")
        found[name] = column
    for name, aliases in (optional or {}).items():
        found[name] = _find(frame, aliases)
    return found


def numbers(frame: pd.DataFrame, column: str, path: Path, missing_ok: bool = True) -> np.ndarray:
    """A column as floats: 'ND' or blank -> NaN (an InputError unless missing_ok); anything else
    that is not a non-negative number is an InputError naming its line."""
    text = frame[column].reset_index(drop=True)
    missing = text.str.upper().isin(NOT_DISCLOSED)
    values = pd.to_numeric(text.where(~missing).str.replace(",", "", regex=False), errors="coerce")
    bad = (values.isna() & ~missing) | (values < 0)
    if bad.any() or (not missing_ok and missing.any()):
        row = int(np.flatnonzero(bad | (missing & (not missing_ok)))[0])
        raise InputError(path, column, f"expected a non-negative number on line {row + 2}; found '{text[row]}'")
    return values.to_numpy(dtype=float)


def _unique(codes: pd.Series, path: Path, column: str, first_line: int = 2) -> None:
    repeated = codes.duplicated(keep=False) & (codes != "")
    if repeated.any():
        lines = [str(i + first_line) for i in np.flatnonzero(repeated.to_numpy())[:2]]
        raise InputError(path, column, f"expected each practice code once; found '{codes[repeated].iloc[0]}' "
                                       f"on lines {' and '.join(lines)}")


_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}


def parse_date(text: str) -> int | None:
    """A date as YYYYMMDD (int), from YYYYMMDD, YYYY-MM-DD[ time], DD/MM/YYYY or DDMONYYYY;
    0 for a blank; None if it is none of these."""
    text = text.strip()
    if not text:
        return 0
    for pattern, order in ((r"(\d{4})(\d{2})(\d{2})", "ymd"), (r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", "ymd"),
                           (r"(\d{1,2})/(\d{1,2})/(\d{4})(?: .*)?", "dmy"), (r"(\d{1,2})-?([A-Za-z]{3})-?(\d{4})", "dMy")):
        match = re.fullmatch(pattern, text)
        if not match:
            continue
        a, b, c = match.groups()
        year, month, day = {"ymd": (a, b, c), "dmy": (c, b, a), "dMy": (c, str(_MONTHS.get(b.upper(), 0)), a)}[order]
        try:
            _dt.date(int(year), int(month), int(day))
        except ValueError:
            return None
        return int(year) * 10000 + int(month) * 100 + int(day)
    return None


def _dates(frame: pd.DataFrame, column: str | int, path: Path, first_line: int, name: str) -> np.ndarray:
    values = []
    for row, text in enumerate(frame[column]):
        value = parse_date(text)
        if value is None:
            raise InputError(path, name, f"expected a date such as 2019-07-01, 01/07/2019 or 20190701 on line "
                                         f"{row + first_line}; found '{text}'")
        values.append(value)
    return np.array(values, dtype=np.int64)


def month_start(year_month: str) -> int:
    """The first day of a YYYY-MM month as YYYYMMDD."""
    year, month = year_month.split("-")
    return int(year) * 10000 + int(month) * 100 + 1


def read_registrations(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """Practices' registered patients and commissioner codes, indexed by practice code."""
    path = Path(path)
    frame = read_table(path, "registered patients")
    cols = _columns(frame, path, REGISTRATIONS, REGISTRATIONS_OPTIONAL)
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
    if repeated.any():
        first = np.flatnonzero(repeated.to_numpy())[:2]
        raise InputError(path, cols["code"], f"expected each practice code once; found '{code[repeated].iloc[0]}' "
                                             f"on lines {' and '.join(str(lines[i] + 2) for i in first)}")
    table = pd.DataFrame({"patients": numbers(frame, cols["patients"], path, missing_ok=False),
                          "area": frame[cols["area"]].str.upper().to_numpy()}, index=code.to_numpy())
    info = {"rows": int(keep.size), "generation": "sub-ICB" if cols["area"] == "SUB_ICB_LOCATION_CODE" else "CCG",
            "extract_date": frame[cols["extract_date"]].iloc[0] if cols["extract_date"] and len(frame) else ""}
    return table, info


def read_registrations_map(path: str | Path) -> pd.DataFrame:
    """Each practice's ICB (and sub-ICB) code from the registrations mapping file."""
    path = Path(path)
    frame = read_table(path, "registrations mapping")
    cols = _columns(frame, path, REGISTRATIONS_MAP, REGISTRATIONS_MAP_OPTIONAL)
    code = frame[cols["code"]].str.upper()
    _unique(code, path, cols["code"])
    return pd.DataFrame({"icb": frame[cols["icb"]].str.upper().to_numpy(),
                         "area": frame[cols["area"]].str.upper().to_numpy() if cols["area"] else ""},
                        index=code.to_numpy())


def read_workforce(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """Staff per practice (NaN where not disclosed), indexed by practice code."""
    path = Path(path)
    frame = read_table(path, "workforce")
    cols = _columns(frame, path, WORKFORCE, WORKFORCE_OPTIONAL)
    code = frame[cols["code"]].str.upper()
    _unique(code, path, cols["code"])
    table = pd.DataFrame(index=code.to_numpy())
    for name in ("gp_fte", "nurse_fte", "direct_care_fte", "admin_fte", "patients", "gp_hc"):
        table[name] = numbers(frame, cols[name], path) if cols.get(name) else np.nan
    for name, parts in WORKFORCE_SUMS.items():
        present = [column for column in parts if column in frame.columns]
        table[name] = sum(numbers(frame, column, path) for column in present) if present else np.nan
    info = {"rows": len(frame), "columns": {name: column for name, column in cols.items() if column},
            "generation": "older" if cols["nurse_fte"] == "TOTAL_NURSE_FTE" else "current"}
    return table, info


def read_pcn_memberships(path: str | Path, on: int) -> tuple[pd.DataFrame, dict]:
    """Practice -> PCN code for relationships in force on a date (YYYYMMDD)."""
    path = Path(path)
    frame = read_table(path, "PCN core partner details")
    cols = _columns(frame, path, PCN, PCN_OPTIONAL)
    code = frame[cols["code"]].str.upper()
    start = _dates(frame, cols["start"], path, 2, cols["start"])
    end = _dates(frame, cols["end"], path, 2, cols["end"])
    active = (start > 0) & (start <= on) & ((end == 0) | (end >= on))
    current = code[active]
    repeated = current.duplicated(keep=False)
    if repeated.any():
        lines = [str(i + 2) for i in np.flatnonzero(active)[np.flatnonzero(repeated.to_numpy())[:2]]]
        raise InputError(path, cols["code"], f"expected one PCN membership per practice in force on {on}; found "
                                             f"'{current[repeated].iloc[0]}' on lines {' and '.join(lines)}")
    table = pd.DataFrame({"pcn": frame.loc[active, cols["pcn"]].str.upper().to_numpy()}, index=current.to_numpy())
    return table, {"rows": len(frame), "ever": set(code), "pcns": int(table["pcn"].nunique())}


def read_epraccur(path: str | Path) -> pd.DataFrame:
    """The ODS practice register by position (see the module docstring), indexed by code."""
    path = Path(path)
    frame = read_table(path, "epraccur practices", header=False)
    if frame.shape[1] < EPRACCUR_MIN_COLUMNS:
        raise InputError(path, "", f"expected the epraccur layout of 27 columns without a header row; "
                                   f"found {frame.shape[1]} columns")
    first = 1
    if parse_date(frame.iloc[0, 10]) is None:  # a header row someone added
        frame, first = frame.iloc[1:].reset_index(drop=True), 2
    code = frame[0].str.upper()
    _unique(code, path, "column 1 (organisation code)", first)
    setting = pd.to_numeric(frame[25], errors="coerce")
    if setting.isna().any():
        row = int(np.flatnonzero(setting.isna().to_numpy())[0])
        raise InputError(path, "column 26 (prescribing setting)", f"expected a setting number on line {row + first}; "
                                                                  f"found '{frame.iloc[row, 25]}'")
    return pd.DataFrame({
        "name": frame[1].to_numpy(), "grouping": frame[2].str.upper().to_numpy(),
        "icb": frame[3].str.upper().to_numpy(), "postcode": frame[9].to_numpy(),
        "open": _dates(frame, 10, path, first, "column 11 (open date)"),
        "close": _dates(frame, 11, path, first, "column 12 (close date)"),
        "status": frame[12].str.upper().to_numpy(), "commissioner": frame[14].str.upper().to_numpy(),
        "setting": setting.to_numpy(dtype=int),
    }, index=code.to_numpy())


def latlon_to_grid(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude (degrees) to British National Grid easting and northing (m).

    Transverse Mercator on the Airy 1830 ellipsoid with the National Grid's true origin, scale
    and false origin (Ordnance Survey, "A guide to coordinate systems in Great Britain", annex C).
    """
    a, b, f0 = 6377563.396, 6356256.909, 0.9996012717
    phi0, lam0, e0, n0 = np.radians(49.0), np.radians(-2.0), 400000.0, -100000.0
    e2 = 1 - b * b / (a * a)
    n = (a - b) / (a + b)
    phi, lam = np.radians(lat), np.radians(lon)
    sin, cos, tan = np.sin(phi), np.cos(phi), np.tan(phi)
    nu = a * f0 / np.sqrt(1 - e2 * sin ** 2)
    rho = a * f0 * (1 - e2) / (1 - e2 * sin ** 2) ** 1.5
    eta2 = nu / rho - 1
    dp, sp = phi - phi0, phi + phi0
    m = b * f0 * ((1 + n + 5 / 4 * n ** 2 + 5 / 4 * n ** 3) * dp
                  - (3 * n + 3 * n ** 2 + 21 / 8 * n ** 3) * np.sin(dp) * np.cos(sp)
                  + (15 / 8 * n ** 2 + 15 / 8 * n ** 3) * np.sin(2 * dp) * np.cos(2 * sp)
                  - 35 / 24 * n ** 3 * np.sin(3 * dp) * np.cos(3 * sp))
    i = m + n0
    ii = nu / 2 * sin * cos
    iii = nu / 24 * sin * cos ** 3 * (5 - tan ** 2 + 9 * eta2)
    iiia = nu / 720 * sin * cos ** 5 * (61 - 58 * tan ** 2 + tan ** 4)
    iv = nu * cos
    v = nu / 6 * cos ** 3 * (nu / rho - tan ** 2)
    vi = nu / 120 * cos ** 5 * (5 - 18 * tan ** 2 + tan ** 4 + 14 * eta2 - 58 * tan ** 2 * eta2)
    dl = lam - lam0
    northing = i + ii * dl ** 2 + iii * dl ** 4 + iiia * dl ** 6
    easting = e0 + iv * dl + v * dl ** 3 + vi * dl ** 5
    return easting, northing


def read_coordinates(path: str | Path) -> pd.DataFrame:
    """Practice sites in km on the British National Grid (x east, y north), indexed by code."""
    path = Path(path)
    frame = read_table(path, "practice coordinates")
    code_column = _find(frame, COORDINATES_CODE)
    if code_column is None:
        raise InputError(path, COORDINATES_CODE[0], f"expected a column named {' or '.join(COORDINATES_CODE)}; "
                                                    f"found columns {', '.join(frame.columns[:12])}")
    code = frame[code_column].str.upper()
    _unique(code, path, code_column)
    lat, lon, east, north = (_find(frame, names) for names in (LATITUDE, LONGITUDE, EASTING, NORTHING))
    if east and north:
        x, y = numbers(frame, east, path, missing_ok=False), numbers(frame, north, path, missing_ok=False)
    elif lat and lon:
        lat_deg = pd.to_numeric(frame[lat], errors="coerce").to_numpy()
        lon_deg = pd.to_numeric(frame[lon], errors="coerce").to_numpy()
        for column, values, low, high in ((lat, lat_deg, 49.0, 61.0), (lon, lon_deg, -9.0, 2.5)):
            bad = np.isnan(values) | (values < low) | (values > high)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise InputError(path, column, f"expected degrees between {low} and {high} (Great Britain) on line "
                                               f"{row + 2}; found '{frame[column].iloc[row]}'")
        x, y = latlon_to_grid(lat_deg, lon_deg)
    else:
        raise InputError(path, "LATITUDE", "expected columns LATITUDE and LONGITUDE, or EASTING and NORTHING; "
                                           f"found columns {', '.join(frame.columns[:12])}")
    return pd.DataFrame({"x_km": x / 1000.0, "y_km": y / 1000.0}, index=code.to_numpy())


# -- putting the files together ------------------------------------------------------------------
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

    @property
    def practices(self) -> int:
        return len(self.table)


def _sample(codes) -> str:
    codes = sorted(codes)
    return ", ".join(codes[:6]) + (f" and {len(codes) - 6} more" if len(codes) > 6 else "")


def assemble(files: DataFiles, start: str, region: list[str] | tuple = ()) -> Assembly:
    """Read the files and put together the practices open at `start` (YYYY-MM), in `region`
    (ICB or sub-ICB codes; empty for all)."""
    on = month_start(start)
    registrations, reg_info = read_registrations(files.registrations)
    register = read_epraccur(files.practices_file)
    result = Assembly(table=pd.DataFrame(), start=start, files=files)
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

    table["icb"] = entry["icb"].fillna("").to_numpy()
    icb_source = files.practices_file
    if files.registrations_map is not None:
        mapping = read_registrations_map(files.registrations_map).reindex(table.index)
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
                                                              f"(such as {_sample(set(table['icb']))}); found '{unknown[0]}'")
        table = table[table["icb"].isin(wanted) | table["area"].isin(wanted)]
        counts["outside region"] = len(keep) - len(table)

    _add_workforce(result, table, files)
    _add_memberships(result, table, files, on)
    _add_coordinates(result, table, files)
    counts["practices"], counts["patients"] = len(table), float(table["patients"].sum())
    counts["areas"], counts["regions"] = table["area"].nunique(), table["icb"].nunique()
    result.synthetic.append("deprivation: not in these files; drawn around a level for each commissioner area, "
                            "as for the synthetic population")
    result.synthetic.append("rurality: no rurality file; the population's rural_share of practices with the "
                            "sparsest surroundings (farthest third-nearest practice) count as rural")
    result.synthetic.append("reserves, continuity, independence and trust: drawn as for the synthetic population")
    result.table = table
    return result


def _add_workforce(result: Assembly, table: pd.DataFrame, files: DataFiles) -> None:
    counts = result.counts
    if files.workforce is None:
        for name in STAFF_FIELDS:
            table[name] = np.nan
        counts["workforce_rows"] = 0
        result.missing["not in the workforce file"] = list(table.index)
        result.fills.append("no workforce file: every practice's staff come from the scenario's per-1,000 ratios")
        return
    workforce, info = read_workforce(files.workforce)
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


def _add_memberships(result: Assembly, table: pd.DataFrame, files: DataFiles, on: int) -> None:
    table["network"] = ""
    if files.pcn_membership is None:
        result.counts["pcns"] = 0
        result.fills.append("no PCN file: no practice starts in a network")
        return
    memberships, info = read_pcn_memberships(files.pcn_membership, on)
    table["network"] = memberships["pcn"].reindex(table.index).fillna("").to_numpy()
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
    sites = read_coordinates(files.coordinates).reindex(table.index)
    table["x_km"], table["y_km"] = sites["x_km"].to_numpy(), sites["y_km"].to_numpy()
    lost = table.index[table["x_km"].isna()]
    result.missing["not in the coordinates file (placed near their area's practices)"] = list(lost)
    if len(lost):
        result.fills.append(f"locations: {len(lost)} practice(s) without coordinates placed near the centre of "
                            "their commissioner area's other practices")


# -- the starting population ---------------------------------------------------------------------
def _sites(result: Assembly, pop, rng: np.random.Generator, area: np.ndarray, region: np.ndarray) -> np.ndarray:
    table = result.table
    n, areas = len(table), int(area.max()) + 1
    xy = table[["x_km", "y_km"]].to_numpy(dtype=float, copy=True)
    known = ~np.isnan(xy[:, 0])
    if result.files.coordinates is None:
        centres, synthetic_region = area_centres(rng, areas, pop.side_km, max(1, int(region.max()) + 1))
        centres = centres[np.argsort(synthetic_region, kind="stable")]  # areas are numbered ICB by ICB
        return place(rng, pop, centres, towns(rng, pop, centres), area, rng.random(n) < pop.rural_share)
    if not known.all():
        fallback = xy[known].mean(axis=0) if known.any() else np.zeros(2)
        for a in np.unique(area[~known]):
            anchor = xy[known & (area == a)].mean(axis=0) if (known & (area == a)).any() else fallback
            lost = ~known & (area == a)
            xy[lost] = anchor + rng.normal(0.0, pop.urban_spread_km, (int(lost.sum()), 2))
    return xy


def population_from_files(scenario, rng: np.random.Generator):
    """The starting PracticeState built from the files the scenario's population section names."""
    pop, work = scenario.population, scenario.workforce
    if pop.network_kind not in scenario.organisations:
        raise InputError("scenario", "population.network_kind", f"expected one of the organisations "
                                                                f"({', '.join(scenario.organisations) or 'none defined'}); found '{pop.network_kind}'")
    result = assemble(DataFiles.of(pop), scenario.start, pop.region)
    table = result.table
    if result.practices == 0:
        raise InputError(pop.registrations, "", f"expected open GP practices at {scenario.start}"
                                                f"{' in region ' + ', '.join(pop.region) if pop.region else ''}; found none")
    icb_codes = sorted(set(table["icb"]))
    area_icb = table.groupby("area")["icb"].agg(lambda s: s.mode().iloc[0])
    area_codes = sorted(area_icb.index, key=lambda code: (area_icb[code], code))
    area = table["area"].map({code: i for i, code in enumerate(area_codes)}).to_numpy(dtype=np.int32, copy=True)
    region = table["icb"].map({code: i for i, code in enumerate(icb_codes)}).to_numpy(dtype=np.int32, copy=True)
    xy = _sites(result, pop, rng, area, region)
    n = len(table)
    _, isolation_km = neighbours(xy, 3, pop.side_km)
    rural = np.zeros(n, dtype=bool)
    rural[np.argsort(-isolation_km, kind="stable")[: int(round(pop.rural_share * n))]] = True
    deprivation, need_weight = deprivation_and_need(rng, pop, len(area_codes), area, rural)

    list_size = table["patients"].to_numpy(dtype=float, copy=True)
    gp_fte = np.where(table["gp_fte"].notna(), table["gp_fte"], list_size * work.gp_fte_per_1000 / 1000)
    partners_fte, salaried_fte = gp_heads(gp_fte, work.partner_share, work)
    split = (table["partners"].notna() & table["salaried"].notna()).to_numpy()
    partners = np.where(split, table["partners"].fillna(0).round(), partners_fte).astype(np.int64)
    salaried = np.where(split, table["salaried"].fillna(0).round(), salaried_fte).astype(np.int64)

    def staff(name: str, per_1000: float) -> np.ndarray:
        return np.where(table[name].notna(), table[name], list_size * per_1000 / 1000).astype(float)

    nurse = staff("nurse_fte", work.nurse_fte_per_1000)
    direct_care = staff("direct_care_fte", work.direct_care_fte_per_1000)
    admin = staff("admin_fte", work.admin_fte_per_1000)
    pcn_codes = sorted(set(table["network"]) - {""})
    labels = table["network"].map({code: i for i, code in enumerate(pcn_codes)}).fillna(-1).to_numpy(dtype=np.int64, copy=True)
    return practice_state(
        rng, scenario, xy, area=area, region=region, rural=rural, deprivation=deprivation, need_weight=need_weight,
        list_size=list_size, partners=partners, salaried=salaried, nurse_fte=nurse, direct_care_fte=direct_care,
        admin_fte=admin, reserves=reserves(rng, scenario, list_size, partners, salaried, nurse, direct_care, admin),
        starting_networks={pop.network_kind: labels},
    )


# -- gpsim data check ----------------------------------------------------------------------------
def identify(path: str | Path) -> str:
    """Which file this is, from its header: one of FILE_FIELDS."""
    path = _exists(path, "data")
    try:
        header = pd.read_csv(path, dtype=str, nrows=0, encoding="utf-8-sig").columns
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise InputError(path, "", "expected a CSV file with a header row (or epraccur rows); found none") from None
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
                               f"matches none: {', '.join(list(names)[:8])}")


LABELS = {"registrations": "registrations", "registrations_map": "registrations mapping", "workforce": "workforce",
          "pcn_membership": "PCN memberships", "practices_file": "practices (epraccur)", "coordinates": "coordinates"}


def _share(part: int, whole: int) -> str:
    return f"{part:,} of {whole:,} ({100.0 * part / whole:.1f}%)" if whole else f"{part:,} of 0"


def report(files: DataFiles, start: str, region: list[str] | tuple = (), network_kind: str = "pcn") -> tuple[str, int]:
    """What the files give, in words, and the exit status: 0 a population can be built, 1 not."""
    lines = [f"Files (population at {start}{', region ' + ', '.join(region) if region else ''})"]
    for name in FILE_FIELDS:
        path = getattr(files, name)
        lines.append(f"  {LABELS[name] + ':':24} {path if path else '(not given)'}")
    absent = files.missing()
    if absent:
        lines.append("Cannot build a population without: " + ", ".join(LABELS[name] for name in absent))
        return "\n".join(lines), 1
    result = assemble(files, start, region)
    counts, n = result.counts, result.practices
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
    lines += [f"  {what}: {len(codes):,} ({_sample(codes)})" for what, codes in listed] or ["  none"]
    lines.append("Gaps filled")
    lines += [f"  - {text}" for text in result.fills] or ["  - none"]
    lines.append("Synthetic even with these files")
    lines += [f"  - {text}" for text in result.synthetic]
    if n == 0:
        lines.append(f"Cannot build a population: no open GP practice at {start}")
        return "\n".join(lines), 1
    return "\n".join(lines), 0
