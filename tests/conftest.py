"""Small populations so the whole suite runs in a few minutes."""
from __future__ import annotations

import copy
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis.configuration import set_hypothesis_home_dir

from sim.scenario.loading import merge, validate

ROOT = Path(__file__).resolve().parents[1]


def pytest_addoption(parser):
    parser.addoption("--refresh-docs-picture", action="store_true",
                     help="save the browser test's picture of the finished run as docs/dashboard.png")


HYPOTHESIS_HOME = pytest.StashKey[Path]()


def pytest_configure(config):
    # Hypothesis keeps caches in ./.hypothesis (written while collecting); tests write nothing in
    # the checkout, so they go to a folder removed when the run ends.
    config.stash[HYPOTHESIS_HOME] = Path(tempfile.mkdtemp(prefix="gpsim-tests-hypothesis-"))
    set_hypothesis_home_dir(config.stash[HYPOTHESIS_HOME])


def pytest_unconfigure(config):
    shutil.rmtree(config.stash[HYPOTHESIS_HOME], ignore_errors=True)


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
