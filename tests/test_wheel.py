"""A real package: the wheel installs outside the repository and works from any folder.

The wheel is built with ``python -m build`` (isolated build, as a user would) and
installed with ``--no-deps`` into a fresh virtual environment in a temporary
folder. Its third-party dependencies are borrowed from the test environment
through a ``.pth`` line (so the test needs no network and no second download of
numpy, pandas and Mesa); ``cxsim`` itself comes only from the wheel, which the
test checks. From an empty folder outside the repository, ``cxsim scenarios``,
``cxsim run baseline`` and ``cxsim compare baseline price_war`` must work: the
built-in library ships inside the package.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 600) -> str:
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    assert out.returncode == 0, (
        f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    )
    return out.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv outside the repository with the wheel of this checkout installed; returns its bin/."""
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    # build from a copy of the working tree, so the build leaves nothing (build/, *.egg-info) in it
    source = tmp / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "results", ".*cache"
        ),
    )
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(source)], cwd=tmp, timeout=900)
    wheels = sorted(dist.glob("cxsim-*.whl"))
    assert len(wheels) == 1, wheels
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp)
    python = venv / "bin" / "python"
    purelib = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp
        ).strip()
    )
    # borrow numpy, pandas, Mesa, ... from this environment; cxsim comes from the wheel only
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()] or [sysconfig.get_paths()["purelib"]]
    (purelib / "_borrowed_dependencies.pth").write_text("\n".join(deps) + "\n")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--quiet",
            str(wheels[0]),
        ],
        cwd=tmp,
    )
    return venv / "bin"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CXSIM_SCENARIOS")}
    env["MPLBACKEND"] = "Agg"
    return env


def test_the_wheel_is_what_runs(installed: Path, tmp_path: Path) -> None:
    """Outside the repository, ``import cxsim`` is the installed wheel, not the source tree."""
    where = _run([str(installed / "python"), "-c", "import cxsim; print(cxsim.__file__)"], tmp_path, _env())
    assert str(installed.parent) in where and str(ROOT) not in where, where


def test_commands_work_from_any_folder(installed: Path, tmp_path: Path) -> None:
    """The built-in library travels with the package: scenarios, run and compare work in an empty folder."""
    cxsim, env = str(installed / "cxsim"), _env()
    listing = _run([cxsim, "scenarios"], tmp_path, env)
    for name in ("baseline", "price_war", "pandemic"):
        assert name in listing
    summary = _run([cxsim, "run", "baseline", "--days", "20", "--set", "town.shoppers=300"], tmp_path, env)
    assert "online" in summary.lower()
    out = tmp_path / "cmp"
    _run(
        [
            cxsim,
            "compare",
            "baseline",
            "price_war",
            "--reps",
            "2",
            "--days",
            "20",
            "--set",
            "town.shoppers=300",
            "--workers",
            "1",
            "--out",
            str(out),
            "--quiet",
        ],
        tmp_path,
        env,
    )
    assert (out / "summary.csv").exists() or any(out.iterdir())
