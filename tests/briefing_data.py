"""One small comparison folder shared by the comparison and briefing tests (made once per session)."""
from __future__ import annotations

import atexit
import functools
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from .conftest import small_data

# A policy with a known direction: without the network contract fewer practices are in a network.
NO_CONTRACT = {"name": "no_contract", "organisations": {"pcn": None}, "additional_roles": None}


def gpsim(*args, cwd=None):
    """Run the gpsim command in a fresh process."""
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True, cwd=cwd)


@functools.cache
def comparison_folder() -> Path:
    """`gpsim compare` of the small scenario against the same without the network contract."""
    root = Path(tempfile.mkdtemp(prefix="gpsim-briefing-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    (root / "base.yaml").write_text(yaml.safe_dump(small_data()), encoding="utf-8")
    (root / "policy.yaml").write_text(yaml.safe_dump(small_data(**NO_CONTRACT)), encoding="utf-8")
    done = gpsim("compare", root / "base.yaml", root / "policy.yaml", "--replications", "3", "--out", root / "cmp", "--quiet")
    assert done.returncode == 0, done.stderr
    return root / "cmp"
