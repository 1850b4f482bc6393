"""Writing a run folder: complete or not at all, never over anything gpsim did not write.

A folder is written under a hidden temporary name beside its destination,
`.<name>.partial-<pid>@<host>-<random>`, and renamed into place only when every file is written and
flushed to disk. A run that is killed part way leaves at most such a hidden partial folder, never a
folder under the destination name; the next write into the same parent folder removes partial
folders whose process (on this machine) has ended. With --force the old folder is first renamed to
`.<name>.replaced-<pid>@<host>`; if a run dies between the two renames, the next write puts the old
folder back.

What gpsim owns: a folder whose manifest.json lists every file in it with the SHA-256 each had when
written (`not_ours`). --force replaces only such a folder, never the current or home folder, one
above them or a repository root. A writer holds a lock on its destination from before it simulates
until the folder is in place, so a second writer is refused at once, naming the first; and the final
rename never replaces a folder that appeared or changed meanwhile (docs/reliability.md).
"""
from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import sys
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Iterator

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


PROTECTED_MARKS = (".git", ".hg", ".svn")  # a folder holding one of these is a repository root


def _entries(folder: Path) -> list[str]:
    """Every file and folder under a folder, as relative POSIX paths."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def not_ours(folder: Path) -> str | None:
    """Why gpsim may not replace an existing folder, or None when gpsim wrote it: its
    manifest.json, written by gpsim, lists every file in the folder with the SHA-256 it had when
    written, and every file still has it (the manifest is gpsim's marker of ownership)."""
    path = folder / "manifest.json"
    if not path.is_file() or path.is_symlink():
        return "no manifest.json, so not a folder gpsim wrote"
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "a manifest.json gpsim cannot read"
    files = recorded.get("files") if isinstance(recorded, dict) else None
    written_by = recorded.get("written_by") if isinstance(recorded, dict) else None
    if not isinstance(files, dict) or (written_by != "gpsim" and "gpsim" not in (recorded.get("versions") or {})):
        return "a manifest.json that does not list the files gpsim wrote"
    for name in _entries(folder):
        entry = folder / name
        if entry.is_symlink() or not (entry.is_dir() or entry.is_file()):
            return f"{short(name, 40)}, which is not a plain file or folder"
        if entry.is_file() and name != "manifest.json":
            if name not in files:
                return f"{short(name, 40)}, a file gpsim did not write"
            if _digest(entry) != files[name]:
                return f"{short(name, 40)} changed since gpsim wrote it"
    return None


def _protected(folder: Path) -> str | None:
    """Why a folder is never a results folder to replace: the current folder, the home folder, a
    folder above either, the root of the file system or a repository root."""
    resolved = folder.resolve()
    for place, words in ((Path.cwd().resolve(), "the current folder"), (Path.home().resolve(), "the home folder")):
        if resolved == place:
            return words
        if resolved in place.parents:
            return f"a folder holding {words}"
    if resolved == Path(resolved.anchor):
        return "the root of the file system"
    if any((resolved / mark).exists() for mark in PROTECTED_MARKS):
        return "a repository root"
    return None


def check_destination(directory: Path, force: bool) -> None:
    """Refuse a destination gpsim must not write, then hold its lock until the folder is written
    (or the process ends), so that a second writer is refused before it simulates.

    Refused, with nothing touched: an empty path; a path in /proc, /sys or /dev; a symbolic link;
    a file; the current or home folder, one above them, or a repository root; an existing
    non-empty folder without `force`; with `force`, a folder gpsim did not write (see not_ours);
    a destination another gpsim process is writing (see destination_lock); a place where nothing
    can be written.
    """
    directory = Path(directory)
    system = system_path(directory)
    if system is not None:
        raise InputError(directory, "", f"expected a folder for the results; found a path in {system}, where gpsim never writes")
    if directory.is_symlink():
        raise InputError(directory, "", "expected a folder for the results; found a symbolic link, which gpsim never replaces")
    if directory.exists() and not directory.is_dir():
        raise InputError(directory, "", "expected a folder for the results; found a file")
    ancestor = directory.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(directory, "", f"expected a folder path; found the file {ancestor} in the way")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError(directory, "", f"expected a place results can be written; found {ancestor} not writable")
    _check_contents(directory, force)
    destination_lock(directory)  # before anything is written, so a refused run leaves nothing
    _check_contents(directory, force)  # as it is now that no other gpsim process can write it


def _check_contents(directory: Path, force: bool) -> None:
    if not directory.is_dir():
        return
    reason = _protected(directory)
    if reason is not None:
        raise InputError(directory, "", f"expected a results folder; found {reason}, which gpsim never writes into or replaces")
    if not any(directory.iterdir()):
        return
    if not force:
        raise InputError(directory, "", "expected a new or empty folder; found existing results (use --force to replace them)")
    problem = not_ours(directory)
    if problem is not None:
        raise InputError(directory, "", f"expected a folder gpsim wrote, to replace with --force; found {problem} "
                                        "(nothing was touched; remove it yourself or choose another --out)")


# Destinations this process holds the lock of: lock file -> (open lock file, or -1 without flock;
# the destination as it was when locked).
_HELD: dict[Path, tuple[int, tuple | None]] = {}


def _lock_path(directory: Path) -> Path:
    """The lock file of a destination: in this user's folder of gpsim locks in the temporary
    folder, named by a hash of the destination's absolute path (so nothing is written beside the
    results, and a run killed with SIGKILL leaves nothing there)."""
    target = Path(directory).absolute()
    target = target.parent.resolve() / target.name
    digest = hashlib.sha256(os.fsencode(target)).hexdigest()[:32]
    return Path(tempfile.gettempdir()) / f"gpsim-locks-{os.getuid() if hasattr(os, 'getuid') else 0}" / f"{digest}.lock"


def _identity(directory: Path) -> tuple | None:
    """What a destination is: None when absent, else its device, inode and whether it is empty."""
    try:
        status = os.lstat(directory)
    except FileNotFoundError:
        return None
    empty = directory.is_dir() and not any(directory.iterdir())
    return status.st_dev, status.st_ino, empty


def destination_lock(directory: Path) -> None:
    """Take the lock of a destination (see _lock_path; locked with flock, naming this process)
    and hold it until release(); a second process asking for it gets an InputError naming the
    process that holds it. Taking a lock already held here does nothing. The operating system
    lets go of a lock when its process ends, however it ends."""
    lock = _lock_path(directory)
    if lock in _HELD:
        return
    if os.name != "posix":  # no flock: the final move still never replaces a folder that appeared
        _HELD[lock] = (-1, _identity(directory))
        return
    import fcntl
    lock.parent.mkdir(mode=0o700, exist_ok=True)
    if lock.parent.is_symlink() or lock.parent.stat().st_uid != os.getuid():
        raise InputError(lock.parent, "", "expected this user's own folder of gpsim locks; found a link or another user's folder")
    while True:
        handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = re.sub(r"[^A-Za-z0-9_.@-]", "", os.read(handle, 200).decode("ascii", "replace"))[:80] or "unknown"
            os.close(handle)
            raise InputError(directory, "", f"expected no other gpsim writing this folder; found process {holder} "
                                            "writing it (wait for it to finish, or choose another --out)") from None
        try:
            if os.fstat(handle).st_ino == os.stat(lock).st_ino:
                break  # else its last holder removed the file while this process waited for it
        except FileNotFoundError:
            pass
        os.close(handle)
    os.ftruncate(handle, 0)
    os.write(handle, f"{_owner()}\n".encode("ascii", "replace"))
    _HELD[lock] = (handle, _identity(directory))


def release(directory: Path | None = None) -> None:
    """Give up the lock of a destination (of every destination this process holds when None)."""
    for lock in [_lock_path(Path(directory))] if directory is not None else list(_HELD):
        handle, _ = _HELD.pop(lock, (None, None))
        if handle is not None and handle >= 0:
            lock.unlink(missing_ok=True)  # while still locked, so no waiting process locks a removed file
            os.close(handle)


_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>partial|replaced)-(?P<pid>\d+)(@(?P<host>[A-Za-z0-9_.]+))?(-.*)?$")


