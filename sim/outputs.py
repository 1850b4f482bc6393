"""Writing a run folder: complete or not at all, never over existing results unless asked."""
from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from .errors import InputError
from .scenario import file_digest

FLOAT_FORMAT = "%.10g"
DEPENDENCIES = ("mesa", "numpy", "pandas", "scipy", "pydantic", "PyYAML", "matplotlib", "pyarrow", "tqdm")


def package_version() -> str:
    """Installed version of this package (or 'unknown' when run from a source tree)."""
    try:
        return metadata.version("gpsim")
    except metadata.PackageNotFoundError:
        return "unknown"


def versions() -> dict:
    """Python, platform, this package and its dependencies' versions."""
    found = {"python": platform.python_version(), "platform": platform.platform(), "gpsim": package_version()}
    for name in DEPENDENCIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def default_folder(name: str, root: Path = Path("outputs")) -> Path:
    """A new folder under outputs/ named after the scenario and the time."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    folder = root / f"{name}-{stamp}"
    suffix = 2
    while folder.exists():
        folder = root / f"{name}-{stamp}-{suffix}"
        suffix += 1
    return folder


def check_destination(directory: Path, force: bool) -> None:
    """Refuse to write over an existing non-empty folder unless forced."""
    if directory.exists() and not directory.is_dir():
        raise InputError(directory, "", "expected a folder for the results; found a file")
    if directory.exists() and any(directory.iterdir()) and not force:
        raise InputError(directory, "", "expected a new or empty folder; found existing results (use --force to replace them)")


def manifest(results, files: dict[str, str]) -> dict:
    """Everything needed to reproduce and trace a run."""
    source = results.source
    return {
        "scenario_file": source,
        "scenario_sha256": file_digest(source) if source and Path(source).is_file() else None,
        "overrides": results.overrides,
        "seed": results.seed,
        "replications": results.replications,
        "replication_streams": "replication r draws from numpy SeedSequence entropy [seed, r, event, month]",
        "started": results.started,
        "finished": results.finished,
        "seconds": round(results.seconds, 3),
        "command": sys.argv if sys.argv and sys.argv[0].endswith(("gpsim", "__main__.py")) else None,
        "versions": versions(),
        "files": files,
        "scenario": results.scenario.model_dump(mode="json"),
    }


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_run(results, directory: str | Path | None = None, force: bool = False, charts: bool = True) -> Path:
    """Write a run's files to a temporary folder beside the destination, then move it into place."""
    target = Path(directory) if directory is not None else default_folder(results.scenario.name)
    check_destination(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        results.timeseries.to_csv(work / "timeseries.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
        results.networks.to_csv(work / "networks.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
        results.practices.to_parquet(work / "practices.parquet", index=False)
        if charts:
            results.plot(work / "charts")
        files = {p.relative_to(work).as_posix(): _digest(p) for p in sorted(work.rglob("*")) if p.is_file()}
        (work / "manifest.json").write_text(json.dumps(manifest(results, files), indent=2) + "\n", encoding="utf-8")
        _move_into_place(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target


def _move_into_place(work: Path, target: Path) -> None:
    if target.exists():
        retired = target.with_name(f".{target.name}.replaced-{os.getpid()}")
        os.replace(target, retired)
        os.replace(work, target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(work, target)
