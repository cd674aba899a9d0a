"""Golden results: optimizations must not change what the model computes.

A few small fixed-seed runs (the baseline, a scenario with every event type,
strategy rule, a store entry, a closure and the purchases table, and a run that
collects weekly) are fingerprinted column by column: the sha256 of each
column's canonical bytes (numbers as their native binary values, text as its
``repr``), plus the model log and the final shopper state. The fingerprints live
in ``tests/golden/fingerprints.json``.

When this test fails after a change that was *meant* to change results (a new
mechanism, a recalibration, an optimization that reorders random draws),
regenerate the fingerprints and say why in the commit message::

    .venv/bin/python tests/model/test_golden.py --update

A failure after a pure optimization means the optimization changed the
results: fix the optimization, not the golden file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cxsim.analysis.narration import sentences
from cxsim.model.cxmodel import CXModel
from cxsim.model.scenario import load_scenario
from cxsim.rules.arrays import BLOCK, row_max, row_max_mean_and_column_means, row_min

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
FINGERPRINTS = GOLDEN / "fingerprints.json"

# name -> (scenario, overrides, days, seed)
RUNS: dict[str, tuple[str, tuple[str, ...], int, int]] = {
    "baseline": ("baseline", ("town.shoppers=2000",), 120, 11),
    "events": (str(GOLDEN / "events.toml"), (), 150, 2024),
    "weekly": ("baseline", ("town.shoppers=1500", "collect_every=7", "warmup_days=30"), 60, 3),
}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def column_bytes(values: pd.Series) -> bytes:
    """Canonical bytes of one column: native binary for numbers and booleans, ``repr`` for the rest.

    NaNs are mapped to one bit pattern (a NaN's sign and payload are not results);
    everything else, including the sign of zero, must match bit for bit.
    """
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        arr = np.ascontiguousarray(values.to_numpy())
        if arr.dtype.kind == "f":
            arr = np.where(np.isnan(arr), np.nan, arr).astype(arr.dtype)
        return arr.dtype.str.encode() + b":" + arr.tobytes()
    return "\x1f".join(repr(v) for v in values.tolist()).encode()


def table_fingerprint(df: pd.DataFrame) -> dict[str, Any]:
    """Shape, column order, dtypes and a hash per column of one table."""
    return {
        "rows": len(df),
        "columns": {str(c): f"{df[c].dtype}:{_digest(column_bytes(df[c]))}" for c in df.columns},
    }


def state_fingerprint(model: CXModel) -> dict[str, str]:
    """A hash of every shopper array at the end of the run (the model's whole internal state)."""
    a = model.shoppers
    out = {}
    for f in fields(a):
        arr = np.ascontiguousarray(getattr(a, f.name))
        out[f.name] = f"{arr.dtype.str}{arr.shape}:{_digest(arr.tobytes())}"
    return out


def fingerprint(name: str) -> dict[str, Any]:
    """Run one golden run and fingerprint its tables, log and final state."""
    scenario, overrides, days, seed = RUNS[name]
    spec = load_scenario(scenario, list(overrides), days=days, seed=seed)
    model = CXModel(spec)
    model.run()
    tables = {
        "timeseries": model.timeseries(),
        "stores": model.store_table(),
        "summary": pd.DataFrame([model.summary()]),
    }
    purchases = model.purchases()
    if purchases is not None:
        tables["purchases"] = purchases
    return {
        "tables": {k: table_fingerprint(v) for k, v in tables.items()},
        "log": _digest(json.dumps(sentences(model.log, model.store_labels)).encode()),
        "state": state_fingerprint(model),
    }


def _stored() -> dict[str, Any]:
    return json.loads(FINGERPRINTS.read_text())


@pytest.mark.parametrize("name", list(RUNS))
def test_results_unchanged(name: str) -> None:
    """Same scenario and seed -> bitwise the same tables, log and shopper state as recorded."""
    expected = _stored()[name]
    got = fingerprint(name)
    hint = (
        f"golden run {name!r} changed. If the change is intended (not a pure optimization), "
        "run `.venv/bin/python tests/model/test_golden.py --update` and give the reason in the commit."
    )
    for table, exp in expected["tables"].items():
        assert table in got["tables"], f"{hint} Table {table!r} is missing."
        g = got["tables"][table]
        assert g["rows"] == exp["rows"], f"{hint} {table}: {g['rows']} rows, expected {exp['rows']}."
        changed = [c for c, h in exp["columns"].items() if g["columns"].get(c) != h]
        assert not changed, f"{hint} {table}: columns differ: {changed}"
        assert list(g["columns"]) == list(exp["columns"]), f"{hint} {table}: column set or order changed."
    assert set(got["tables"]) == set(expected["tables"]), f"{hint} Tables differ."
    assert got["log"] == expected["log"], f"{hint} The model log differs."
    changed = [k for k, h in expected["state"].items() if got["state"].get(k) != h]
    assert not changed, f"{hint} Final shopper state differs in: {changed}"


def test_results_unchanged_in_small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Working on blocks of shoppers for speed (``cxsim.rules.arrays``) must not change a bit.

    The golden towns are small, so the blocks never split them; with tiny blocks
    every array is split into many, and the results must still match.
    """
    import cxsim.rules.arrays

    monkeypatch.setattr(cxsim.rules.arrays, "BLOCK", 29)
    expected, got = _stored()["events"], fingerprint("events")
    assert got == expected, "splitting shoppers into blocks changed the results"


def test_fingerprint_sees_a_one_ulp_change() -> None:
    """The fingerprint is bitwise: a change in the last bit of one float is seen."""
    df = pd.DataFrame({"x": np.linspace(0.0, 1.0, 5)})
    before = table_fingerprint(df)
    df.loc[2, "x"] = np.nextafter(df.loc[2, "x"], 1.0)
    assert table_fingerprint(df) != before


@pytest.mark.parametrize("shape", [(0, 5), (1, 1), (7, 3), (BLOCK + 3, 5), (2 * BLOCK, 2)])
def test_row_reductions_are_bitwise_numpy(shape: tuple[int, int]) -> None:
    """The fast row max/min used on the hot path give numpy's bits, NaNs and infinities included."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(np.float32)
    if x.size > 10:
        x.flat[3] = np.nan
        x.flat[7] = np.inf
        x.flat[9] = -np.inf
    for fast, slow in ((row_max, np.max), (row_min, np.min)):
        got, want = fast(x), slow(x, axis=1)
        assert got.dtype == want.dtype
        assert got.tobytes() == want.tobytes()


def test_loyalty_statistics_in_one_pass() -> None:
    """Mean row maximum bit for bit as numpy's; column means within float32 rounding of exact."""
    rng = np.random.default_rng(3)
    x = (0.3 * rng.random((300_001, 4))).astype(np.float32)
    for block in (7, 1000, 16_384, 10**6):
        best, by_column = row_max_mean_and_column_means(x, block)
        assert best == float(x.max(axis=1).mean())
        assert np.allclose(by_column, x.astype(np.float64).mean(axis=0), rtol=1e-6, atol=0)
    best, by_column = row_max_mean_and_column_means(np.zeros((0, 3), dtype=np.float32))
    assert np.isnan(best) and np.isnan(by_column).all()


def update() -> None:
    """Re-record every golden run (only after an intended change of results)."""
    data = {name: fingerprint(name) for name in RUNS}
    FINGERPRINTS.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    print(f"wrote {FINGERPRINTS}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--update", action="store_true", help="re-record the golden fingerprints")
    if parser.parse_args().update:
        update()
    else:
        parser.print_help()
        sys.exit(1)
