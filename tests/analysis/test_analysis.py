"""Analysis of sweeps: statistics per point, Sobol and Morris indices, figures, `cxsim analyze`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from cxsim.analysis.sweeps import (
    Sweep,
    load_sweep,
    metric_frame,
    morris_indices,
    plot_envelopes,
    plot_lines,
    plot_sobol,
    point_stats,
    sensitivity,
    sobol_indices,
    sobol_warnings,
)
from cxsim.cli.main import app
from cxsim.core.errors import InputError
from cxsim.experiments.design import morris_points, sobol_points
from cxsim.experiments.sweep import run_sweep

BASE = """
seed = 4
days = 20
set = ["town.shoppers=1000", "warmup_days=20"]
"""
ANALYSIS = """
[analysis]
metrics = ["online_share", "nps"]
"""

GRID_1D = (
    BASE
    + """
replications = 2
[[parameters]]
path = "stores.giant.price"
name = "giant_price"
values = [0.8, 0.9, 1.0]
[output]
tables = ["summary", "stores", "timeseries"]
"""
    + ANALYSIS
)

SOBOL = (
    BASE
    + """
[sampler]
method = "sobol"
samples = 4
[[parameters]]
path = "stores.giant.price"
range = { low = 0.8, high = 1.0 }
[[parameters]]
path = "category.touch_feel"
range = { low = 0.2, high = 0.9 }
"""
    + ANALYSIS
)


# ----------------------------------------------------------------- synthetic sweeps


def synthetic(method: str, x: np.ndarray, y: np.ndarray, reps: int = 1, **sampler: object) -> Sweep:
    """A Sweep object whose summary is a known function of the design."""
    names = [f"x{i}" for i in range(x.shape[1])]
    points = pd.DataFrame(x, columns=names)
    points.insert(0, "point", np.arange(len(x)))
    design = points.loc[np.repeat(points.index, reps)].reset_index(drop=True)
    design.insert(1, "replication", np.tile(np.arange(reps), len(x)))
    design.insert(0, "run_id", design["point"] * reps + design["replication"])
    design.insert(3, "seed", design["replication"])
    rng = np.random.default_rng(0)
    summary = design.copy()
    summary["y"] = np.repeat(y, reps) + 0.01 * rng.standard_normal(len(design))
    info = {
        "name": "synthetic",
        "method": method,
        "parameters": [{"column": n} for n in names],
        "problem": {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)},
        "sampler": {"method": method, **sampler},
        "tables": ["summary"],
        "analysis": {"metrics": ["y"]},
        "sample": x.tolist(),
    }
    runs = design[["run_id", "point", "replication", "seed"]].assign(status="ok")
    return Sweep(Path("synthetic"), info, {}, design, runs, {"summary": summary})


def test_point_stats_mean_sd_and_t_interval() -> None:
    df = pd.DataFrame(
        {
            "run_id": range(6),
            "point": [0, 0, 0, 1, 1, 1],
            "replication": [0, 1, 2] * 2,
            "p": [1.0] * 3 + [2.0] * 3,
            "m": [1.0, 2.0, 6.0, 5.0, 5.0, 5.0],
        }
    )
    out = point_stats(df, ["m"], params=["p"]).set_index("point")
    assert out.loc[0, "mean"] == 3.0 and out.loc[0, "n"] == 3
    assert out.loc[0, "sd"] == pytest.approx(np.std([1, 2, 6], ddof=1))
    lo, hi = stats.t.interval(0.95, 2, loc=3.0, scale=np.std([1, 2, 6], ddof=1) / np.sqrt(3))
    assert (out.loc[0, "ci_low"], out.loc[0, "ci_high"]) == pytest.approx((lo, hi))
    assert out.loc[1, "ci_low"] == out.loc[1, "ci_high"] == 5.0
    assert out.loc[1, "p"] == 2.0


def test_sobol_indices_of_a_known_function() -> None:
    """y = 4 x0 + 2 x1 (+ x2 unused): S1 = 16/20, 4/20, 0 and ST = S1 (no interactions)."""
    x = sobol_points(np.array([[0.0, 1.0]] * 3), 512, np.random.default_rng(1))
    sw = synthetic("sobol", x, 4 * x[:, 0] + 2 * x[:, 1], reps=2, second_order=False)
    idx, second = sobol_indices(sw, resamples=200)
    assert second is None
    idx = idx.set_index("parameter")
    assert idx["S1"].to_numpy() == pytest.approx([0.8, 0.2, 0.0], abs=0.05)
    assert idx["ST"].to_numpy() == pytest.approx([0.8, 0.2, 0.0], abs=0.05)
    assert (idx["S1_conf"] > 0).all() and (idx["S1_conf"] < 0.2).all()
    assert idx["noise_share"].iloc[0] < 0.01  # replication noise is tiny here
    assert sensitivity(sw).equals(sobol_indices(sw)[0])


def test_morris_ranks_a_known_function() -> None:
    x = morris_points(np.array([[0.0, 1.0]] * 3), 20, 4, np.random.default_rng(1))
    sw = synthetic("morris", x, 5 * x[:, 0] + x[:, 1] ** 2, levels=4)
    idx = morris_indices(sw, resamples=200).set_index("parameter")
    assert idx.loc["x0", "mu_star"] == pytest.approx(5.0, abs=0.1)
    assert idx.loc["x0", "mu_star"] > idx.loc["x1", "mu_star"] > idx.loc["x2", "mu_star"]
    assert idx.loc["x2", "mu_star"] < 0.05


def test_sensitivity_needs_every_point() -> None:
    x = sobol_points(np.array([[0.0, 1.0]] * 2), 8, np.random.default_rng(1))
    sw = synthetic("sobol", x, x[:, 0], second_order=False)
    sw._tables["summary"] = sw.summary[sw.summary["point"] != 3]
    with pytest.raises(InputError, match="1 of 32 points without a successful run"):
        sobol_indices(sw)
    with pytest.raises(InputError, match="valid: y"):
        sobol_indices(synthetic("sobol", x, x[:, 0], second_order=False), ["z"])
    grid = synthetic("grid", x, x[:, 0])
    with pytest.raises(InputError, match="sobol or morris design"):
        sensitivity(grid)


# ----------------------------------------------------------------- real sweeps, cxsim analyze


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("analysis")
    out = {}
    for name, text in (("grid", GRID_1D), ("sobol", SOBOL)):
        exp = tmp / f"{name}.toml"
        exp.write_text(textwrap.dedent(text))
        run_sweep(exp, tmp / name, workers=0)
        out[name] = tmp / name
    return out


def analyze(*args: str) -> object:
    return CliRunner().invoke(app, ["analyze", *args])


def test_load_sweep_gives_dataframes(sweeps: dict[str, Path]) -> None:
    sw = load_sweep(sweeps["grid"])
    assert sw.complete and sw.errors.empty
    assert sw.parameters == ["giant_price"]
    assert len(sw.summary) == 6 and {"giant_price", "online_share", "run_id"} <= set(sw.summary.columns)
    stats_ = point_stats(sw)
    assert list(stats_["metric"].unique()) == ["online_share", "nps"]
    assert (stats_["n"] == 2).all() and len(stats_) == 6
    with pytest.raises(InputError, match=r"add it to output\.tables"):
        _ = load_sweep(sweeps["sobol"]).timeseries


def test_analyze_grid_writes_tables_and_line_figure(sweeps: dict[str, Path]) -> None:
    result = analyze(str(sweeps["grid"]))
    assert result.exit_code == 0, result.output
    files = {p.name for p in (sweeps["grid"] / "analysis").iterdir() if not p.name.startswith(".")}
    assert files == {"point_stats.csv", "lines.png", "timeseries.png"}  # envelopes: the timeseries was kept
    assert (sweeps["grid"] / "analysis" / "lines.png").stat().st_size > 10_000
    assert "giant" in result.output and "typical 95% CI half-width" in result.output


def test_analyze_sobol_writes_indices_table_and_bar_chart(sweeps: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "report"
    result = analyze(str(sweeps["sobol"]), "--metric", "online_share", "--out", str(target))
    assert result.exit_code == 0, result.output
    idx = pd.read_csv(target / "sobol.csv")
    assert list(idx.columns) == [
        "metric",
        "parameter",
        "S1",
        "S1_conf",
        "ST",
        "ST_conf",
        "noise_share",
        "warning",
    ]
    assert set(idx["parameter"]) == {"stores__giant__price", "category__touch_feel"}
    assert (target / "sobol.png").stat().st_size > 10_000
    assert "sobol indices" in result.output


def test_analyze_bad_input_exits_2(sweeps: dict[str, Path], tmp_path: Path) -> None:
    result = analyze(str(tmp_path))
    assert result.exit_code == 2 and "a folder written by `cxsim sweep`" in result.output
    result = analyze(str(sweeps["grid"]), "--metric", "online_shar")
    assert result.exit_code == 2 and "did you mean 'online_share'?" in result.output
    assert "valid: " in result.output and "stores.<store>.<column>" in result.output


# ----------------------------------------------------------------- guard-rails (issue 15)


def test_sobol_warnings_flag_impossible_indices_small_n_and_noise() -> None:
    idx = pd.DataFrame(
        {
            "metric": ["online_share"] * 3,
            "parameter": ["a", "b", "c"],
            "S1": [1.436, -0.30, -0.02],
            "S1_conf": [0.608, 0.10, 0.05],
            "ST": [0.9, 0.1, 0.01],
            "ST_conf": [0.2, 0.05, 0.01],
            "noise_share": [0.25] * 3,
        }
    )
    w = sobol_warnings(idx, samples=8)
    text = " | ".join(w["warning"])
    assert "N = 8 base samples is small (below 64)" in text
    assert "S1 = 1.436 exceeds 1" in text
    assert "S1 = -0.300 ± 0.100 is negative beyond its interval" in text
    assert "noise share 0.25" in text
    assert not (w["parameter"] == "c").any()  # -0.02 ± 0.05 is noise around 0: no warning
    assert sobol_warnings(idx.assign(S1=[0.5, 0.2, 0.0], noise_share=0.01), samples=512).empty


def test_sobol_bars_are_never_clipped() -> None:
    idx = pd.DataFrame(
        {
            "metric": ["online_share"] * 2,
            "parameter": ["a", "b"],
            "S1": [1.436, -0.3],
            "S1_conf": [0.608, 0.1],
            "ST": [0.9, 0.1],
            "ST_conf": [0.2, 0.05],
            "noise_share": [0.01] * 2,
        }
    )
    fig = plot_sobol(idx)
    low, high = fig.axes[0].get_ylim()
    assert high >= 1.436 + 0.608 and low <= -0.3 - 0.1
    assert fig.axes[0].get_ylabel() == "share of variance"
    assert "Online share of purchases" in fig.axes[0].get_title(loc="left")


def test_analyze_warns_on_small_n_in_terminal_and_file(sweeps: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "small"
    result = analyze(str(sweeps["sobol"]), "--out", str(target))
    assert result.exit_code == 0, result.output
    assert "warning: N = 4 base samples is small (below 64)" in result.output
    warnings_file = pd.read_csv(target / "warnings.csv")
    assert list(warnings_file.columns) == ["metric", "parameter", "warning"]
    assert warnings_file["warning"].str.contains("N = 4").any()


# ----------------------------------------------------------------- store metrics, one look


def test_store_metric_is_the_window_share_of_the_stores_table(sweeps: dict[str, Path]) -> None:
    sw = load_sweep(sweeps["grid"])
    stats_ = point_stats(sw, ["stores.chain.market_share", "stores.giant.nps"])
    assert list(stats_["metric"].unique()) == ["stores.chain.market_share", "stores.giant.nps"]
    # by hand: run 0, the summary window of the scenario (20 days here: the whole horizon)
    stores = sw.stores[sw.stores["run_id"] == 0]
    window = stores[stores["day"] > stores["day"].max() - 30]
    share = window.loc[window["store"] == "chain", "purchases"].sum() / window["purchases"].sum()
    values = metric_frame(sw, ["stores.chain.market_share"]).set_index("run_id")
    assert values.loc[0, "stores.chain.market_share"] == pytest.approx(share)
    assert 0 < share < 1


def test_analyze_store_metric_and_its_errors(sweeps: dict[str, Path], tmp_path: Path) -> None:
    result = analyze(
        str(sweeps["grid"]), "--metric", "stores.chain.market_share", "--out", str(tmp_path / "a")
    )
    assert result.exit_code == 0, result.output
    assert "chain: market share" in result.output
    result = analyze(str(sweeps["grid"]), "--metric", "stores.chain.market_shar")
    assert result.exit_code == 2 and "did you mean 'stores.chain.market_share'?" in result.output
    assert "online_share" in result.output  # the valid names are listed
    result = analyze(str(sweeps["sobol"]), "--metric", "stores.chain.market_share")
    assert result.exit_code == 2 and "add 'stores' to output.tables" in result.output


def test_figures_look_like_compare(sweeps: dict[str, Path]) -> None:
    sw = load_sweep(sweeps["grid"])
    fig = plot_lines(point_stats(sw, ["online_share", "nps"]), "giant_price", title="grid")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "%"
    assert ax.get_title(loc="left") == "Online share of purchases"
    assert max(ax.lines[0].get_ydata()) > 1  # a share in percent, not a fraction
    assert "mean of 2 replications" in fig.texts[0].get_text()
    assert ax.lines[0].get_color() == "#1f5fa6"  # the compare palette
    env = plot_envelopes(sw, ["online_share"])
    assert env is not None and env.axes[0].get_xlabel() == "day"
    assert "across 3 points" in env.texts[0].get_text()
