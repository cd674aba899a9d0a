"""Every bad input a user can give, as a table: exit 2, one line naming file, key, expected, found.

Each case writes its input files into a fresh folder, runs the command line in
this process (typer's CliRunner) from that folder, and checks: exit status 2;
exactly one line on stderr, starting ``error:``, with no traceback; the words
that name the file (or option), the key, what was expected and what was found;
and that nothing was written (the folder holds exactly the files the case
wrote). The last cases give the app's values to
:func:`cxsim.model.overrides.validate_overrides`, the function the app calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cxsim.cli.main import app
from cxsim.core.errors import InputError
from cxsim.model import scenario_bounds
from cxsim.model.overrides import validate_overrides

runner = CliRunner()
GRID_4X10000 = "".join(
    f'[[parameters]]\npath = "stores.giant.{k}"\nrange = {{low = 0.1, high = 0.5, steps = 10000}}\n'
    for k in ("service_quality", "personalization", "atmosphere", "after_sales")
)
RANGE = '[[parameters]]\npath = "stores.giant.price"\nrange = {low = 0.8, high = 1.2}\n'
LONG_METRIC = "+".join(["nps"] * 30_000)


def pattern(**kw: str) -> str:
    """A patterns file with one pattern; ``kw`` replaces its keys (as TOML text)."""
    keys = {"id": '"p"', "name": '"p"', "scenario": '"baseline"', "source": '"s"', "metric": '"nps"'}
    keys["band"] = "[0, 100]"
    keys.update(kw)
    return "[[patterns]]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())


def run_folder(path: Path, corrupt: str, junk: bytes = b"\x00\xffnot what it should be{") -> None:
    """A folder like `cxsim run --out` writes, with one file corrupted."""
    path.mkdir()
    for name in ("timeseries", "stores", "summary"):
        pd.DataFrame({"day": [1], "x": [0.5]}).to_parquet(path / f"{name}.parquet")
    (path / "scenario.json").write_text('{"name": "baseline"}')
    (path / "provenance.json").write_text("{}")
    if corrupt:
        (path / corrupt).write_bytes(junk)


@dataclass
class Case:
    """A bad input: the command line, the files it needs, and the words its one line must hold."""

    id: str
    args: list[str]
    words: tuple[str, ...]
    files: dict[str, str | bytes] = field(default_factory=dict)
    setup: Callable[[Path], None] | None = None


CASES = [
    # ---- scenario files
    Case(
        "binary-scenario",
        ["show", "bin.toml"],
        ("bin.toml", "UTF-8", "byte 0"),
        {"bin.toml": b"\xff\xfe\x00x"},
    ),
    Case("malformed-toml", ["show", "bad.toml"], ("bad.toml", "valid TOML"), {"bad.toml": "days = = 3"}),
    Case(
        "unknown-key", ["show", "s.toml"], ("s.toml", "dayz", "did you mean 'days'"), {"s.toml": "dayz = 3"}
    ),
    Case(
        "nan-fixed-cost",
        ["show", "s.toml"],
        ("s.toml", "stores.giant.fixed_cost", "finite", "nan"),
        {"s.toml": 'extends = "baseline"\n[stores.giant]\nfixed_cost = nan\n'},
    ),
    Case(
        "huge-town",
        ["show", "s.toml"],
        ("s.toml", "town.size_km", "less than or equal to 1000", "1e+300"),
        {"s.toml": 'extends = "baseline"\n[town]\nsize_km = 1e300\n'},
    ),
    Case(
        "inf-delivery",
        ["run", "s.toml", "--days", "3", "--out", "out"],
        ("s.toml", "stores.giant.delivery_days", "finite", "inf"),
        {"s.toml": 'extends = "baseline"\n[stores.giant]\ndelivery_days = inf\n'},
    ),
    Case(
        "nan-coordinate",
        ["show", "s.toml"],
        ("s.toml", "stores.giant.x", "finite", "nan"),
        {"s.toml": 'extends = "baseline"\n[stores.giant]\nx = nan\n'},
    ),
    Case(
        "store-outside-town",
        ["show", "s.toml"],
        ("s.toml", "stores.giant.y", "within the town", "40"),
        {"s.toml": 'extends = "baseline"\n[stores.giant]\ny = 40.0\n'},
    ),
    Case(
        "seed-in-file",
        ["show", "s.toml"],
        ("s.toml", "seed", "9223372036854775807", "99999999999999999999"),
        {"s.toml": 'extends = "baseline"\nseed = 99999999999999999999\n'},
    ),
    Case(
        "nps-window",
        ["show", "s.toml"],
        ("s.toml", "behaviour.word_of_mouth.nps_window_days", "36500", "999999999999"),
        {"s.toml": 'extends = "baseline"\n[behaviour.word_of_mouth]\nnps_window_days = 999999999999\n'},
    ),
    Case(
        "summary-window",
        ["show", "s.toml"],
        ("s.toml", "summary_window_days", "36500", "1000000000"),
        {"s.toml": 'extends = "baseline"\nsummary_window_days = 1000000000\n'},
    ),
    Case(
        "event-start",
        ["show", "s.toml"],
        ("s.toml", "events.0.start", "36500", "1000000000"),
        {"s.toml": 'extends = "baseline"\n[[events]]\ntype = "recession"\nstart = 1000000000\ndays = 3\n'},
    ),
    Case(
        "extends-any-file",
        ["show", "s.toml"],
        ("s.toml", "extends", ".toml", "/etc/passwd"),
        {"s.toml": 'extends = "/etc/passwd"\n'},
    ),
    Case(
        "extends-missing",
        ["show", "s.toml"],
        ("s.toml", "extends", "a scenario name", "no_such_parent"),
        {"s.toml": 'extends = "no_such_parent"\n'},
    ),
    Case("scenario-not-toml", ["show", "notes.txt"], ("notes.txt", ".toml"), {"notes.txt": "days = 3"}),
    Case("scenario-any-path", ["show", "/etc/passwd"], ("/etc/passwd", ".toml")),
    # ---- overrides
    Case(
        "set-nan",
        ["show", "baseline", "--set", "behaviour.walk_out_effort=nan"],
        ("walk_out_effort", "finite", "nan"),
    ),
    Case(
        "set-removed-choice-key",
        ["show", "baseline", "--set", "behaviour.choice.price=2"],
        ("behaviour.choice.price", "was removed", "behaviour.choice.money"),
    ),
    Case(
        "set-inf-cost",
        ["run", "baseline", "--days", "3", "--set", "stores.giant.fixed_cost=inf", "--out", "out"],
        ("stores.giant.fixed_cost", "finite", "inf"),
    ),
    Case(
        "set-no-shoppers", ["show", "baseline", "--set", "town.shoppers=0"], ("town.shoppers", "greater", "0")
    ),
    Case(
        "set-huge-shoppers",
        ["show", "baseline", "--set", "town.shoppers=1e12"],
        ("town.shoppers", "less than or equal to 50000000", "1000000000000.0"),
    ),
    Case("set-no-equals", ["show", "baseline", "--set", "seed"], ("--set", "PATH=VALUE", "seed")),
    Case(
        "set-unknown-store",
        ["show", "baseline", "--set", "stores.nostore.price=1"],
        ("stores.nostore", "one of", "nostore"),
    ),
    Case(
        "set-coefficient-magnitude",
        ["show", "baseline", "--set", "behaviour.choice.money=1e9"],
        ("behaviour.choice.money", "from 0 to 1000", "1000000000"),
    ),
    # ---- command-line options
    Case(
        "seed-option",
        ["run", "baseline", "--days", "3", "--seed", "99999999999999999999999", "--out", "out"],
        ("seed", "9223372036854775807", "99999999999999999999999"),
    ),
    Case("unknown-option", ["run", "baseline", "--nope"], ("--nope", "cxsim run --help")),
    Case("missing-argument", ["run"], ("Missing argument", "scenario", "cxsim run --help")),
    Case(
        "wrong-type-option", ["run", "baseline", "--days", "abc"], ("--days", "integer", "cxsim run --help")
    ),
    Case("unknown-command", ["frobnicate"], ("frobnicate", "cxsim --help")),
    Case(
        "compare-reps",
        ["compare", "baseline", "price_war", "--reps", "1000000000", "--out", "out"],
        ("--reps", "less than or equal to 100000", "cxsim compare --help"),
    ),
    Case(
        "compare-seed",
        ["compare", "baseline", "price_war", "--seed", "99999999999999999999999", "--out", "out"],
        ("--seed", "9223372036854775807", "cxsim compare --help"),
    ),
    Case(
        "calibrate-samples",
        ["calibrate", "--samples", "1000000000000", "--out", "out"],
        ("--samples", "less than or equal to 1000000", "cxsim calibrate --help"),
    ),
    # ---- experiments
    Case(
        "random-1e12",
        ["sweep", "e.toml", "--check"],
        ("e.toml", "sampler", "at most 1,000,000 runs", "1,000,000,000,000 runs"),
        {
            "e.toml": "seed = 1\nreplications = 100000\n"
            f'[sampler]\nmethod = "random"\nsamples = 10000000\n{RANGE}'
        },
    ),
    Case(
        "grid-4x10000",
        ["sweep", "e.toml", "--check"],
        ("e.toml", "parameters", "at most 1,000,000 runs", "10,000,000,000,000,000 runs"),
        {"e.toml": f"seed = 1\n{GRID_4X10000}"},
    ),
    Case(
        "range-minus-inf",
        ["sweep", "e.toml", "--check"],
        ("e.toml", "parameters.0.range.low", "finite", "-inf"),
        {"e.toml": 'seed = 1\n[sampler]\nmethod = "lhs"\nsamples = 4\n' + RANGE.replace("0.8", "-inf")},
    ),
    Case(
        "experiment-seed",
        ["sweep", "e.toml", "--check"],
        ("e.toml", "seed", "9223372036854775807", "99999999999999999999"),
        {"e.toml": 'seed = 99999999999999999999\n[sampler]\nmethod = "lhs"\nsamples = 4\n' + RANGE},
    ),
    Case(
        "experiment-scenario-path",
        ["sweep", "e.toml", "--check"],
        ("e.toml", "scenario", ".toml", "/etc/passwd"),
        {"e.toml": 'scenario = "/etc/passwd"\nseed = 1\n[sampler]\nmethod = "lhs"\nsamples = 4\n' + RANGE},
    ),
    Case(
        "binary-experiment", ["sweep", "e.toml", "--check"], ("e.toml", "UTF-8"), {"e.toml": b"\x80\x81\x82"}
    ),
    # ---- validation patterns
    Case(
        "metric-30000-terms",
        ["validate", "--patterns", "p.toml", "--only", "p", "--out", "out"],
        ("p.toml", "metric", "at most 2,000 characters", "119,999"),
        {"p.toml": pattern(metric=f'"{LONG_METRIC}"')},
    ),
    Case(
        "binary-patterns",
        ["validate", "--patterns", "p.toml", "--out", "out"],
        ("p.toml", "UTF-8"),
        {"p.toml": b"\xff" * 10},
    ),
    Case(
        "pattern-band-nan",
        ["validate", "--patterns", "p.toml", "--only", "p", "--out", "out"],
        ("p.toml", "band", "low <= high", "nan"),
        {"p.toml": pattern(band="[nan, 1]")},
    ),
    Case(
        "pattern-scenario-path",
        ["validate", "--patterns", "p.toml", "--only", "p", "--out", "out"],
        ("../../etc/passwd", ".toml"),
        {"p.toml": pattern(scenario='"../../etc/passwd"')},
    ),
    # ---- report and analyze inputs
    Case(
        "report-corrupt-parquet",
        ["report", "run", "--out", "out.html"],
        ("summary.parquet", "Parquet", "corrupt"),
        setup=lambda d: run_folder(d / "run", "summary.parquet"),
    ),
    Case(
        "report-binary-json",
        ["report", "run", "--out", "out.html"],
        ("scenario.json", "UTF-8", "byte 1"),
        setup=lambda d: run_folder(d / "run", "scenario.json"),
    ),
    Case(
        "report-corrupt-json",
        ["report", "run", "--out", "out.html"],
        ("provenance.json", "valid JSON", "corrupt", "line 1"),
        setup=lambda d: run_folder(d / "run", "provenance.json", b'{"started": '),
    ),
    Case(  # no store_summary.parquet (as cxsim 0.4.0 wrote a run), and a summary without its window
        "report-run-summary-without-window",
        ["report", "run", "--out", "out.html"],
        ("summary.parquet", "window_days", "no such column"),
        setup=lambda d: run_folder(d / "run", ""),
    ),
    Case(
        "report-not-a-run",
        ["report", "empty", "--out", "out.html"],
        ("empty",),
        setup=lambda d: (d / "empty").mkdir(),
    ),
    Case(
        "analyze-corrupt-json",
        ["analyze", "sweep"],
        ("experiment.json", "valid JSON", "corrupt"),
        {"sweep/experiment.json": '{"name": '},
    ),
    Case(
        "analyze-corrupt-parquet",
        ["analyze", "sweep"],
        ("design.parquet", "Parquet", "corrupt"),
        {"sweep/experiment.json": "{}", "sweep/design.parquet": b"PAR1junk"},
    ),
    Case(
        "analyze-not-a-sweep",
        ["analyze", "empty"],
        ("empty", "cxsim sweep"),
        setup=lambda d: (d / "empty").mkdir(),
    ),
]


def listing(folder: Path) -> set[str]:
    """Every path under ``folder``."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_there_are_at_least_40_cases() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, content in case.files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            (tmp_path / name).write_bytes(content)
        else:
            (tmp_path / name).write_text(content)
    if case.setup is not None:
        case.setup(tmp_path)
    before = listing(tmp_path)
    res = runner.invoke(app, case.args)
    message = res.stderr.strip()
    assert res.exit_code == 2, (res.exit_code, res.output, res.exception)
    assert "Traceback" not in res.output
    assert len(message.splitlines()) == 1, message
    assert message.startswith("error:"), message
    for word in case.words:
        assert word in message, (word, message)
    assert listing(tmp_path) == before, "nothing written"


