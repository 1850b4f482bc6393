"""Reading an NHS CSV file as text cells, and the checks every reader shares: column aliases,
numbers ('ND' or blank meaning not disclosed), practice codes given once, and dates."""
from __future__ import annotations

import csv
import datetime as _dt
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.scenario.errors import InputError
from sim.scenario.input_files import decode, regular_file

NOT_DISCLOSED = ("ND", "")
_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}


def normalise(header: Any) -> str:
    """A header with its whitespace (line breaks too) collapsed to single spaces, upper-cased."""
    return " ".join(str(header).split()).upper()


def existing_file(path: str | Path, what: str) -> Path:
    """The path, if a regular file is there outside /proc, /sys and /dev; InputError naming `what`
    was expected if not (see sim.scenario.input_files)."""
    return regular_file(path, what)


def excerpt(text: Any, limit: int = 24) -> str:
    """A cell as shown in a message: quoted, printable characters only, at most `limit` of them
    (a file's contents are never reproduced beyond the offending field)."""
    shown = "".join(ch if ch.isprintable() else "?" for ch in str(text))
    return f"'{shown[:limit]}...'" if len(shown) > limit else f"'{shown}'"


_HEADER_NAME = re.compile(r"^[A-Z0-9][A-Z0-9 _()/.&+-]{0,47}$")


def shown_columns(names: list[str]) -> str:
    """The columns a file has, as named in a message: only names that look like column names
    (a file that is not a table shows none of its text)."""
    plain = [name for name in names if _HEADER_NAME.match(name)]
    if len(plain) < len(names) or not plain:
        return f"a header of {len(names):,} cell(s) that are not the expected column names"
    return "columns " + ", ".join(plain[:12]) + (", ..." if len(plain) > 12 else "")


def read_table(path: str | Path, what: str, header: bool = True) -> pd.DataFrame:
    """A CSV file as text cells (stripped), headers normalised; InputError if it cannot be read.

    The text may be UTF-8 (with or without a byte order mark), UTF-16 or cp1252; the encoding
    used is in `frame.attrs["encoding"]`. Every line must have as many cells as the header (or,
    without a header, as most lines): a truncated line or an unquoted comma is an error naming
    the line, never a row silently shortened or dropped.
    """
    path = existing_file(path, what)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(path, "", f"expected a readable {what} file; found {error.strerror or error}") from None
    text, encoding = decode(raw, path, what)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError(path, "", f"expected a {what} CSV file of text; found a NUL byte on line {line}")
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    except csv.Error as error:
        raise InputError(path, "", f"expected a {what} CSV file; found text that does not parse ({error})") from None
    if not rows or (header and len(rows) < 2):
        raise InputError(path, "", f"expected a {what} CSV file with rows; found an empty file")
    widths = [len(row) for row in rows]
    expected = widths[0] if header else max(set(widths), key=widths.count)
    odd = next((i for i, width in enumerate(widths) if width != expected), None)
    if odd is not None:
        cause = "more (an unquoted comma?)" if widths[odd] > expected else "fewer (a truncated line?)"
        raise InputError(path, "", f"expected a {what} CSV file with {expected} cells on each line"
                                   f"{' as in its header' if header else ''}; found {widths[odd]} on line {odd + 1}, {cause}")
    if header:
        frame = pd.DataFrame(rows[1:], columns=[normalise(column) for column in rows[0]], dtype=str)
    else:
        frame = pd.DataFrame(rows, dtype=str)
    frame = frame.apply(lambda column: column.str.strip())
    frame.attrs["encoding"] = encoding
    return frame


def find_column(frame: pd.DataFrame, aliases: tuple[str, ...]) -> str | None:
    """The first of the aliases that is a column of the frame, or None."""
    return next((name for name in aliases if name in frame.columns), None)


def columns(frame: pd.DataFrame, path: Path, required: dict, optional: dict | None = None) -> dict[str, str | None]:
    """Canonical name -> the column that holds it (first alias present); InputError if a required
    one is missing.

    Args:
        frame: the file's cells, headers normalised.
        path: the file, named in errors.
        required: canonical name -> accepted headers; each must be present.
        optional: canonical name -> accepted headers; None where absent.
    """
    found: dict[str, str | None] = {}
    for name, aliases in required.items():
        column = find_column(frame, aliases)
        if column is None:
            raise InputError(path, aliases[0], f"expected a column named {' or '.join(aliases)}; "
                                               f"found {shown_columns(list(frame.columns))}")
        found[name] = column
    for name, aliases in (optional or {}).items():
        found[name] = find_column(frame, aliases)
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
        raise InputError(path, column, f"expected a non-negative number on line {row + 2}; found {excerpt(text[row])}")
    return values.to_numpy(dtype=float)


def unique_codes(codes: pd.Series, path: Path, column: str, first_line: int = 2) -> None:
    """InputError naming the first two lines if a (non-blank) practice code appears twice.

    Args:
        codes: the practice codes, in file order.
        path, column: named in the error.
        first_line: the file line of the first code (2 below a header row).
    """
    check_codes(codes, path, column, first_line)
    repeated = codes.duplicated(keep=False) & (codes != "")
    if repeated.any():
        lines = [str(i + first_line) for i in np.flatnonzero(repeated.to_numpy())[:2]]
        raise InputError(path, column, f"expected each practice code once; found '{codes[repeated].iloc[0]}' "
                                       f"on lines {' and '.join(lines)}")


CODE = re.compile(r"^[A-Z0-9]{1,12}$")


def check_codes(codes: pd.Series, path: Path, column: str, first_line: int = 2) -> None:
    """InputError naming the first line whose (non-blank) practice code is not letters and
    digits (a control character or stray text would make a practice 'missing' elsewhere)."""
    bad = ~codes.str.fullmatch(CODE) & (codes != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(path, column, f"expected a practice code of letters and digits on line {row + first_line}; "
                                       f"found {excerpt(codes.iloc[row])}")


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


def dates(frame: pd.DataFrame, column: str | int, path: Path, first_line: int, name: str) -> np.ndarray:
    """A column of dates as YYYYMMDD integers (0 for a blank); InputError naming the first line
    that is not a date.

    Args:
        frame, column: the cells and the column (a header, or a position in a file without one).
        path, name: the file and the column's name, both named in the error.
        first_line: the file line of the frame's first row.
    """
    values = []
    for row, text in enumerate(frame[column]):
        value = parse_date(text)
        if value is None:
            raise InputError(path, name, f"expected a date such as 2019-07-01, 01/07/2019 or 20190701 on line "
                                         f"{row + first_line}; found {excerpt(text)}")
        values.append(value)
    return np.array(values, dtype=np.int64)


def month_start(year_month: str) -> int:
    """The first day of a YYYY-MM month as YYYYMMDD."""
    year, month = year_month.split("-")
    return int(year) * 10000 + int(month) * 100 + 1
