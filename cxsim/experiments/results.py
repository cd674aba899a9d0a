"""Running a scenario and keeping its tables: DataFrames in Python, Parquet on disk."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from cxsim.core.errors import InputError
from cxsim.core.io import atomic_write_json, check_writable, output_dir
from cxsim.experiments.provenance import git_commit, git_dirty, provenance
from cxsim.experiments.schema import write_parquet
from cxsim.model.cxmodel import CXModel
from cxsim.model.ensemble import Ensemble
from cxsim.model.log import LogEntry, labels_from_scenario, log_from_records, log_records
from cxsim.model.metrics import STORE_DAY_COLUMNS, store_summary
from cxsim.model.scenario import Scenario, load_scenario

__all__ = [
    "TABLES",
    "RunResult",
    "check_writable",  # re-exported: the helpers live in cxsim.core.io and cxsim.experiments.provenance
    "git_commit",
    "git_dirty",
    "load_result",
    "prepared",
    "provenance",
    "run",
    "run_model",
]

TABLES = ("timeseries", "stores", "summary", "store_summary", "purchases", "reviews")


@dataclass
class RunResult:
    """The tables of one run (README.md output contract, docs/DATA.md), resolved scenario, provenance."""

    timeseries: pd.DataFrame
    stores: pd.DataFrame
    summary: pd.DataFrame
    store_summary: pd.DataFrame
    """Each store over the summary window, from every day of it (``stores`` has the collected days)."""
    scenario: dict[str, Any]
    provenance: dict[str, Any]
    purchases: pd.DataFrame | None = None
    log: list[LogEntry] = field(default_factory=list)
    reviews: pd.DataFrame | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name (``purchases`` only when collected)."""
        out = {
            "timeseries": self.timeseries,
            "stores": self.stores,
            "summary": self.summary,
            "store_summary": self.store_summary,
        }
        if self.purchases is not None:
            out["purchases"] = self.purchases
        if self.reviews is not None:
            out["reviews"] = self.reviews
        return out

    def save(self, out: str | Path, *, overwrite: bool = False) -> Path:
        """Write every table as Parquet plus ``scenario.json``, ``provenance.json`` and ``log.json``.

        Files are written to a temporary folder beside ``out`` and moved into
        place only when all are complete: a failure leaves no partial output.
        ``out`` follows the output-folder rule of :mod:`cxsim.core.io` (a new
        folder or a run's; ``overwrite`` writes beside other files, never over them).
        """
        with output_dir(out, "run", overwrite=overwrite) as tmp:
            for name, df in self.tables().items():
                write_parquet(df, tmp / f"{name}.parquet", name)  # with column descriptions
            atomic_write_json(tmp / "scenario.json", self.scenario)
            atomic_write_json(tmp / "provenance.json", self.provenance)
            labels = labels_from_scenario(self.scenario)
            atomic_write_json(tmp / "log.json", log_records(self.log, labels))
        return Path(out)


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
    extra = list(overrides)
    if purchases is not None:
        extra.append(f"collect_purchases={str(purchases).lower()}")
    spec = load_scenario(scenario, extra, days=days, seed=seed)
    model, started, finished = run_model(spec, progress)
    return RunResult(
        timeseries=model.timeseries(),
        stores=model.store_table(),
        summary=pd.DataFrame([model.summary()]),
        store_summary=model.store_summary(),
        purchases=model.purchases(),
        reviews=model.review_table(),
        scenario=spec.to_toml_dict(),
        provenance=provenance(spec, started, finished),
        log=list(model.log),
    )


_PREPARED: dict[str, tuple[CXModel, datetime, datetime]] = {}
"""Towns run in a batch whose results :func:`run` has not handed out yet, by resolved scenario."""


def run_model(
    spec: Scenario, progress: Callable[[int], None] | None = None
) -> tuple[CXModel, datetime, datetime]:
    """The model of a resolved scenario run to its end, with when it started and finished.

    A town that already ran in a batch (:func:`prepared`) is handed out as it is (its
    tables are those of a run alone); any other runs now.
    """
    held = _PREPARED.pop(spec.model_dump_json(), None)
    if held is not None:
        return held
    started = datetime.now(UTC)
    model = CXModel(spec)
    model.run(progress)
    return model, started, datetime.now(UTC)


@contextlib.contextmanager
def prepared(specs: Sequence[Scenario]) -> Iterator[None]:
    """Run the towns of ``specs`` together (:class:`~cxsim.model.ensemble.Ensemble`).

    Inside, :func:`run` (and :func:`run_model`) of one of them hands out its finished
    model instead of running it again.

    The tables are identical to those of a run alone (the ensemble's guarantee), so a
    caller's code that calls :func:`run` needs no change to be batched
    (:func:`cxsim.experiments.replication.execute_batch`). ``specs`` must be
    :func:`~cxsim.model.ensemble.batchable` with each other.
    """
    started = datetime.now(UTC)
    ensemble = Ensemble(specs)
    ensemble.run()
    finished = datetime.now(UTC)
    keys = [spec.model_dump_json() for spec in specs]
    for key, model in zip(keys, ensemble.models, strict=True):
        _PREPARED[key] = (model, started, finished)
    try:
        yield
    finally:
        for key in keys:
            _PREPARED.pop(key, None)


def load_result(folder: str | Path) -> RunResult:
    """Read a run written by :meth:`RunResult.save` (or ``cxsim run --out``)."""
    folder = Path(folder)
    if not (folder / "timeseries.parquet").is_file():
        raise InputError(str(folder), "", "a folder written by `cxsim run --out`", "no timeseries.parquet")
    purchases = folder / "purchases.parquet"
    reviews = folder / "reviews.parquet"
    log_file = folder / "log.json"
    log = json.loads(log_file.read_text()) if log_file.is_file() else []
    stores = pd.read_parquet(folder / "stores.parquet")
    summary = pd.read_parquet(folder / "summary.parquet")
    return RunResult(  # keywords are evaluated in order: the JSON files are read before the store summary
        timeseries=pd.read_parquet(folder / "timeseries.parquet"),
        stores=stores,
        summary=summary,
        purchases=pd.read_parquet(purchases) if purchases.is_file() else None,
        scenario=json.loads((folder / "scenario.json").read_text()),
        provenance=json.loads((folder / "provenance.json").read_text()),
        log=log_from_records(log),
        reviews=pd.read_parquet(reviews) if reviews.is_file() else None,
        store_summary=_saved_store_summary(folder, stores, summary),
    )


def _saved_store_summary(folder: Path, stores: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """The run's ``store_summary.parquet``; for a folder of cxsim 0.4.0 or before, from the stores table.

    Such a folder has no store summary: it is derived from the collected days of its
    ``stores`` table (every day of the window unless ``collect_every`` was above 1).
    """
    by_store = folder / "store_summary.parquet"
    if by_store.is_file():
        return pd.read_parquet(by_store)
    if "window_days" not in summary or summary.empty:
        found = "an empty table" if summary.empty else "no such column"
        raise InputError(str(folder / "summary.parquet"), "window_days", "cxsim's summary table", found)
    missing = [c for c in STORE_DAY_COLUMNS if c not in stores]
    if missing or stores.empty:
        key, found = (missing[0], "no such column") if missing else ("day", "an empty table")
        raise InputError(str(folder / "stores.parquet"), key, "cxsim's stores table", found)
    return store_summary(stores, int(summary.iloc[0]["window_days"]))
