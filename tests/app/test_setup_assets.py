"""scripts/setup.sh installs the app's offline assets, and without npm says so and succeeds.

A stand-in venv (its ``python`` runs this venv's Python, the install stamp is
current) keeps pip out of it; ``PATH`` holds only the tools the scripts use, with
or without a stand-in ``npm``.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = (
    "bash",
    "sha256sum",
    "cut",
    "cat",
    "dirname",
    "mkdir",
    "ls",
    "wc",
    "rm",
    "ln",
    "rmdir",
    "mktemp",
    "tar",
)


def _venv(tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    py = venv / "bin" / "python"
    py.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    py.chmod(0o755)
    stamp = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    (venv / ".cxsim-installed").write_text(stamp + "\n")
    return venv


def _path(tmp_path: Path, npm: str | None) -> str:
    bin_dir = tmp_path / "tools"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        if found is None:
            pytest.skip(f"{tool} is not installed")
        (bin_dir / tool).symlink_to(found)
    if npm is not None:
        (bin_dir / "npm").write_text(npm)
        (bin_dir / "npm").chmod(0o755)
    return str(bin_dir)


def _setup(tmp_path: Path, npm: str | None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": _path(tmp_path, npm), "HOME": str(tmp_path), "CXSIM_VENV": str(_venv(tmp_path))}
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "setup.sh")], capture_output=True, text=True, env=env, timeout=120
    )


def test_without_npm_setup_says_so_and_succeeds(tmp_path: Path):
    done = _setup(tmp_path, npm=None)
    assert done.returncode == 0, done.stderr
    assert "npm was not found" in done.stderr
    assert "bash scripts/setup_app_assets.sh" in done.stderr


def test_when_npm_fails_setup_warns_and_succeeds(tmp_path: Path):
    done = _setup(tmp_path, npm="#!/bin/sh\necho 'npm: no network' >&2\nexit 1\n")
    assert done.returncode == 0, done.stderr
    assert "setup_app_assets: npm pack" in done.stdout
    assert "could not be fetched" in done.stderr


CACHE = Path(sys.prefix) / "share" / "cxsim-solara-assets"


@pytest.mark.skipif(not CACHE.is_dir(), reason="the assets are not installed here")
def test_with_the_assets_in_place_a_rerun_only_checks(tmp_path: Path):
    venv = _venv(tmp_path)
    (venv / "share").mkdir()
    (venv / "share" / "cxsim-solara-assets").symlink_to(CACHE)
    env = {"PATH": _path(tmp_path, npm=None), "HOME": str(tmp_path), "CXSIM_VENV": str(venv)}
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "setup.sh")], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # nothing to fetch, so npm is not needed
