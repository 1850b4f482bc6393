"""The slow mark reaches the tests it is meant for."""
from __future__ import annotations

import ast

from .conftest import ROOT, SLOW


def test_every_test_listed_as_slow_exists():
    """conftest.SLOW names tests and fixtures by module; a renamed one would quietly lose its mark."""
    missing = []
    for module, names in SLOW.items():
        tree = ast.parse((ROOT / "tests" / module).read_text(encoding="utf-8"))
        defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        missing += [f"{module}: {name}" for name in sorted(names - defined)]
    assert not missing, f"listed as slow in tests/conftest.py but not defined: {missing}"