def test_a_town_too_big_for_memory_names_the_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(scenario_bounds, "machine_memory", lambda: 8 * 10**9)
    res = runner.invoke(app, ["run", "baseline", "--set", "town.shoppers=50000000", "--out", "out"])
    message = res.stderr.strip()
    assert res.exit_code == 2 and len(message.splitlines()) == 1, res.output
    for word in (
        "town.shoppers",
        "at most",
        "shoppers with 5 stores",
        "bytes each",
        "8.0 GB of memory",
        "50000000",
    ):
        assert word in message, (word, message)
    assert listing(tmp_path) == set()


def test_debug_shows_the_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe")
    res = runner.invoke(app, ["--debug", "show", "bin.toml"])
    assert res.exit_code == 2
    assert "Traceback" in res.stderr and "UTF-8" in res.stderr


# ---- the app's values, through the function the app calls


@pytest.mark.parametrize(
    ("scenario", "values", "words"),
    [
        ("baseline", {"seed": -1}, ("app: seed", "greater than or equal to 0", "-1")),
        ("baseline", {"seed": 2**63}, ("app: seed", "9223372036854775807", "9223372036854775808")),
        ("../../etc/passwd", {}, ("app: scenario", "a scenario name of the library", "passwd")),
        ("baseline", {"stores.giant.price": float("nan")}, ("app: stores.giant.price", "finite", "nan")),
        ("baseline", {"town.shoppers": 50_000_000}, ("app: town.shoppers", "at most", "bytes each")),
    ],
)
def test_app_values_are_checked_by_the_schema(
    scenario: str, values: dict[str, object], words: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scenario_bounds, "machine_memory", lambda: 8 * 10**9)
    with pytest.raises(InputError) as err:
        validate_overrides(scenario, values)
    message = err.value.message
    assert len(message.splitlines()) == 1
    for word in words:
        assert word in message, (word, message)


def test_app_values_within_bounds_make_the_scenario() -> None:
    s = validate_overrides("price_war", {"seed": 7, "town.shoppers": 500, "stores.giant.price": 0.9})
    assert (s.seed, s.town.shoppers, s.stores["giant"].price) == (7, 500, 0.9)


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (MemoryError(), ("out of memory", "GB", "fewer shoppers")),
        (RecursionError(), ("nested less deeply",)),
    ],
)
def test_memory_and_recursion_errors_are_one_line(
    error: BaseException, words: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr("cxsim.cli.main.load_scenario", fail)
    res = runner.invoke(app, ["show", "baseline"])
    message = res.stderr.strip()
    assert res.exit_code == 2 and len(message.splitlines()) == 1, res.output
    assert "Traceback" not in res.output
    for word in words:
        assert word in message, (word, message)
