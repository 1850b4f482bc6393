"""Where results may go: which folders gpsim owns, the places it never writes, one writer per
destination, and the final rename that never replaces a folder that appeared meanwhile.

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
import shutil
import sys
import tempfile
from pathlib import Path

from sim.scenario.errors import InputError
from sim.scenario.input_files import system_path
from sim.scenario.messages import short


def owner() -> str:
    """This process, as written into temporary folder names: pid@host (a shared results folder
    may be written from several machines; only this machine's dead processes are tidied)."""
    host = re.sub(r"[^A-Za-z0-9_.]", "_", platform.node() or "localhost")[:60]
    return f"{os.getpid()}@{host}"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
            if file_sha256(entry) != files[name]:
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
        raise InputError(directory, "", "expected a new or empty folder; found existing results (--force, or save(..., force=True) from Python, replaces them)")
    problem = not_ours(directory)
    if problem is not None:
        raise InputError(directory, "", f"expected a folder gpsim wrote, to replace with --force; found {problem} "
                                        "(nothing was touched; remove it yourself or choose another --out)")


# Destinations this process holds the lock of: lock file -> (open lock file, or -1 without flock;
# the destination as it was when locked).
_HELD: dict[Path, tuple[int, tuple | None]] = {}


def lock_path(directory: Path) -> Path:
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
    lock = lock_path(directory)
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
    os.write(handle, f"{owner()}\n".encode("ascii", "replace"))
    _HELD[lock] = (handle, _identity(directory))


def release(directory: Path | None = None) -> None:
    """Give up the lock of a destination (of every destination this process holds when None)."""
    for lock in [lock_path(Path(directory))] if directory is not None else list(_HELD):
        handle, _ = _HELD.pop(lock, (None, None))
        if handle is not None and handle >= 0:
            lock.unlink(missing_ok=True)  # while still locked, so no waiting process locks a removed file
            os.close(handle)


def locked_state(directory: Path) -> tuple | None:
    """The destination as it was when this process locked it (see _identity)."""
    return _HELD[lock_path(directory)][1]


class _Changed(Exception):
    """The destination changed while the results were being made."""


def move_into_place(work: Path, target: Path, before: tuple | None, force: bool) -> None:
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
            retired = target.with_name(f".{target.name}.replaced-{owner()}")
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
