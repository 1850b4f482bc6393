"""Where gpsim's shipped files are: the scenarios, the calibrated values, the validation targets
and the evidence page.

An installed gpsim carries them inside the package (sim/data/, the scenarios and evidence page
copied in by the build, see setup.py); a checkout reads them where people edit them
(scenarios/, docs/evidence.md). A missing file is an error, never a quiet fallback.
"""
from __future__ import annotations

from pathlib import Path

PACKAGE_DATA = Path(__file__).resolve().parents[1] / "data"
CHECKOUT = Path(__file__).resolve().parents[2]


class MissingDataFile(RuntimeError):
    """A file gpsim ships is not where it should be: the installation is incomplete."""


def _first(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise MissingDataFile(f"gpsim is installed without {candidates[0]} (an incomplete installation: reinstall gpsim)")


def data_file(name: str) -> Path:
    """A file of sim/data (calibrated.yaml, validation_targets.yaml, levers.yaml)."""
    return _first(PACKAGE_DATA / name)


def scenarios_folder() -> Path:
    """The folder of shipped scenario files (and their sweeps/)."""
    return _first(PACKAGE_DATA / "scenarios", CHECKOUT / "scenarios")


def evidence_file() -> Path:
    """The evidence page: every published figure the model uses or is validated against."""
    return _first(PACKAGE_DATA / "evidence.md", CHECKOUT / "docs" / "evidence.md")


def shipped_scenarios() -> dict[str, Path]:
    """The shipped scenarios by name (file name without .yaml), in name order."""
    return {path.stem: path for path in sorted(scenarios_folder().glob("*.yaml"))}
