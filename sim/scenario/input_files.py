"""Which paths gpsim reads and writes, and how text files are decoded.

Only regular files are read, and paths into the kernel's pseudo-file systems (/proc, /sys, /dev)
are refused by name before anything is opened: reading /proc/self/environ would put the process
environment, secrets included, into an error message. Text is decoded as UTF-8 (with or without a
byte order mark), UTF-16 (with its byte order mark) or, failing UTF-8, cp1252 (the Windows
encoding many NHS downloads use, a superset of Latin-1's printable characters); the encoding used
is reported.
"""
from __future__ import annotations

import codecs
from pathlib import Path

from sim.scenario.errors import InputError

SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")
ENCODINGS = ("UTF-8", "UTF-8 with BOM", "UTF-16", "cp1252")


def system_path(path: str | Path) -> str | None:
    """The system folder (/proc, /sys or /dev) a path lies in, as given or once resolved; None if
    it lies in none."""
    for candidate in (Path(path).absolute(), _resolved(path)):
        for folder in SYSTEM_FOLDERS:
            if candidate == Path(folder) or Path(folder) in candidate.parents:
                return folder
    return None


def _resolved(path: str | Path) -> Path:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):
        return Path(path).absolute()


def regular_file(path: str | Path, what: str) -> Path:
    """The path, when it names a regular file outside the system folders; InputError naming what
    was expected otherwise (nothing is opened)."""
    path = Path(path)
    if str(path) in ("", "."):
        raise InputError(what, "", "expected a file path; found an empty one")
    folder = system_path(path)
    if folder is not None:
        raise InputError(path, "", f"expected a {what} file; found a path in {folder}, which gpsim never reads")
    if not path.exists():
        raise InputError(path, "", f"expected an existing {what} file; found nothing there")
    if path.is_dir():
        raise InputError(path, "", f"expected a {what} file; found a folder")
    if not path.is_file():
        raise InputError(path, "", f"expected a {what} file; found a device, pipe or socket, which gpsim never reads")
    return path


def decode(raw: bytes, path: str | Path, what: str) -> tuple[str, str]:
    """Text and the name of its encoding (one of ENCODINGS); InputError for binary data."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise InputError(path, "", f"expected a {what} file of text; found UTF-16 that does not decode") from None
    if raw.startswith(codecs.BOM_UTF8):
        encoding, name = "utf-8-sig", "UTF-8 with BOM"
    else:
        encoding, name = "utf-8", "UTF-8"
    try:
        return raw.decode(encoding), name
    except UnicodeDecodeError as error:
        first_bad = error.start
    if b"\x00" in raw or encoding == "utf-8-sig":
        raise InputError(path, "", f"expected a {what} file of text (UTF-8, UTF-16 or cp1252); "
                                   f"found binary data (byte {first_bad:,} is not text)")
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # The five bytes cp1252 leaves undefined: read as Latin-1, which maps every byte.
        return raw.decode("latin-1"), "cp1252"
