"""Take it home: the run's tables as CSV, the levers as a scenario file, the equivalent commands (no Solara).

- :func:`tables_zip`: the current run's tables as CSV in one zip file:
  ``timeseries.csv`` and ``stores.csv`` (the model's own tables, the columns
  of ``cxsim run``'s Parquet files), ``purchases.csv`` (one row per purchase,
  as ``cxsim run --purchases``) and ``scenario.toml``; each table holds the
  days simulated so far.
- :func:`scenario_toml`: the levers as a scenario that ``extends`` the preset
  by name and sets what the levers changed (the same overrides the app passes
  to the model), the seed and the number of shoppers, written with tomli-w.
  ``cxsim run FILE`` reproduces the app's run: its first days are the app's,
  table for table (tested).
- :func:`run_command` / :func:`compare_command`: the same run with ``--set``
  on the command line, and a comparison of the preset with the saved file.

Decision: the saved file extends the preset rather than spelling out the
whole resolved scenario, so that it reads as "the preset, with what you
changed" (a lesson's point), and the preset's name is one a class shares.
"""

from __future__ import annotations

import io
import shlex
import tomllib
import zipfile
from collections.abc import Sequence
from typing import Any

import pandas as pd
import tomli_w

from cxsim.app.levers import lever_notes
from cxsim.app.session import Session


def scenario_file_name(preset: str) -> str:
    """The saved scenario's file name (``baseline`` -> ``baseline-levers.toml``)."""
    return f"{preset}-levers.toml"


def _value(text: str) -> Any:
    """An override's value as TOML reads it (``0.75``, ``true``, ``1000``), else the text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def overrides_table(overrides: Sequence[str]) -> dict[str, Any]:
    """``["stores.giant.price=0.75", ...]`` as nested tables ``{"stores": {"giant": {"price": 0.75}}}``."""
    out: dict[str, Any] = {}
    for item in overrides:
        path, _, value = item.partition("=")
        *parents, key = path.strip().split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[key] = _value(value.strip())
    return out


def scenario_toml(preset: str, overrides: Sequence[str], seed: int, notes: Sequence[str] = ()) -> str:
    """The levers as a scenario file: ``extends`` the preset, the overrides, the seed."""
    changed = "; ".join(notes) if notes else "nothing but the number of shoppers"
    head = [
        f"# The app's levers on the preset '{preset}': {changed}.",
        f"# Run it:      cxsim run {scenario_file_name(preset)}",
        f"# Compare it:  {compare_command(preset, overrides)}",
    ]
    data: dict[str, Any] = {
        "name": f"{preset}-levers",
        "description": f"The preset '{preset}' with the app's levers: {changed}.",
        "extends": preset,
        "seed": int(seed),
        **overrides_table(overrides),
    }
    return "\n".join(head) + "\n" + tomli_w.dumps(data)


def run_command(preset: str, overrides: Sequence[str], seed: int) -> str:
    """The ``cxsim run`` command of the app's run."""
    parts = ["cxsim", "run", preset, *[a for o in overrides for a in ("--set", o)], "--seed", str(int(seed))]
    return shlex.join(parts)


def compare_command(preset: str, overrides: Sequence[str]) -> str:
    """``cxsim compare`` of the preset against the saved levers (same number of shoppers in both)."""
    shoppers = [o for o in overrides if o.startswith("town.shoppers=")]
    parts = ["cxsim", "compare", preset, scenario_file_name(preset), "--reps", "10"]
    for o in shoppers:
        parts += ["--set", o]
    return shlex.join(parts)


def session_scenario_toml(sess: Session) -> str:
    """The session's levers as a scenario file."""
    return scenario_toml(sess.preset, sess.overrides, sess.levers.seed, lever_notes(sess.base, sess.levers))


def tables(sess: Session) -> dict[str, pd.DataFrame]:
    """The run's tables so far: ``timeseries``, ``stores`` and ``purchases``."""
    with sess.lock:
        m = sess.model
        frames = [p.frame(day, m.store_names) for day, p in sess.history.purchases if len(p)]
        return {
            "timeseries": m.timeseries(),
            "stores": m.store_table(),
            "purchases": pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(),
        }


def tables_zip(sess: Session) -> bytes:
    """The run's tables as CSV files, and its scenario file, in one zip."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, df in tables(sess).items():
            z.writestr(f"{name}.csv", df.to_csv(index=False))
        z.writestr(scenario_file_name(sess.preset), session_scenario_toml(sess))
    return buf.getvalue()


def zip_name(sess: Session) -> str:
    """``cxsim-baseline-day42.zip``."""
    return f"cxsim-{sess.preset}-day{sess.day}.zip"
