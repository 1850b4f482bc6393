"""Build hook: the shipped scenarios and the evidence page stay where people and the docs look for
them (scenarios/, docs/evidence.md) and are copied into the package when it is built, so an
installed gpsim carries them as package data (sim/data/scenarios/, sim/data/evidence.md).
An editable install reads them from the checkout instead (sim/scenario/shipped.py)."""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# Source in the checkout -> place inside the built package.
SHIPPED = {"scenarios": "sim/data/scenarios", "docs/evidence.md": "sim/data/evidence.md"}


class BuildWithShippedData(build_py):
    """build_py, then the shipped scenarios and evidence copied in beside sim/data's files."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for source, target in SHIPPED.items():
            origin, destination = ROOT / source, Path(self.build_lib) / target
            if origin.is_dir():
                for path in sorted(origin.rglob("*.yaml")):
                    self.copy_file(str(path), str(_made(destination / path.relative_to(origin))))
            else:
                self.copy_file(str(origin), str(_made(destination)))


def _made(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


setup(cmdclass={"build_py": BuildWithShippedData})
