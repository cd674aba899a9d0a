"""Parquet files carry their column descriptions; docs/DATA.md is the registry's data dictionary."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

import cxsim
from cxsim.experiments.schema import data_dictionary, descriptions
from cxsim.experiments.sweep import run_sweep
from cxsim.model.registry import metric

ROOT = Path(__file__).resolve().parents[2]

EXPERIMENT = """
seed = 4
days = 10
set = ["town.shoppers=300", "warmup_days=5"]
replications = 1
[[parameters]]
path = "stores.giant.price"
values = [0.8, 0.9]
[output]
tables = ["summary", "stores"]
"""


def test_a_saved_run_describes_every_column(tmp_path: Path) -> None:
    result = cxsim.run("baseline", days=5, overrides=["town.shoppers=300", "warmup_days=5"], purchases=True)
    out = result.save(tmp_path / "run")
    summary = descriptions(out / "summary.parquet")
    assert summary["online_share"]["label"] == metric("online_share").label
    assert summary["online_share"]["unit"] == "share" and summary["online_share"]["averaging"] == "rate"
    assert "summary_window_days" in summary["online_share"]["window"]
    assert summary["seed"]["description"].startswith("the run's random seed")
    stores = descriptions(out / "stores.parquet")
    assert stores["market_share"]["description"] == "the store's share of purchases"
    purchases = descriptions(out / "purchases.parquet")
    for table in ("timeseries", "stores", "summary", "purchases"):
        described = descriptions(out / f"{table}.parquet")
        assert all(d.get("label") for d in described.values()), table
        assert pq.read_schema(out / f"{table}.parquet").metadata[b"cxsim.table"] == table.encode()
    assert purchases["fulfilment"]["label"] == "fulfilment"
    back = cxsim.load_result(out)
    pd.testing.assert_frame_equal(back.summary, result.summary)  # the data are unchanged


def test_sweep_parts_and_design_describe_their_columns(tmp_path: Path) -> None:
    exp = tmp_path / "exp.toml"
    exp.write_text(textwrap.dedent(EXPERIMENT))
    run_sweep(exp, tmp_path / "sweep", workers=0)
    part = next((tmp_path / "sweep" / "summary").glob("part-*.parquet"))
    d = descriptions(part)
    assert d["nps"]["unit"] == "score" and d["run_id"]["label"] == "run"
    assert d["stores__giant__price"]["description"] == "parameter: stores.giant.price"
    design = descriptions(tmp_path / "sweep" / "design.parquet")
    assert design["seed"]["label"] == "seed"
    runs = descriptions(next((tmp_path / "sweep" / "runs").glob("part-*.parquet")))
    assert runs["status"]["description"] == "ok or error"


def test_data_md_is_the_generated_dictionary() -> None:
    text = data_dictionary()
    assert (ROOT / "docs" / "DATA.md").read_text() == text, (
        "docs/DATA.md is stale: write cxsim.experiments.schema.data_dictionary() to it"
    )
    for table in ("timeseries", "stores", "summary", "purchases", "runs", "design"):
        assert f"## `{table}`" in text
    assert "| `market_share` | market share | share | rate |" in text
