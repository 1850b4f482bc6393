"""Optional practice coordinates: a practice code with LATITUDE and LONGITUDE, or EASTING and
NORTHING (m, British National Grid). Latitude and longitude are projected onto the National Grid
(transverse Mercator on the Airy 1830 ellipsoid, Ordnance Survey constants) without the datum
shift, so sites are within about 0.1 km of their grid position."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.population.nhs_files.cells import (
    excerpt,
    find_column,
    numbers,
    read_table,
    shown_columns,
    unique_codes,
)
from sim.scenario.errors import InputError

COORDINATES_CODE = ("PRACTICE_CODE", "PRACTICE CODE", "CODE", "PRAC_CODE", "ORG_CODE", "ORGANISATION CODE")
LATITUDE, LONGITUDE = ("LATITUDE", "LAT"), ("LONGITUDE", "LONG", "LON", "LNG")
EASTING, NORTHING = ("EASTING", "OSEAST1M", "X"), ("NORTHING", "OSNRTH1M", "Y")


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
    code_column = find_column(frame, COORDINATES_CODE)
    if code_column is None:
        raise InputError(path, COORDINATES_CODE[0], f"expected a column named {' or '.join(COORDINATES_CODE)}; "
                                                    f"found {shown_columns(list(frame.columns))}")
    code = frame[code_column].str.upper()
    unique_codes(code, path, code_column)
    lat, lon, east, north = (find_column(frame, names) for names in (LATITUDE, LONGITUDE, EASTING, NORTHING))
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
                                               f"{row + 2}; found {excerpt(frame[column].iloc[row])}")
        x, y = latlon_to_grid(lat_deg, lon_deg)
    else:
        raise InputError(path, "LATITUDE", "expected columns LATITUDE and LONGITUDE, or EASTING and NORTHING; "
                                           f"found {shown_columns(list(frame.columns))}")
    sites = pd.DataFrame({"x_km": x / 1000.0, "y_km": y / 1000.0}, index=code.to_numpy())
    sites.attrs["encoding"] = frame.attrs["encoding"]
    return sites


