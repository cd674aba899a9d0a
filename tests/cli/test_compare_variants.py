"""`cxsim compare` for strategists: inline variants, --reference, --set named, readable tables, --xlsx;
`cxsim run` and `cxsim report` showing one NPS per window; --help without type noise."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cxsim.cli.main import app
from cxsim.experiments.compare import format_value, store_summary
from cxsim.experiments.results import load_result

runner = CliRunner()
TOWN = ["--set", "town.shoppers=400", "--set", "warmup_days=10", "--days", "30", "--reps", "2", "-q"]


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("cli") / "cmp"
    args = [
        "compare",
        "baseline",
        "baseline+stores.giant.price=0.81",
        "--variant",
        "dear_giant=baseline+stores.giant.price=1.0",
        "--reference",
        "dear_giant",
        *TOWN,
        "--no-figures",
        "--xlsx",
        "--workers",
        "1",
        "--out",
        str(out),
    ]
    res = runner.invoke(app, args, terminal_width=250)
    assert res.exit_code == 0, res.output
    return out, res.output


def test_variants_are_named_in_the_table(compared: tuple[Path, str]) -> None:
    _, output = compared
    text = " ".join(output.split())
    for words in (
        "baseline vs baseline+giant.price=0.81 vs dear_giant",
        "all scenarios with --set town.shoppers=400, warmup_days=10",
        "Δ vs dear_giant",
        "(reference)",
        "dear_giant = baseline + stores.giant.price=1.0",
        "Only 2 replications",
    ):
        assert words in text, words


def test_the_reference_and_the_variants_are_recorded(compared: tuple[Path, str]) -> None:
    out, _ = compared
    meta = json.loads((out / "compare.json").read_text())
    assert meta["reference"] == "dear_giant"
    assert meta["scenarios"] == ["baseline", "baseline+giant.price=0.81", "dear_giant"]
    assert meta["variants"]["baseline+giant.price=0.81"]["overrides"] == ["stores.giant.price=0.81"]
    assert meta["resolved"]["dear_giant"]["stores"]["giant"]["price"] == 1.0
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["baseline"]) == {"dear_giant"}
    assert table[table["scenario"] == "dear_giant"]["diff"].isna().all()


def test_counts_are_whole_and_intervals_carry_units(compared: tuple[Path, str]) -> None:
    _, output = compared
    purchases = next(line for line in output.splitlines() if "│ purchases" in line)
    assert not re.search(r"\d\.\d", purchases), purchases
    assert re.search(r"Δ [+-]?\d[\d,]*k \[[+-]?\d[\d,]*k, [+-]?\d[\d,]*k\]", output), (
        "money Δ in k on both bounds"
    )
    assert re.search(r"pp \[[+-]\d+\.\d pp, [+-]\d+\.\d pp\]", output), "share Δ in pp on both bounds"


def test_switching_flows_are_written(compared: tuple[Path, str]) -> None:
    out, _ = compared
    flows = pd.read_csv(out / "switching_flows.csv")
    assert {"from_label", "to_label", "mean", "ci_low", "ci_high", "kind", "share_of_lost"} <= set(
        flows.columns
    )
    pd.testing.assert_frame_equal(flows, pd.read_parquet(out / "switching_flows.parquet"), check_dtype=False)
    assert set(flows["scenario"]) == {"baseline", "baseline+giant.price=0.81", "dear_giant"}


def test_the_workbook(compared: tuple[Path, str]) -> None:
    import openpyxl

    out, _ = compared
    wb = openpyxl.load_workbook(out / "comparison.xlsx")
    assert wb.sheetnames == ["comparison", "switching", "won and lost", "data", "about"]
    ws = wb["comparison"]
    rows = list(ws.iter_rows(values_only=True))
    assert "all scenarios with --set town.shoppers=400" in str(rows[0][0])
    assert any("Only 2 replications" in str(r[0]) for r in rows[:4])
    head = next(r for r in rows if r[0] == "metric")
    assert "Δ vs dear_giant" in head and "dear_giant" in head
    online = next(r for r in rows if r[0] == "online share of purchases")
    assert online[1] == "%" and 0 < online[2] < 100, "shares in % (numbers, not text)"
    about = dict(r[:2] for r in wb["about"].iter_rows(values_only=True))
    assert about["reference"] == "dear_giant"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["baseline", "baseline"], "twice"),
        (["baseline", "price_war", "--reference", "nope"], "one of the compared names"),
        (["baseline+stores.giant.prize=0.8"], "prize"),
        (["=baseline+stores.giant.price=0.8"], "NAME"),
    ],
)
def test_bad_variants_stop_with_one_line(tmp_path: Path, args: list[str], words: str) -> None:
    out = tmp_path / "nothing"
    res = runner.invoke(app, ["compare", *args, *TOWN, "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert words in res.output and "Traceback" not in res.output
    assert not out.exists()


def test_run_and_report_show_one_store_nps_with_its_window(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    args = ["run", "price_war", "--set", "town.shoppers=400", "--set", "warmup_days=10", "--days", "40"]
    res = runner.invoke(app, [*args, "--out", str(run_dir), "-q"], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "stores — over the last 40 days: share of purchases" in " ".join(res.output.split())
    profit = store_summary(load_result(run_dir).stores, 40).set_index("label")["profit"]
    assert f"{float(profit['OmniMart']):,.0f}" in next(
        line for line in res.output.splitlines() if "OmniMart" in line
    )
    result = load_result(run_dir)
    nps = store_summary(result.stores, 40).set_index("label")["nps"]
    row = next(line for line in res.output.splitlines() if "OmniMart" in line)
    assert format_value(float(nps["OmniMart"]), "score") in row
    assert runner.invoke(app, ["report", str(run_dir), "--markdown", "-q"]).exit_code == 0
    md = (run_dir / "report.md").read_text()
    assert f"NPS (last 40 days) {format_value(float(nps['OmniMart']), 'score')}" in md


@pytest.mark.parametrize("command", ["compare", "report"])
def test_help_has_no_type_noise_on_our_options(command: str) -> None:
    res = runner.invoke(app, [command, "--help"], terminal_width=200)
    assert res.exit_code == 0
    # declared in cli/main.py and cli/output_options.py (reported to their owners)
    shared = ("--help", "--quiet", "--set", "--scenarios", "--overwrite")
    for line in res.output.splitlines():
        # typer shows an argument's type whatever its metavar: options only
        if not line.startswith("│ --") or any(opt in line for opt in shared):
            continue
        assert "<bool>" not in line and "<list[str]>" not in line, line
    if command == "compare":
        assert "--variant" in res.output and "--reference" in res.output and "--xlsx" in res.output
