"""Writing a run folder: complete or not at all, never over anything gpsim did not write.

A folder is written under a hidden temporary name beside its destination,
`.<name>.partial-<pid>@<host>-<random>`, and renamed into place only when every file is written and
flushed to disk. A run that is killed part way leaves at most such a hidden partial folder, never a
folder under the destination name; the next write into the same parent folder removes partial
folders whose process (on this machine) has ended. With --force the old folder is first renamed to
`.<name>.replaced-<pid>@<host>`; if a run dies between the two renames, the next write puts the old
folder back.

Which destinations may be written, and the lock and final rename that keep a second writer from
losing anyone's results, are in destination.py.
"""
from __future__ import annotations

import json
import os
import platform
import re
import secrets
import shutil
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Iterator

from sim.results.destination import (  # check_destination and release are also used from here
    check_destination,
    file_sha256,
    locked_state,
    move_into_place,
    owner,
    release,
)
from sim.results.parameter_sets import ENSEMBLE_FILE, ensemble_digest, interval_words
from sim.results.seeds import STREAMS
from sim.scenario.errors import InputError
from sim.scenario.input_files import system_path
from sim.scenario.loading import file_digest
from sim.scenario.messages import short

FLOAT_FORMAT = "%.10g"
DEPENDENCIES = ("mesa", "numpy", "pandas", "scipy", "pydantic", "PyYAML", "matplotlib", "pyarrow", "tqdm", "fpdf2")


def package_version() -> str:
    """Installed version of this package (or 'unknown' when run from a source tree)."""
    try:
        return metadata.version("gpsim")
    except metadata.PackageNotFoundError:
        return "unknown"


def versions(*extra: str) -> dict:
    """Python, platform, this package and its dependencies' versions (and those of the `extra`
    packages named)."""
    found = {"python": platform.python_version(), "platform": platform.platform(), "gpsim": package_version()}
    for name in DEPENDENCIES + extra:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def safe_name(name: str) -> str:
    """A folder name made from a scenario name: letters, digits, '_', '.' and '-' only, not
    starting with '.' or '-', so it can never leave the folder it is placed in."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", str(name))[:80].lstrip(".-")
    return cleaned or "scenario"


def default_folder(name: str, root: Path = Path("outputs")) -> Path:
    """A new folder under outputs/ named after the scenario and the time."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    name = safe_name(name)
    folder = root / f"{name}-{stamp}"
    suffix = 2
    while folder.exists():
        folder = root / f"{name}-{stamp}-{suffix}"
        suffix += 1
    if folder.resolve().parent != root.resolve():
        raise InputError(name, "name", f"expected a folder name inside {root}; found one outside it")
    return folder


_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>partial|replaced)-(?P<pid>\d+)(@(?P<host>[A-Za-z0-9_.]+))?(-.*)?$")


def _alive(pid: int) -> bool:
    """Whether a process is running (assumed so where that cannot be asked safely)."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_stale(parent: Path) -> list[Path]:
    """Tidy what killed runs left in a folder: partial folders whose process has ended are
    removed, and a replaced folder whose successor never arrived is put back. Returns the
    leftovers dealt with."""
    dealt = []
    if not parent.is_dir():
        return dealt
    for entry in sorted(parent.iterdir()):
        match = _LEFTOVER.match(entry.name)
        if not match or not entry.is_dir():
            continue
        pid = int(match["pid"])
        if match["host"] is not None and f"{pid}@{match['host']}" != f"{pid}@{owner().split('@', 1)[1]}":
            continue  # another machine's
        if pid == os.getpid() or _alive(pid):
            continue
        original = parent / match["name"]
        if match["kind"] == "replaced" and not original.exists():
            os.replace(entry, original)
        else:
            shutil.rmtree(entry, ignore_errors=True)
        dealt.append(entry)
    return dealt


def table_text(frame) -> str:
    """A result table as the CSV text written to a run folder (the same bytes every time)."""
    return frame.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def _sync(folder: Path) -> None:
    """Flush a folder's files and the folder itself to disk, so a rename publishes whole files."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _sync_dir(folder)


def _sync_dir(folder: Path) -> None:
    if os.name == "posix":
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def data_files(scenario, source: str | None = None) -> dict:
    """SHA-256 of every data file the scenario reads (the population's files), for provenance and
    for `gpsim rerun` to check: each with its absolute path and, when the run came from a
    scenario file, its path relative to that file's folder (found there if the two move together)."""
    found = {}
    population = scenario.population
    for name in type(population).model_fields:
        value = getattr(population, name)
        if name != "source" and isinstance(value, str) and value and Path(value).is_file():
            path = Path(value).absolute()
            found[name] = {"path": str(path), "sha256": file_digest(path)}
            if source:
                found[name]["relative_to_scenario"] = os.path.relpath(path, Path(source).absolute().parent)
    return found


MANIFEST_FORMAT = 2


def manifest(results, extra: dict | None = None) -> dict:
    """Everything needed to reproduce and trace a run: the resolved scenario (every field, so
    later changes of defaults do not matter), seed, replications, the overrides and file it came
    from, the dated changes' settings dropped so the overrides hold, the float format of the tables. `write_manifest` adds versions and each file's
    SHA-256; `gpsim rerun` reads it to run again and compare."""
    source = results.source
    found = {
        "format": MANIFEST_FORMAT,
        "scenario_file": str(Path(source).absolute()) if source else source,
        "scenario_sha256": file_digest(source) if source and Path(source).is_file() else None,
        "overrides": results.overrides,
        "dropped_changes": results.dropped_changes,
        "seed": results.seed,
        "replications": results.replications,
        "replication_streams": STREAMS,
        "float_format": FLOAT_FORMAT,
        "data_files": data_files(results.scenario, source),
        "data_warnings": list(getattr(results, "data_warnings", [])),
        "started": results.started,
        "finished": results.finished,
        "seconds": round(results.seconds, 3),
        "command": getattr(results, "command", None) or command_line(),
        "uncertainty": uncertainty_record(results),
        "scenario": results.scenario.model_dump(mode="json"),
    }
    found.update(extra or {})
    return found


