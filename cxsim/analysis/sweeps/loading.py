"""Opening a sweep folder: the design, the finished runs and their tables, as DataFrames."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cxsim.core.errors import InputError, did_you_mean
from cxsim.experiments.sweep import SweepDir

KEY_COLUMNS = ("run_id", "point", "replication")
"""Columns that identify a run, never a metric."""


@dataclass
class Sweep:
    """The results of a sweep folder, as DataFrames (only committed batches)."""

    path: Path
    info: dict[str, Any]
    provenance: dict[str, Any]
    design: pd.DataFrame
    runs: pd.DataFrame
    _tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def parameters(self) -> list[str]:
        """Parameter column names, in the experiment's order."""
        return [p["column"] for p in self.info["parameters"]]

    @property
    def method(self) -> str:
        """The sampler: grid, random, lhs, sobol or morris."""
        return str(self.info["method"])

    @property
    def name(self) -> str:
        """The experiment's name."""
        return str(self.info["name"])

    def table(self, name: str) -> pd.DataFrame:
        """A result table (``summary``, ``timeseries``, ``stores``, ``purchases``) or ``runs``."""
        if name == "runs":
            return self.runs
        if name not in self._tables:
            if name not in self.info["tables"]:
                raise InputError(
                    str(self.path),
                    name,
                    f"a table the experiment kept ({', '.join(self.info['tables'])})",
                    name,
                    "add it to output.tables of the experiment",
                )
            self._tables[name] = SweepDir(self.path).read(name)
        return self._tables[name]

    @property
    def summary(self) -> pd.DataFrame:
        """One row per successful run."""
        return self.table("summary")

    @property
    def timeseries(self) -> pd.DataFrame:
        """One row per successful run and collected day (if kept)."""
        return self.table("timeseries")

    @property
    def stores(self) -> pd.DataFrame:
        """One row per successful run, store and collected day (if kept)."""
        return self.table("stores")

    @property
    def missing(self) -> pd.DataFrame:
        """Planned runs that have not finished."""
        done = set(self.runs["run_id"]) if not self.runs.empty else set()
        return self.design[~self.design["run_id"].isin(done)]

    @property
    def errors(self) -> pd.DataFrame:
        """Runs that raised, with their tracebacks."""
        if self.runs.empty:
            return self.runs
        return self.runs[self.runs["status"] == "error"]

    @property
    def complete(self) -> bool:
        """Whether every planned run finished."""
        return bool(self.missing.empty)


def load_sweep(path: str | Path) -> Sweep:
    """Open the output folder of ``cxsim sweep`` (complete or not)."""
    folder = Path(path)
    sd = SweepDir(folder)
    if not sd.is_sweep():
        raise InputError(str(folder), "", "a folder written by `cxsim sweep`", "no experiment.json")
    prov_file = folder / "provenance.json"
    return Sweep(
        path=folder,
        info=sd.info(),
        provenance=json.loads(prov_file.read_text()) if prov_file.is_file() else {},
        design=pd.read_parquet(folder / "design.parquet"),
        runs=sd.finished(),
    )


def table_and_parameters(
    source: Sweep | pd.DataFrame, table: str = "summary", params: list[str] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """The table of a sweep (or the DataFrame itself) and its parameter columns."""
    if isinstance(source, Sweep):
        return source.table(table), source.parameters if params is None else params
    return source, list(params or [])


def check_metrics(df: pd.DataFrame, metrics: list[str], source: str) -> None:
    """Bad input unless every metric is a numeric column of ``df`` (with a did-you-mean hint)."""
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and c not in KEY_COLUMNS]
    for m in metrics:
        if m not in df.columns or m not in numeric:
            hint = did_you_mean(m, numeric)
            valid = "valid: " + ", ".join(numeric)
            raise InputError(
                source, "--metric", "a numeric column of the table", m, f"{hint}; {valid}" if hint else valid
            )


def default_metrics(sweep: Sweep) -> list[str]:
    """The metrics named in the experiment's ``[analysis]`` table."""
    return list(sweep.info.get("analysis", {}).get("metrics", []))
