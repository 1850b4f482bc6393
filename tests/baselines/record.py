"""Record the regression baselines: national series, networks and a fingerprint of the
practice snapshots of a few small runs, to full precision.

    python tests/baselines/record.py

Run it only when a change is meant to alter results (and say why in the commit); the
regression test then holds every later change to these exact figures.
"""
from __future__ import annotations

import hashlib
import json
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

CASES = {
    # name: (scenario file relative to the project, overrides)
    "history_1500": ("scenarios/history_2013_2023.yaml", ["population.practices=1500"]),
    "status_quo_1200": ("scenarios/status_quo_2024.yaml", ["population.practices=1200", "months=72"]),
    "nhs_files": ("tests/fixtures/nhs/scenario.yaml", []),
}


def signature() -> dict:
    """What the exact figures depend on besides the code: numpy's build and the processor."""
    import numpy
    try:  # numpy 2's record of the processor features its loops use
        features = numpy._core._multiarray_umath.__cpu_features__
    except AttributeError:
        features = {}
    return {"numpy": numpy.__version__, "machine": platform.machine(), "simd": sorted(k for k, v in features.items() if v)}


def run_case(name: str) -> dict[str, str]:
    """The case's tables as CSV text, full precision."""
    from sim.model.model import GPModel
    from sim.scenario.loading import load
    path, overrides = CASES[name]
    scenario = load(ROOT / path, overrides)
    model = GPModel(scenario, replication=0).run()
    snapshots = "".join(frame.to_csv(index=False) for _, frame in model.practice_table().groupby("month", sort=False))
    return {"timeseries": model.timeseries().to_csv(index=False), "networks": model.network_table().to_csv(index=False),
            "practices_sha256": hashlib.sha256(snapshots.encode()).hexdigest()}


def main() -> None:
    for name in CASES:
        tables = run_case(name)
        (HERE / f"{name}.timeseries.csv").write_text(tables["timeseries"], encoding="utf-8")
        (HERE / f"{name}.networks.csv").write_text(tables["networks"], encoding="utf-8")
        (HERE / f"{name}.practices.sha256").write_text(tables["practices_sha256"] + "\n", encoding="utf-8")
    (HERE / "signature.json").write_text(json.dumps(signature(), indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