def _owner() -> str:
    """This process, as written into temporary folder names: pid@host (a shared results folder
    may be written from several machines; only this machine's dead processes are tidied)."""
    host = re.sub(r"[^A-Za-z0-9_.]", "_", platform.node() or "localhost")[:60]
    return f"{os.getpid()}@{host}"


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
        if match["host"] is not None and f"{pid}@{match['host']}" != f"{pid}@{_owner().split('@', 1)[1]}":
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
        "command": command_line(),
        "scenario": results.scenario.model_dump(mode="json"),
    }
    found.update(extra or {})
    return found


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


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under a folder, keyed by its relative path."""
    return {p.relative_to(folder).as_posix(): _digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


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
    work = target.with_name(f".{target.name}.partial-{_owner()}-{secrets.token_hex(4)}")
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
        work = target.absolute().parent / f".{target.name}.partial-{_owner()}-{secrets.token_hex(8)}"
        try:
            work.mkdir()  # the usual permissions (umask), as results are for sharing
            yield work
            _sync(work)
            _move_into_place(work, target, _HELD[_lock_path(target)][1], force)
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


class _Changed(Exception):
    """The destination changed while the results were being made."""


def _move_into_place(work: Path, target: Path, before: tuple | None, force: bool) -> None:
    """Rename the finished folder to the destination, if the destination is still what it was
    when checked (absent, empty, or with --force a folder gpsim wrote): a folder that appeared or
    changed meanwhile is never replaced; the new results are then kept beside it, and the
    InputError names where."""
    now = _identity(target)
    unchanged = now == before and (now is None or now[2] or (force and not_ours(target) is None))
    try:
        if not unchanged:
            raise _Changed()
        if now is not None and not now[2]:
            retired = target.with_name(f".{target.name}.replaced-{_owner()}")
            os.replace(target, retired)
            _rename_new(work, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            if now is not None:
                target.rmdir()  # empty, as checked: the name is free for a rename that never replaces
            _rename_new(work, target)
    except _Changed:
        kept = target.with_name(f"{target.name}-new")
        number = 2
        while kept.exists():
            kept, number = target.with_name(f"{target.name}-new-{number}"), number + 1
        _rename_new(work, kept)
        raise InputError(target, "", "expected the destination as it was when the run started; found it changed "
                                     f"meanwhile, so it was left alone (the new results are in {kept})") from None


def _rename_new(source: Path, destination: Path) -> None:
    """Rename a folder to a name nothing holds, never replacing what appears there first
    (renameat2 with RENAME_NOREPLACE where the system has it)."""
    if _renameat2 is not None:
        if _renameat2(-100, os.fsencode(source), -100, os.fsencode(destination), 1) == 0:  # AT_FDCWD, NOREPLACE
            return
        code = ctypes.get_errno()
        if code == errno.EEXIST:
            raise _Changed()
        if code not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            raise OSError(code, os.strerror(code), str(destination))
    if os.path.lexists(destination):
        raise _Changed()
    os.rename(source, destination)


def _find_renameat2():
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    return function


_renameat2 = _find_renameat2() if sys.platform.startswith("linux") else None
