"""The house rules, checked: layers, module size, lint, format and types.

* The layering contract (``[tool.importlinter]`` in pyproject.toml): core → rules →
  model → experiments → analysis → cli | app, nothing imports upward, and only the
  CLI and the app know typer and solara.
* No sub-package imports the top-level ``cxsim`` package (that would import every
  layer through ``cxsim/__init__.py``).
* No module over 500 lines.
* ``ruff check``, ``ruff format --check`` and ``mypy`` (strict on core, rules and model)
  pass on the package.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cxsim"
MAX_LINES = 500


def _tool(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed in this environment (it is a dev dependency)")
    return found


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def modules() -> list[Path]:
    """Every Python module of the package."""
    return sorted(PACKAGE.rglob("*.py"))


def test_layering_contract() -> None:
    """import-linter: no import runs back up the layers; typer and solara stay in cli and app."""
    out = _run(_tool("lint-imports"), "--no-cache")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_no_sub_package_imports_the_top_level_package() -> None:
    """``from cxsim import X`` inside a layer would pull in every layer via cxsim/__init__.py."""
    offenders = []
    for path in modules():
        if path == PACKAGE / "__init__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "cxsim" and node.level == 0:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Import) and any(a.name == "cxsim" for a in node.names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, f"import a sub-module instead of the top-level package: {offenders}"


def test_no_module_over_500_lines() -> None:
    """A module that grows past 500 lines is split by responsibility."""
    long = {
        str(p.relative_to(ROOT)): n
        for p in modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_ruff_clean() -> None:
    """Lint and format: the package, tests and benchmarks are ruff-clean."""
    ruff = _tool("ruff")
    check = _run(ruff, "check", "cxsim", "tests", "benchmarks")
    assert check.returncode == 0, check.stdout[-4000:]
    fmt = _run(ruff, "format", "--check", "cxsim", "tests", "benchmarks")
    assert fmt.returncode == 0, fmt.stdout[-4000:]


@pytest.mark.slow
def test_types_check() -> None:
    """mypy passes on the package (strict on core, rules and model; see [tool.mypy])."""
    out = _run(_tool("mypy"))
    assert out.returncode == 0, out.stdout[-6000:]
