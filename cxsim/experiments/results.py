"""Running a scenario and keeping its tables: DataFrames in Python, Parquet on disk."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from cxsim.core.errors import InputError
from cxsim.model.scenario import Scenario, load_scenario

TABLES = ("timeseries", "stores", "summary", "purchases")


@dataclass
class RunResult:
    """The tables of one run (DESIGN.md §3), the resolved scenario and provenance."""

    timeseries: pd.DataFrame
    stores: pd.DataFrame
    summary: pd.DataFrame
    scenario: dict[str, Any]
    provenance: dict[str, Any]
    purchases: pd.DataFrame | None = None
    log: list[tuple[int, str]] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name (``purchases`` only when collected)."""
        out = {"timeseries": self.timeseries, "stores": self.stores, "summary": self.summary}
        if self.purchases is not None:
            out["purchases"] = self.purchases
        return out

    def save(self, out: str | Path) -> Path:
        """Write every table as Parquet plus ``scenario.json``, ``provenance.json`` and ``log.json``.

        Files are written to a temporary folder beside ``out`` and moved into
        place only when all are complete: a failure leaves no partial output.
        """
        with atomic_dir(out) as tmp:
            for name, df in self.tables().items():
                df.to_parquet(tmp / f"{name}.parquet", index=False)
            _write_json(tmp / "scenario.json", self.scenario)
            _write_json(tmp / "provenance.json", self.provenance)
            _write_json(tmp / "log.json", [{"day": d, "message": m} for d, m in self.log])
        return Path(out)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")


def check_writable(out: str | Path) -> Path:
    """Fail early, as bad input, if ``out`` cannot be created or written."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError("--out", str(out), "a folder (or a path where one can be made)", "a file")
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(
            "--out", str(out), "a folder (or a path where one can be made)", f"{parent} is a file"
        )
    if (
        not os.access(parent, os.W_OK)
        or not _can_create_in(parent)
        or (out.is_dir() and not _can_create_in(out))
    ):
        raise InputError("--out", str(out), "a writable folder", f"no write permission on {parent}")
    return out


def _can_create_in(folder: Path) -> bool:
    """Whether a folder can really be created in ``folder`` (``os.access`` says yes to root on /proc)."""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".cxsim-probe-", dir=folder))
    except OSError:
        return False
    return True


@contextmanager
def atomic_dir(out: str | Path) -> Iterator[Path]:
    """Yield a temporary folder; on success its files replace those in ``out``."""
    out = check_writable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
        out.mkdir(exist_ok=True)
        for f in tmp.iterdir():
            if f.is_dir() and (out / f.name).is_dir():
                shutil.rmtree(out / f.name)  # a sub-folder (e.g. figures/) replaces the old one
            os.replace(f, out / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _git(*args: str) -> str | None:
    """Output of a git command in the source tree; None outside a checkout or on failure."""
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=5)
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


def provenance(spec: Scenario, started: datetime, finished: datetime) -> dict[str, Any]:
    """Package, commit, library versions, machine, seed and times of a run."""
    from importlib.metadata import version

    import cxsim

    libs = {}
    for lib in ("mesa", "numpy", "pandas", "pyarrow", "pydantic"):
        try:
            libs[lib] = version(lib)
        except Exception:  # pragma: no cover - optional library missing
            libs[lib] = None
    return {
        "cxsim_version": cxsim.__version__,
        "git_commit": git_commit(),
        "scenario": spec.name,
        "seed": spec.seed,
        "days": spec.days,
        "shoppers": spec.town.shoppers,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "libraries": libs,
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "argv": sys.argv,
    }


def run(
    scenario: str | Path | Scenario = "baseline",
    *,
    days: int | None = None,
    seed: int | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    purchases: bool | None = None,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Run one scenario and return its tables.

    Args:
        scenario: name under ``scenarios/``, path to a TOML file, or a Scenario.
        days: horizon (defaults to the scenario's).
        seed: seed (defaults to the scenario's).
        overrides: ``PATH=VALUE`` strings.
        purchases: also keep the per-purchase table.
        progress: called with the day number after each day.
    """
    from cxsim.model.cxmodel import CXModel

    extra = list(overrides)
    if purchases is not None:
        extra.append(f"collect_purchases={str(purchases).lower()}")
    spec = load_scenario(scenario, extra, days=days, seed=seed)
    started = datetime.now(UTC)
    model = CXModel(spec)
    model.run(progress)
    finished = datetime.now(UTC)
    return RunResult(
        timeseries=model.timeseries(),
        stores=model.store_table(),
        summary=pd.DataFrame([model.summary()]),
        purchases=model.purchases(),
        scenario=spec.to_toml_dict(),
        provenance=provenance(spec, started, finished),
        log=list(model.log),
    )


def load_result(folder: str | Path) -> RunResult:
    """Read a run written by :meth:`RunResult.save` (or ``cxsim run --out``)."""
    folder = Path(folder)
    if not (folder / "timeseries.parquet").is_file():
        raise InputError(str(folder), "", "a folder written by `cxsim run --out`", "no timeseries.parquet")
    purchases = folder / "purchases.parquet"
    log_file = folder / "log.json"
    log = json.loads(log_file.read_text()) if log_file.is_file() else []
    return RunResult(
        timeseries=pd.read_parquet(folder / "timeseries.parquet"),
        stores=pd.read_parquet(folder / "stores.parquet"),
        summary=pd.read_parquet(folder / "summary.parquet"),
        purchases=pd.read_parquet(purchases) if purchases.is_file() else None,
        scenario=json.loads((folder / "scenario.json").read_text()),
        provenance=json.loads((folder / "provenance.json").read_text()),
        log=[(int(e["day"]), str(e["message"])) for e in log],
    )