def uncertainty_record(results) -> dict:
    """Which uncertainty the replications include and, with parameter uncertainty, the ensemble
    file's SHA-256 and the set each replication ran with (gpsim rerun checks and repeats them)."""
    mode = getattr(results, "uncertainty", "stochastic")
    record = {"mode": mode, "intervals": interval_words(mode, getattr(results, "ensemble_sets", 0))}
    if mode == "parameters":
        record.update(ensemble_file=ENSEMBLE_FILE.name, ensemble_sha256=ensemble_digest(), ensemble_sets=results.ensemble_sets,
                      parameter_sets=[{"replication": r, "set": n} for r, n in enumerate(results.parameter_sets)])
    return record


def command_line() -> list[str] | None:
    """The gpsim command that is running, if this process is one: the `gpsim` script or
    `python -m sim`, never another program's (a dashboard server's, say) that called gpsim."""
    if not sys.argv:
        return None
    program = Path(sys.argv[0])
    own = program.name == "gpsim" or program.resolve() == Path(__file__).resolve().parents[1] / "__main__.py"
    return list(sys.argv) if own else None


def write_manifest(folder: Path, entries: dict, *, files: bool = True, extra_versions: tuple[str, ...] = ()) -> dict:
    """Write manifest.json into a folder, atomically: `written_by: gpsim`, the entries, then the
    versions of Python and the packages, then (with `files`) the SHA-256 of every file already in
    the folder (with which the manifest marks the folder as gpsim's; see not_ours).

    Args:
        folder: the folder the manifest describes.
        entries: what produced the folder (scenario, seed, replications, ...).
        files: whether to record each file's SHA-256 (a folder still being filled has none).
        extra_versions: more packages whose versions matter (e.g. SALib for a sweep).

    Returns:
        The manifest written.
    """
    found = {"written_by": "gpsim", **entries, "versions": versions(*extra_versions)}
    if files:
        found["files"] = digests(folder)
    with atomic_file(folder / "manifest.json") as work:
        work.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
    return found


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under a folder, keyed by its relative path."""
    return {p.relative_to(folder).as_posix(): file_sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


@contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """A temporary file beside target that replaces it, flushed to disk, only if the block
    finishes: a reader never sees half a file.

    Args:
        target: the file to write (its folder is created if need be).

    Yields:
        The temporary path to write; it is removed if the block fails.
    """
    system = system_path(target)
    if system is not None:
        raise InputError(target, "", f"expected a file to write; found a path in {system}, where gpsim never writes")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.with_name(f".{target.name}.partial-{owner()}-{secrets.token_hex(4)}")
    try:
        yield work
        with open(work, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(work, target)
    except BaseException:
        work.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_folder(target: Path, force: bool = False) -> Iterator[Path]:
    """A temporary folder beside target that replaces it only if the block finishes, and only
    if the destination is still as it was when checked (see check_destination and
    _move_into_place).

    Args:
        target: the results folder to create.
        force: replace an existing folder gpsim wrote (otherwise InputError).

    Yields:
        The temporary folder to write into; it is removed if the block fails.
    """
    target = Path(target)
    try:
        check_destination(target, force)
        target.absolute().parent.mkdir(parents=True, exist_ok=True)
        remove_stale(target.absolute().parent)
        # The name is chosen before the folder exists, so a signal at any moment leaves nothing behind.
        work = target.absolute().parent / f".{target.name}.partial-{owner()}-{secrets.token_hex(8)}"
        try:
            work.mkdir()  # the usual permissions (umask), as results are for sharing
            yield work
            _sync(work)
            move_into_place(work, target, locked_state(target), force)
            _sync_dir(target.absolute().parent)
        except OSError as error:
            raise InputError(target, "", f"expected a place the results can be written; found "
                                         f"{_os_problem(error)}; nothing was written") from None
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        release(target)


def _os_problem(error: OSError) -> str:
    """An operating system error in words, without the file contents some libraries add."""
    if error.errno is not None:
        return f"{os.strerror(error.errno)} (error {error.errno})"
    number = re.search(r"errno (\d+)", str(error))
    if number:
        return f"{os.strerror(int(number.group(1)))} (error {number.group(1)})"
    return short(" ".join(str(error).split()), 120)


def write_run(results, directory: str | Path | None = None, force: bool = False, draw=None,
              extra: dict | None = None) -> Path:
    """Write a run's files to a temporary folder beside the destination, then move it into place.

    Args:
        results: the Results to write.
        directory: the folder (default: a new one under outputs/ named after the scenario).
        force: replace an existing folder.
        draw: draws the charts into a folder, called as draw(results, folder); none if not given.
        extra: more manifest entries (e.g. what a rerun reproduced).
    """
    target = Path(directory) if directory is not None else default_folder(results.scenario.name)
    with atomic_folder(target, force) as work:
        (work / "timeseries.csv").write_bytes(table_text(results.timeseries).encode("utf-8"))
        (work / "networks.csv").write_bytes(table_text(results.networks).encode("utf-8"))
        results.practices.to_parquet(work / "practices.parquet", index=False)
        if draw is not None:
            draw(results, work / "charts")
        write_manifest(work, manifest(results, {"charts": draw is not None, **(extra or {})}))
    return target


