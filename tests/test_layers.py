"""The package's layers depend one way only (setup.cfg's import-linter contracts), and below the
app layer no module hides an import of another gpsim module inside a function."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sim"


def test_the_import_contracts_are_kept():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert lint, "lint-imports (import-linter, a test extra) is not installed"
    result = subprocess.run([lint, "--no-cache", "--config", str(ROOT / "setup.cfg")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def _imports_inside_functions(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").split(".")[0] == "sim"):
                found.append(f"{path.relative_to(root)}:{node.lineno} from {'.' * node.level}{node.module or ''}")
            elif isinstance(node, ast.Import):
                found += [f"{path.relative_to(root)}:{node.lineno} import {alias.name}" for alias in node.names
                          if alias.name.split(".")[0] == "sim"]
    return found


def test_no_module_below_the_app_layer_imports_gpsim_inside_a_function():
    below_app = [path for path in PACKAGE.rglob("*.py") if "app" not in path.relative_to(PACKAGE).parts[:1]
                 and path.name not in ("__init__.py", "__main__.py")]
    assert len(below_app) > 30
    hidden = [found for path in below_app for found in _imports_inside_functions(path)]
    assert hidden == []


def test_the_checker_finds_an_import_inside_a_function(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import sim\n\ndef f():\n    from sim.model import networks\n    from . import x\n    import numpy\n",
                      encoding="utf-8")
    assert _imports_inside_functions(sample, tmp_path) == ["sample.py:4 from sim.model", "sample.py:5 from ."]

