"""Column descriptions in the schema of every Parquet file cxsim writes, and the data dictionary.

Each column of a table (``timeseries``, ``stores``, ``summary``, ``purchases``,
a sweep's ``runs`` and ``design``) carries field metadata ``label``, ``unit``,
``averaging``, ``window`` and ``description``: from the metric registry
(:mod:`cxsim.model.registry`) for metrics, from :data:`COLUMNS` for the columns
the registry does not hold (keys, parameters, the purchase records). The schema
itself says which table it is (``cxsim.table``). Any Parquet reader shows them,
e.g. ``pyarrow.parquet.read_schema(path).field("online_share").metadata``.

:func:`data_dictionary` writes the same descriptions as Markdown: docs/DATA.md is
its output (``python -c "from cxsim.experiments.schema import data_dictionary as d;
print(d(), end='')" > docs/DATA.md``; a test keeps the two equal).
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cxsim.model.registry import TABLES, Metric

TABLE_DESCRIPTIONS = {
    "timeseries": "One row per collected day of a run (every `collect_every` days and the last): the town.",
    "stores": "One row per store and collected day of a run.",
    "summary": "One row per run: headline metrics over the run's last `summary_window_days` days.",
    "store_summary": (
        "One row per store of a run (and replication, in a comparison): the store over the run's last "
        "`summary_window_days` days, from every day of them (the `stores` table has the collected days)."
    ),
    "purchases": "One row per purchase (kept when `collect_purchases = true`, or `cxsim run --purchases`).",
    "reviews": "One row per review written on the recorded days (kept with the purchases).",
    "runs": "A sweep's record of every finished run: status, seed, timing, worker, error.",
    "design": "A sweep's plan: every run with its point, replication, seed and parameter values.",
}
"""What a row of each table is."""

_KEYS: dict[str, tuple[str, str, str]] = {
    "run_id": ("run", "count", "a sweep's run number (design order)"),
    "point": ("parameter point", "count", "a sweep's parameter point (design order)"),
    "replication": ("replication", "count", "the replication of the point (0, 1, ...)"),
    "seed": ("seed", "count", "the run's random seed (numpy SeedSequence-derived in sweeps and comparisons)"),
    "scenario": ("scenario", "text", "the scenario's name"),
    "shoppers": ("shoppers", "count", "shoppers in the town"),
}

COLUMNS: dict[str, dict[str, tuple[str, str, str]]] = {
    "summary": {k: _KEYS[k] for k in ("run_id", "point", "replication", "scenario", "seed", "shoppers")},
    "timeseries": {k: _KEYS[k] for k in ("run_id", "point", "replication")},
    "stores": {k: _KEYS[k] for k in ("run_id", "point", "replication")},
    "purchases": {
        **{k: _KEYS[k] for k in ("run_id", "point", "replication")},
        "day": ("day", "days", "the day of the purchase"),
        "shopper": ("shopper", "count", "the shopper's index"),
        "store": ("store", "text", "the store bought from"),
        "fulfilment": ("fulfilment", "text", "walk_in, delivery or pickup"),
        "research": ("research channel", "text", "none, online or visit"),
        "visited": ("store visited", "text", "the store visited to research (empty if none)"),
        "price": ("price paid", "money", "the price paid, in currency units of the scenario"),
        "late_days": ("days late", "days", "days a delivery came late"),
        "misfit": ("misfit", "ratio", "how badly the product fit (0 = perfectly)"),
        "returned": ("returned", "flag", "whether the product was returned"),
        "after_sales": ("after-sales need", "flag", "whether the purchase needed after-sales service"),
        "experience": ("experience quality", "ratio", "the quality of the experience"),
        "satisfaction": ("satisfaction", "ratio", "satisfaction after the purchase"),
        "recommend": ("likelihood to recommend", "score", "0 to 10, the NPS question"),
        "showroomed": ("showroomed", "flag", "visited a store to research, then bought for home delivery"),
        "webroomed": ("webroomed", "flag", "researched online, then bought in a physical store"),
    },
    "reviews": {
        **{k: _KEYS[k] for k in ("run_id", "point", "replication")},
        "day": ("day", "days", "the day the review was written"),
        "store": ("store", "text", "the store reviewed"),
        "shopper": ("shopper", "count", "the reviewer's index"),
        "stars": ("stars", "ratio", "the rating given, 1 to 5 stars"),
        "fulfilment": (
            "fulfilment",
            "text",
            "walk_in, delivery or pickup: how the reviewed purchase was fulfilled",
        ),
    },
    "runs": {
        **{k: _KEYS[k] for k in ("run_id", "point", "replication", "seed")},
        "status": ("status", "text", "ok or error"),
        "error": ("error", "text", "the traceback of a run that raised"),
        "duration_s": ("duration", "seconds", "wall-clock seconds of the run"),
        "worker": ("worker", "text", "host:pid that ran it"),
        "session": ("session", "count", "the sweep session (provenance.json) that ran it"),
        "finished": ("finished", "time", "when it finished (UTC)"),
    },
    "design": {k: _KEYS[k] for k in ("run_id", "point", "replication", "seed")},
}
"""Columns the metric registry does not describe: (label, unit, description)."""


def column_info(table: str, column: str) -> dict[str, str]:
    """``label``, ``unit``, ``averaging``, ``window``, ``description`` of a column (empty strings if unknown).

    A column that is neither registered nor listed (a sweep's parameter, e.g.
    ``stores__giant__price``) is described as the scenario path it sets.
    """
    for m in TABLES.get(table, ()):
        if m.name == column:
            return _metric_info(m)
    known = COLUMNS.get(table, {}).get(column)
    if known is not None:
        return {"label": known[0], "unit": known[1], "averaging": "", "window": "", "description": known[2]}
    if "__" in column:
        path = column.replace("__", ".")
        return {"label": path, "unit": "", "averaging": "", "window": "", "description": f"parameter: {path}"}
    return {"label": column.replace("_", " "), "unit": "", "averaging": "", "window": "", "description": ""}


def _metric_info(m: Metric) -> dict[str, str]:
    return {
        "label": m.label,
        "unit": m.unit,
        "averaging": m.averaging,
        "window": m.window,
        "description": m.description,
    }


def describe(data: pa.Table | pd.DataFrame, table: str) -> pa.Table:
    """The table with each column's description in its field metadata (and ``cxsim.table``)."""
    t = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
    fields = [
        f.with_metadata({**(f.metadata or {}), **{k: v for k, v in column_info(table, f.name).items() if v}})
        for f in t.schema
    ]
    schema = pa.schema(fields, metadata={**(t.schema.metadata or {}), b"cxsim.table": table.encode()})
    return t.cast(schema)


