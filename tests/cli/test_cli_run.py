"""`cxsim run`: summary, tables on disk, and clean failure on bad input."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from cxsim import load_result
from cxsim.cli.main import app
from cxsim.model.metrics import STORE_COLUMNS, TIMESERIES_COLUMNS

runner = CliRunner()
SMALL = ["--set", "town.shoppers=800", "--days", "30", "-q"]


def test_run_prints_summary_and_writes_tables(tmp_path):
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", "baseline", *SMALL, "--seed", "5", "--out", str(out), "--purchases"])
    assert res.exit_code == 0, res.output
    for words in ("online share", "showrooming", "webrooming", "NPS", "share of kept revenue", "OnlineGiant"):
        assert words in res.output
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns) == list(TIMESERIES_COLUMNS) and len(ts) == 30
    assert list(pd.read_parquet(out / "stores.parquet").columns) == list(STORE_COLUMNS)
    assert len(pd.read_parquet(out / "purchases.parquet")) == ts["purchases"].sum()
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["seed"] == 5 and prov["libraries"]["mesa"].startswith("3.5")
    assert json.loads((out / "scenario.json").read_text())["town"]["shoppers"] == 800
    again = load_result(out)
    pd.testing.assert_frame_equal(again.timeseries, ts)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def bad(tmp_path, args):
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", *args, "--out", str(out), "-q"])
    assert res.exit_code == 2, res.output
    assert not out.exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    lines = [line for line in res.output.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:")
    return lines[0]


def test_unknown_key_in_file(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('extends = "baseline"\n[stores.corner_shop]\nservce_quality = 0.9\n')
    msg = bad(tmp_path, [str(f)])
    assert str(f) in msg and "stores.corner_shop.servce_quality" in msg and "service_quality" in msg


def test_wrong_type_and_out_of_range(tmp_path):
    msg = bad(tmp_path, ["baseline", "--set", "town.shoppers=lots"])
    assert "town.shoppers" in msg and "'lots'" in msg
    msg = bad(tmp_path, ["baseline", "--set", "stores.giant.price=-0.5"])
    assert "stores.giant.price" in msg and "greater than 0" in msg


def test_unknown_store_and_circular_extends(tmp_path):
    f = tmp_path / "e.toml"
    f.write_text(
        'extends = "baseline"\n[[events]]\ntype = "promotion"\nstore = "gaint"\nstart = 3\n'
        "days = 2\ndiscount = 0.2\n"
    )
    assert "did you mean 'giant'" in bad(tmp_path, [str(f)])
    (tmp_path / "a.toml").write_text('extends = "b"\n')
    (tmp_path / "b.toml").write_text('extends = "a"\n')
    assert "cycle" in bad(tmp_path, [str(tmp_path / "a.toml")])


def test_unknown_scenario_name(tmp_path):
    assert "did you mean 'baseline'" in bad(tmp_path, ["baselne"])


def test_out_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    res = runner.invoke(app, ["run", "baseline", *SMALL, "--out", str(f)])
    assert res.exit_code == 2 and "--out" in res.output
    assert f.read_text() == "x"


def test_reviews_flag_writes_the_reviews_table(tmp_path):
    """``--reviews`` writes one row per review, as many as the timeseries counts."""
    out = tmp_path / "r"
    res = runner.invoke(
        app,
        [
            "run",
            "baseline",
            "--days",
            "20",
            "--set",
            "town.shoppers=300",
            "--reviews",
            "-q",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    reviews = pd.read_parquet(out / "reviews.parquet")
    assert list(reviews.columns) == ["day", "store", "shopper", "stars", "fulfilment"]
    assert len(reviews) == pd.read_parquet(out / "timeseries.parquet")["reviews"].sum() > 0
    assert reviews["stars"].between(1, 5).all()
