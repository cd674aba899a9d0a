"""The metrics a sweep can be analysed on: summary columns and store-level ``stores.<store>.<column>``.

A summary metric is a numeric column of the ``summary`` table (one value per run,
over the run's last ``summary_window_days`` days; names and labels from
:mod:`cxsim.model.registry`). A **store metric** ``stores.<store>.<column>``
(e.g. ``stores.chain.market_share``) is a numeric column of the ``stores`` table
of one store, made one value per run over the same summary window (decision,
issue 15), by the column's averaging in the registry:

- ``market_share`` (averaging ``rate``): the store's purchases over all stores'
  purchases in the window's collected days, as ``compare`` computes it;
- averaging ``last`` (cash, price, loyalty, rating, ...): the value on the last day;
- everything else (NPS, counts, revenue, profit): the mean of the window's
  collected days (counts and money are then *per collected day*).

The sweep must have kept the ``stores`` table (``output.tables``). Every error
about a metric name lists the valid names.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxsim.core.errors import InputError, did_you_mean
from cxsim.model.registry import TABLES, metric

if TYPE_CHECKING:
    from cxsim.analysis.sweeps.loading import Sweep

STORE_PREFIX = "stores."
DEFAULT_WINDOW = 30
"""Summary window (days) when a sweep folder has no ``scenario.json`` to say it."""
NON_METRICS = ("run_id", "point", "replication", "seed", "shoppers", "day")


def is_store_metric(name: str) -> bool:
    """Whether ``name`` has the form ``stores.<store>.<column>``."""
    return name.startswith(STORE_PREFIX) and name.count(".") == 2


def split_store_metric(name: str) -> tuple[str, str]:
    """``stores.chain.market_share`` -> ``("chain", "market_share")``."""
    _, store, column = name.split(".")
    return store, column


def store_columns() -> list[str]:
    """Numeric columns of the stores table (from the registry)."""
    return [m.name for m in TABLES["stores"] if m.unit not in ("text", "days", "flag")]


def summary_metrics(sweep: Sweep) -> list[str]:
    """Numeric columns of the sweep's summary table, parameters and keys left out."""
    df = sweep.summary
    skip = {*NON_METRICS, *sweep.parameters}
    return [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])]


def store_names(sweep: Sweep) -> list[str]:
    """Stores of the sweep's base scenario (from ``scenario.json``; else from the stores table)."""
    spec = _scenario(sweep)
    if spec.get("stores"):
        return list(spec["stores"])
    if "stores" in sweep.info.get("tables", []):
        return list(dict.fromkeys(sweep.stores["store"]))
    return []


def valid_metrics_text(sweep: Sweep) -> str:
    """The valid metric names in words (for error messages)."""
    text = "valid: " + ", ".join(summary_metrics(sweep))
    stores = store_names(sweep)
    if stores:
        text += (
            f"; and stores.<store>.<column> with <store> one of {', '.join(stores)}"
            f" and <column> one of {', '.join(store_columns())}"
        )
        if "stores" not in sweep.info.get("tables", []):
            text += " (add 'stores' to output.tables of the experiment)"
    return text


def check_metric_names(sweep: Sweep, metrics: list[str]) -> None:
    """Bad input unless every name is a summary metric or a store metric of this sweep."""
    summary = summary_metrics(sweep)
    stores, columns = store_names(sweep), store_columns()
    every = [*summary, *(f"{STORE_PREFIX}{s}.{c}" for s in stores for c in columns)]
    for m in metrics:
        if m in summary:
            continue
        if is_store_metric(m):
            store, column = split_store_metric(m)
            if store in stores and column in columns:
                if "stores" not in sweep.info.get("tables", []):
                    raise InputError(
                        str(sweep.path),
                        "--metric",
                        "a sweep that kept the stores table for a store metric",
                        m,
                        "add 'stores' to output.tables of the experiment and run it again",
                    )
                continue
        hint = did_you_mean(m, every)
        raise InputError(
            str(sweep.path),
            "--metric",
            "a summary metric or stores.<store>.<column>",
            m,
            "; ".join(h for h in (hint, valid_metrics_text(sweep)) if h),
        )


def summary_window(sweep: Sweep) -> int:
    """The base scenario's ``summary_window_days``."""
    return int(_scenario(sweep).get("summary_window_days", DEFAULT_WINDOW))


def store_metric_values(sweep: Sweep, names: list[str]) -> pd.DataFrame:
    """One row per run (``run_id``) and one column per store metric, over the summary window."""
    stores = sweep.stores
    if stores.empty:
        return pd.DataFrame({"run_id": [], **{n: [] for n in names}})
    window = summary_window(sweep)
    last = stores.groupby("run_id")["day"].transform("max")
    recent = stores[stores["day"] > last - window]
    out = pd.DataFrame(index=pd.Index(sorted(recent["run_id"].unique()), name="run_id"))
    for name in names:
        store, column = split_store_metric(name)
        mine = recent[recent["store"] == store]
        if column == "market_share":
            total = recent.groupby("run_id")["purchases"].sum()
            values = mine.groupby("run_id")["purchases"].sum() / total.replace(0, np.nan)
        elif metric(column, "stores").averaging == "last":
            values = mine.sort_values("day").groupby("run_id")[column].last()
        else:
            values = mine.groupby("run_id")[column].mean()
        out[name] = values.astype(float)
    return out.reset_index()


def metric_frame(sweep: Sweep, metrics: list[str]) -> pd.DataFrame:
    """The summary table with a column for each store metric among ``metrics`` (one row per run)."""
    df = sweep.summary
    wanted = [m for m in metrics if is_store_metric(m) and m not in df.columns]
    if not wanted or df.empty:
        return df
    return df.merge(store_metric_values(sweep, wanted), on="run_id", how="left")


def _scenario(sweep: Sweep) -> dict[str, Any]:
    path = sweep.path / "scenario.json"
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text())
    return data