def write_parquet(data: pa.Table | pd.DataFrame, path: Path, table: str) -> None:
    """Write ``data`` as Parquet at ``path`` with its column descriptions."""
    pq.write_table(describe(data, table), path)


def parquet_bytes(data: pa.Table | pd.DataFrame, table: str) -> bytes:
    """The bytes of a Parquet file of ``data`` with its column descriptions."""
    buffer = io.BytesIO()
    pq.write_table(describe(data, table), buffer)
    return buffer.getvalue()


def descriptions(path: str | Path) -> dict[str, dict[str, str]]:
    """The column descriptions stored in a Parquet file: column -> {label, unit, ...}."""
    schema = pq.read_schema(path)
    return {f.name: {k.decode(): v.decode() for k, v in (f.metadata or {}).items()} for f in schema}


def _table_columns(table: str) -> list[tuple[str, dict[str, str]]]:
    registered = [m.name for m in TABLES.get(table, ())]
    names = list(dict.fromkeys([*COLUMNS.get(table, {}), *registered]))
    return [(n, column_info(table, n)) for n in names]


def data_dictionary() -> str:
    """docs/DATA.md: every table and its columns, from the registry and :data:`COLUMNS`."""
    lines = [
        "# Data dictionary",
        "",
        "Every table cxsim writes, column by column. Generated from the metric registry",
        "(`cxsim/model/registry.py`) and `cxsim/experiments/schema.py` by",
        "`data_dictionary()` (`tests/experiments/test_schema.py` checks that this file is",
        "current). The same label, unit and description are in the",
        "schema of every Parquet file (field metadata; `pyarrow.parquet.read_schema(path)`).",
        "",
        "Units: `share` (a fraction 0..1, shown in %), `score` (NPS, −100..100), `ratio`,",
        "`count`, `money` (currency units of the scenario), `index` (1 = reference), `days`,",
        "`flag` (true/false), `text`. Averaging: how a value over a window is formed from daily",
        "rows (`rate`: ratio of the window's sums; `sum`; `mean`; `last`; `rolling`: already a",
        "trailing window). A sweep's tables add `run_id`, `point`, `replication` and one column",
        "per parameter, named by its path with `__` for dots (e.g. `stores__giant__price`).",
    ]
    extra = {t: "A table of the metric registry." for t in TABLES if t not in TABLE_DESCRIPTIONS}
    for table, text in {**TABLE_DESCRIPTIONS, **extra}.items():
        lines += ["", f"## `{table}`", "", text, "", "| column | label | unit | averaging | description |"]
        lines.append("|---|---|---|---|---|")
        for name, info in _table_columns(table):
            words = "; ".join(w for w in (info["description"], info["window"]) if w)
            lines.append(f"| `{name}` | {info['label']} | {info['unit']} | {info['averaging']} | {words} |")
    return "\n".join(lines) + "\n"
