"""Experiment files: schema, validation against the scenario, samplers and seeds."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from cxsim.core.errors import InputError
from cxsim.experiments.design import (
    MAX_RUNS,
    SUMMARY_METRICS,
    design_points,
    lhs_points,
    load_experiment,
    morris_points,
    run_seeds,
    sobol_points,
)

ROOT = Path(__file__).resolve().parents[2]

GRID = """
seed = 5
replications = 3
days = 30
set = ["town.shoppers=500"]

[[parameters]]
path = "stores.giant.price"
name = "giant_price"
values = [0.8, 0.9]

[[parameters]]
path = "stores.chain.service_quality"
range = { low = 0.5, high = 0.9, steps = 3 }
"""


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


# ----------------------------------------------------------------- shipped files


@pytest.mark.parametrize(
    ("name", "method", "runs"),
    [("price_service_grid", "grid", 100), ("sobol_six", "sobol", 32768), ("lhs_explore", "lhs", 256)],
)
def test_shipped_experiments_load(name: str, method: str, runs: int) -> None:
    exp = load_experiment(ROOT / "cxsim" / "data" / "experiments" / f"{name}.toml")
    assert exp.method == method
    assert len(exp.design()) == runs
    assert exp.name == name


def test_shipped_analysis_metrics_exist_in_summary() -> None:
    import cxsim

    summary = cxsim.run("baseline", days=5, seed=1, overrides=["town.shoppers=1000"]).summary
    assert set(SUMMARY_METRICS) <= set(summary.columns)


# ----------------------------------------------------------------- design


def test_grid_design(tmp_path: Path) -> None:
    exp = load_experiment(write(tmp_path, GRID))
    d = exp.design()
    assert len(d.points) == 6 and len(d) == 18
    assert d.points["giant_price"].tolist() == [0.8] * 3 + [0.9] * 3
    assert d.points["stores__chain__service_quality"].tolist() == [0.5, 0.7, 0.9] * 2
    assert (d.runs["run_id"] == d.runs["point"] * 3 + d.runs["replication"]).all()
    assert d.overrides[1] == ["stores.giant.price=0.8", "stores.chain.service_quality=0.7"]
    assert exp.base.town.shoppers == 500 and exp.base.days == 30


def test_seeds_derive_from_root_seed_sequence(tmp_path: Path) -> None:
    exp = load_experiment(write(tmp_path, GRID))
    runs = exp.design().runs
    # common random numbers: replication r has the same seed at every point ...
    assert runs.groupby("replication")["seed"].nunique().eq(1).all()
    assert runs["seed"].nunique() == 3
    # ... and it is SeedSequence(root).spawn(2)[1].spawn(R)[r], as documented
    child = np.random.SeedSequence(5).spawn(2)[1].spawn(3)[2]
    assert runs.loc[runs["replication"] == 2, "seed"].iloc[0] == int(
        child.generate_state(1, np.uint64)[0] >> np.uint64(1)
    )
    independent = run_seeds(5, 6, 3, common=False)
    assert len(np.unique(independent)) == 18
    assert (independent >= 0).all()


def test_design_is_deterministic_and_digest_ignores_comments(tmp_path: Path) -> None:
    a = load_experiment(write(tmp_path, GRID, "a.toml")).design()
    b = load_experiment(write(tmp_path, "# a comment\n" + GRID, "b.toml")).design()
    assert a.digest == b.digest
    assert a.runs.equals(b.runs)
    c = load_experiment(write(tmp_path, GRID.replace("seed = 5", "seed = 6"), "c.toml")).design()
    assert c.digest != a.digest


def test_integer_parameters_are_rounded(tmp_path: Path) -> None:
    text = """
    seed = 1
    [sampler]
    method = "lhs"
    samples = 10
    [[parameters]]
    path = "behaviour.wom_reach"
    range = { low = 1, high = 6 }
    [[parameters]]
    path = "category.touch_feel"
    range = { low = 0.2, high = 0.9 }
    """
    d = load_experiment(write(tmp_path, text)).design()
    reach = d.points["behaviour__wom_reach"]
    assert reach.dtype == np.int64 and reach.between(1, 6).all()
    assert all(o[0] == f"behaviour.wom_reach={v}" for o, v in zip(d.overrides, reach, strict=True))


def test_random_sampler_mixes_ranges_and_value_lists(tmp_path: Path) -> None:
    text = """
    seed = 1
    [sampler]
    method = "random"
    samples = 40
    [[parameters]]
    path = "stores.omni.bopis"
    values = [true, false]
    [[parameters]]
    path = "stores.giant.price"
    range = { low = 0.8, high = 1.0 }
    """
    pts = load_experiment(write(tmp_path, text)).design().points
    assert set(pts["stores__omni__bopis"]) == {True, False}
    assert pts["stores__giant__price"].between(0.8, 1.0).all()


def test_lhs_has_one_point_per_stratum() -> None:
    x = lhs_points(np.array([[0.0, 1.0], [10.0, 20.0]]), 8, np.random.default_rng(0))
    assert sorted(np.floor(x[:, 0] * 8).astype(int)) == list(range(8))
    assert sorted(np.floor((x[:, 1] - 10) / 10 * 8).astype(int)) == list(range(8))


def test_sobol_and_morris_sizes() -> None:
    b = np.array([[0.0, 1.0]] * 3)
    rng = np.random.default_rng(0)
    assert sobol_points(b, 8, rng).shape == (8 * (3 + 2), 3)
    assert sobol_points(b, 8, rng, second_order=True).shape == (8 * (2 * 3 + 2), 3)
    assert morris_points(b, 5, 4, rng).shape == (5 * 4, 3)


# ----------------------------------------------------------------- bad files

BAD = [
    (
        "unknown path",
        GRID.replace('path = "stores.giant.price"', 'path = "stores.giant.pirce"'),
        "parameters.0.path",
        "did you mean 'stores.giant.price'?",
    ),
    (
        "unknown store",
        GRID.replace('path = "stores.giant.price"', 'path = "stores.gaint.price"'),
        "parameters.0.path",
        "did you mean 'stores.giant.price'?",
    ),
    (
        "empty range",
        GRID.replace("low = 0.5, high = 0.9", "low = 0.9, high = 0.9"),
        "parameters.1.range.high",
        "empty range",
    ),
    ("empty values", GRID.replace("values = [0.8, 0.9]", "values = []"), "parameters.0.values", "found []"),
    (
        "value out of bounds",
        GRID.replace("values = [0.8, 0.9]", "values = [0.8, -0.9]"),
        "parameters.0.values.1",
        "greater than 0",
    ),
    ("replications < 1", GRID.replace("replications = 3", "replications = 0"), "replications", "found 0"),
    (
        "grid without steps",
        GRID.replace(", steps = 3", ""),
        "parameters.1.range.steps",
        "grid sampler",
    ),
    (
        "sobol with a value list",
        GRID.replace(", steps = 3", "") + '\n[sampler]\nmethod = "sobol"\nsamples = 8\n',
        "parameters.0.values",
        "sobol sampler draws from continuous ranges",
    ),
    (
        "sobol N not a power of 2",
        GRID.replace("values = [0.8, 0.9]", "range = { low = 0.8, high = 0.9 }").replace(", steps = 3", "")
        + '\n[sampler]\nmethod = "sobol"\nsamples = 12\n',
        "sampler.samples",
        "try 8 or 16",
    ),
    (
        "morris with an odd number of levels",
        GRID.replace("values = [0.8, 0.9]", "range = { low = 0.8, high = 0.9 }").replace(", steps = 3", "")
        + '\n[sampler]\nmethod = "morris"\ntrajectories = 4\nlevels = 3\n',
        "sampler.levels",
        "even number of levels",
    ),
    (
        "option of another sampler",
        GRID + '\n[sampler]\nmethod = "grid"\nsamples = 8\n',
        "sampler.samples",
        "unknown key",
    ),
    ("unknown sampler", GRID + '\n[sampler]\nmethod = "sobel"\n', "sampler.method", "did you mean 'sobol'?"),
    (
        "typo in a top-level key",
        GRID.replace("replications", "replicatons"),
        "replicatons",
        "did you mean 'replications'?",
    ),
    ("no root seed", GRID.replace("seed = 5", ""), "seed", "root seed"),
    (
        "the seed is not a parameter",
        GRID.replace('path = "stores.giant.price"', 'path = "seed"'),
        "parameters.0.path",
        "root `seed`",
    ),
    ("unknown scenario", 'scenario = "basline"\n' + GRID, "scenario", "did you mean 'baseline'?"),
    ("bad fixed override", GRID.replace("town.shoppers=500", "town.shopers=500"), "set.0", "shoppers"),
    (
        "unknown metric",
        GRID + '\n[analysis]\nmetrics = ["online_shar"]\n',
        "analysis.metrics.0",
        "did you mean 'online_share'?",
    ),
    (
        "unknown table",
        GRID + '\n[output]\ntables = ["summary", "timeserie"]\n',
        "output.tables.1",
        "did you mean 'timeseries'?",
    ),
    (
        "range on a boolean",
        GRID.replace('path = "stores.giant.price"', 'path = "stores.omni.bopis"').replace(
            "values = [0.8, 0.9]", "range = { low = 0, high = 1 }"
        ),
        "parameters.0.range",
        "bool parameter",
    ),
]


@pytest.mark.parametrize(("case", "text", "key", "needle"), BAD, ids=[b[0] for b in BAD])
def test_bad_experiment_is_a_clear_input_error(
    tmp_path: Path, case: str, text: str, key: str, needle: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_experiment(path)
    err = info.value
    assert err.source == str(path)
    assert err.key == key, err.message
    assert needle in err.message, err.message


def test_not_toml(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="valid TOML"):
        load_experiment(write(tmp_path, "seed = = 3"))


def test_bad_files_exit_2_and_write_nothing(tmp_path: Path) -> None:
    """Status 2, one line naming file and key, no output folder (in process, and one real process)."""
    from typer.testing import CliRunner

    from cxsim.cli.main import app

    cases = [BAD[0], BAD[2], BAD[5], BAD[7]]  # unknown path, empty range, replications < 1, misfit sampler
    for i, (_case, text, key, needle) in enumerate(cases):
        path = write(tmp_path, text, f"bad{i}.toml")
        out = tmp_path / f"out{i}"
        result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "-q"])
        assert result.exit_code == 2, result.output
        message = " ".join(result.output.split())
        assert f"{path}: {key}" in message and needle in message
        assert not out.exists()
    proc = subprocess.run(
        [sys.executable, "-m", "cxsim.cli.main", "sweep", str(tmp_path / "bad0.toml"), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "parameters.0.path" in proc.stderr and not out.exists()


# ----------------------------------------------------------------- design size


@pytest.mark.parametrize(
    ("sampler", "points"),
    [
        ('[sampler]\nmethod = "sobol"\nsamples = 8\n', 8 * (2 + 2)),
        ('[sampler]\nmethod = "sobol"\nsamples = 8\nsecond_order = true\n', 8 * (2 * 2 + 2)),
        ('[sampler]\nmethod = "morris"\ntrajectories = 5\n', 5 * (2 + 1)),
        ('[sampler]\nmethod = "lhs"\nsamples = 7\n', 7),
    ],
)
def test_design_size_is_known_before_sampling(tmp_path: Path, sampler: str, points: int) -> None:
    ranges = "".join(
        f'[[parameters]]\npath = "stores.giant.{k}"\nrange = {{ low = 0.2, high = 0.8 }}\n'
        for k in ("service_quality", "personalization")
    )
    exp = load_experiment(
        write(tmp_path, f"seed = 1\nreplications = 2\nset = ['town.shoppers=300']\n{sampler}{ranges}")
    )
    assert design_points(exp.spec) == points == len(exp.design().points)
    assert len(exp.design()) == 2 * points


def test_design_bound_names_the_count_and_can_be_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, GRID)  # 2 x 3 points x 3 replications = 18 runs
    monkeypatch.setenv("CXSIM_MAX_RUNS", "10")
    with pytest.raises(InputError) as err:
        load_experiment(path)
    assert (
        "at most 10 runs" in err.value.message and "6 points x 3 replications = 18 runs" in err.value.message
    )
    monkeypatch.setenv("CXSIM_MAX_RUNS", "18")
    assert len(load_experiment(path).design()) == 18
    monkeypatch.setenv("CXSIM_MAX_RUNS", "lots")
    with pytest.raises(InputError, match="CXSIM_MAX_RUNS"):
        load_experiment(path)
    assert MAX_RUNS == 1_000_000
