"""`cxsim calibrate`: the free-parameters file, a tiny search, the written scenario, bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cxsim
from cxsim.cli.main import app
from cxsim.experiments.calibration import DEFAULT_FILE, check_settings, read_settings

TINY = ["--set", "town.shoppers=1500", "--days", "120", "--workers", "1", "-q"]

PARAMS = """
base = "baseline"
patterns = ["P1", "P4"]
seeds = [3]

[budget]
sampler = "lhs"
samples = 3
refine = 3

[parameters]
behaviour.digital_habit = [0.6, 1.4]
"behaviour.wom_negative" = [0.2, 0.4]
"""


@pytest.fixture(autouse=True)
def wide_console():
    from cxsim.cli.main import console

    old = console._width
    console.width = 220
    yield
    console._width = old


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def invoke(*args: str):
    return CliRunner().invoke(app, ["calibrate", *args])


def test_shipped_free_parameters_are_valid():
    settings = read_settings(Path(__file__).resolve().parents[2] / DEFAULT_FILE)
    assert settings.base == "baseline" and "P6" not in settings.pattern_ids
    assert {"P1", "P2", "P4", "P7"} <= set(settings.pattern_ids)
    assert len(settings.parameters) >= 5 and all(p.low < p.high for p in settings.parameters)
    check_settings(settings)  # every path and range end is a valid baseline value
    spec = cxsim.load_scenario("baseline").model_dump()
    for p in settings.parameters:  # the calibrated defaults lie inside the searched ranges
        value = spec
        for key in p.path.split("."):
            value = value[key]
        assert p.low <= value <= p.high, p.path


def test_tiny_calibration_writes_a_loadable_scenario(tmp_path):
    params = write(tmp_path, "free.toml", PARAMS)
    out, target = tmp_path / "out", tmp_path / "scen" / "tuned.toml"
    res = invoke("--params", str(params), "--out", str(out), "--write-scenario", str(target), *TINY)
    assert res.exit_code == 0, res.output
    for text in ("best", "distance to the bands", "P1", "P4", "digital_habit", "cxsim validate --set"):
        assert text in res.output
    evals = pd.read_parquet(out / "evaluations.parquet")
    assert list(evals["phase"][:4]) == ["base", "lhs", "lhs", "lhs"]
    assert 5 <= len(evals) <= 1 + 3 + 3
    assert {"distance", "distance_P1", "distance_P4", "value_P1.0", "behaviour.digital_habit"} <= set(
        evals.columns
    )
    assert evals["behaviour.digital_habit"][1:].between(0.6, 1.4).all()
    assert (out / "best.toml").is_file() and (out / "calibration.json").is_file()
    spec = cxsim.load_scenario(target)
    best = evals.sort_values("objective").iloc[0]
    assert spec.name == "tuned"
    assert spec.behaviour.choice.digital_habit == pytest.approx(best["behaviour.digital_habit"])
    assert spec.behaviour.word_of_mouth.negative == pytest.approx(best["behaviour.wom_negative"])
    assert spec.stores == cxsim.load_scenario("baseline").stores  # everything else from the base
    # an existing scenario is not replaced without --force, and nothing is run
    again = invoke("--params", str(params), "--out", str(out), "--write-scenario", str(target), *TINY)
    assert again.exit_code == 2 and "--force" in again.output


def test_sobol_design_without_refinement(tmp_path):
    text = PARAMS.replace('sampler = "lhs"', 'sampler = "sobol"').replace("samples = 3", "samples = 2")
    params = write(tmp_path, "free.toml", text)
    res = invoke(
        "--params", str(params), "--out", str(tmp_path / "o"), "--refine", "0", "--only", "P4", *TINY
    )
    assert res.exit_code == 0, res.output
    evals = pd.read_parquet(tmp_path / "o" / "evaluations.parquet")
    assert list(evals["phase"]) == ["base", "sobol", "sobol"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (PARAMS.replace("[0.6, 1.4]", "[1.4, 0.6]"), "low < high"),
        (PARAMS.replace("[0.6, 1.4]", '"wide"'), "a range [low, high]"),
        (
            PARAMS.replace("behaviour.digital_habit", "behaviour.digital_habbit"),
            "did you mean 'digital_habit'",
        ),
        (PARAMS.replace("[0.2, 0.4]", "[-0.5, 0.4]"), "valid scenario values"),
        (PARAMS.replace('base = "baseline"', 'base = "baselin"'), "did you mean 'baseline'"),
        (PARAMS.replace('patterns = ["P1", "P4"]', 'patterns = ["P1", "P44"]'), "P44"),
        (PARAMS.replace("samples = 3", "sample = 3"), "budget.sample"),
        (PARAMS + '"events.0.days" = [1, 5]\n', "events cannot be calibrated"),
        ("base = 'baseline'\n[parameters]\n", "at least one free parameter"),
    ],
)
def test_bad_free_parameters_exit_2(tmp_path, text, fragment):
    params = write(tmp_path, "free.toml", text)
    res = invoke("--params", str(params), "--out", str(tmp_path / "o"), *TINY)
    assert res.exit_code == 2, res.output
    assert "error:" in res.output and fragment in res.output.replace("\n", " ")
    assert not (tmp_path / "o").exists()


def test_missing_params_file_exits_2(tmp_path):
    res = invoke("--params", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o"), *TINY)
    assert res.exit_code == 2 and "nope.toml" in res.output
