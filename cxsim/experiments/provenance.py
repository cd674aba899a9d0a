"""Provenance: which code, libraries, machine and command produced an output.

One record serves every output of the package: a run (``provenance.json``), a
comparison, a validation, a calibration and each session of a sweep.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from cxsim.model.scenario import Scenario

LIBRARIES = ("mesa", "numpy", "pandas", "pyarrow", "pydantic", "scipy", "SALib", "dask", "distributed")
"""Libraries whose versions are recorded (None when not installed)."""

SOURCE_ROOT = Path(__file__).resolve().parents[2]
"""The folder above the package: a git checkout when cxsim runs from its source tree."""


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def library_version(lib: str) -> str | None:
    """The installed version of ``lib``, or None."""
    try:
        return version(lib)
    except PackageNotFoundError:
        return None


def cxsim_version() -> str:
    """The installed version of cxsim (``0.0.0+unknown`` in a bare source tree)."""
    return library_version("cxsim") or "0.0.0+unknown"


def _git(*args: str) -> str | None:
    """Output of a git command in the source tree; None outside a checkout or on failure."""
    try:
        out = subprocess.run(["git", *args], cwd=SOURCE_ROOT, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def git_commit() -> str | None:
    """The commit of the source tree, when run from a git checkout."""
    out = _git("rev-parse", "HEAD")
    return out.strip() or None if out is not None else None


def git_dirty(*paths: str, untracked: bool = False) -> bool | None:
    """Whether the source tree (or ``paths`` in it) has uncommitted changes.

    ``untracked`` also counts files git does not track yet. None outside a checkout.
    """
    args = ["status", "--porcelain"] + ([] if untracked else ["--untracked-files=no"])
    out = _git(*args, *(["--", *paths] if paths else []))
    return bool(out.strip()) if out is not None else None


def machine() -> str:
    """A one-line description of this machine: platform, CPU, cores and Python."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    python = sys.version.split()[0]
    return f"{platform.platform()}, {cpu or 'unknown CPU'}, {os.cpu_count()} cores, Python {python}"


def command_line() -> str:
    """The command as typed (``cxsim ...``), or empty when not run from a command."""
    return " ".join(["cxsim", *sys.argv[1:]]) if sys.argv else ""


def sha256(text: str) -> str:
    """The SHA-256 digest of a text (of an experiment or settings file)."""
    return hashlib.sha256(text.encode()).hexdigest()


def environment(*, dirty: bool = False) -> dict[str, Any]:
    """Package version, commit, Python, platform and library versions (``dirty``: also git_dirty)."""
    out: dict[str, Any] = {
        "cxsim_version": cxsim_version(),
        "git_commit": git_commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "libraries": {lib: library_version(lib) for lib in LIBRARIES},
    }
    if dirty:
        out["git_dirty"] = git_dirty()
    return out


def provenance(spec: Scenario | None, started: datetime, finished: datetime) -> dict[str, Any]:
    """The provenance of a run (or, with ``spec`` None, of a set of runs): environment, scenario, times."""
    out = environment()
    if spec is not None:
        out |= {"scenario": spec.name, "seed": spec.seed, "days": spec.days, "shoppers": spec.town.shoppers}
    return out | {"started": started.isoformat(), "finished": finished.isoformat(), "argv": sys.argv}
