"""Small populations so the whole suite runs in a few minutes."""
from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path

# numba caches compiled kernels next to their source unless told otherwise: the tests (and the runs
# they start in other processes) keep theirs in a temporary folder, set before sim imports numba.
os.environ["NUMBA_CACHE_DIR"] = str(Path(tempfile.gettempdir()) / f"gpsim-tests-numba-{os.getuid()}")

import pytest  # noqa: E402
import yaml  # noqa: E402

from sim.scenario.loading import merge, validate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

SMALL = {
    "name": "small",
    "start": "2017-04",
    "months": 48,
    "seed": 7,
    "replications": 1,
    "population": {"practices": 600, "commissioner_areas": 16, "regions": 2, "side_km": 100},
    "organisations": {
        "federation": {"kind": "federation", "initial_coverage": 0.4, "commissioner_push": 0.5},
        "pcn": {
            "kind": "network", "opens": "2019-07", "decision_rate": 0.5, "commissioner_push": 0.5,
            "band": {"min_patients": 30000, "max_patients": 50000},
            "payments": {"participation_per_weighted_patient": 1.761, "core_per_patient": 1.5,
                         "leadership_per_patient": 0.514},
        },
    },
    "additional_roles": {"start": "2019-07", "employer": "pcn"},
}


def small_data(**changes) -> dict:
    """The small scenario as plain data, deep-merged with changes (None removes a key)."""
    return merge(copy.deepcopy(SMALL), changes)


def small(**changes):
    """The small scenario, validated."""
    return validate(small_data(**changes), "test")


def small_model_in_month(months: int = 30):
    """A model of the small scenario stepped on (by default past the opening of PCNs, month 27)."""
    from sim.model.model import GPModel
    model = GPModel(small())
    for _ in range(months):
        model.step()
    return model


@pytest.fixture
def small_file(tmp_path) -> Path:
    """The small scenario written to a YAML file."""
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(small_data()), encoding="utf-8")
    return path
