"""Bad input to the what-if commands: exit status 2, one clear line, no partial output.

Every case of the issue: an unknown scenario name (with the nearest suggested), a
circular ``extends``, a wrong type, out-of-range values (segment shares that do not
sum to 1, a negative price, an event outside the horizon), an event naming an
unknown store, malformed TOML and an unwritable output folder. Each goes through
``cxsim compare`` (which runs nothing before it has checked all of its input) and,
where it reads a scenario, through ``cxsim show`` and ``cxsim run`` as well.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxsim.cli.main import app

runner = CliRunner()
TINY = ["--reps", "2", "--days", "5", "--set", "town.shoppers=100", "--no-figures", "-q"]


def scenario(tmp_path: Path, name: str, text: str) -> str:
    """Write a scenario file and return its path."""
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return str(path)


def fails_cleanly(args: list[str], out: Path, *words: str) -> str:
    """Run the command line; check exit 2, one line on stderr naming ``words``, nothing written."""
    res = runner.invoke(app, args)
    assert res.exit_code == 2, (res.exit_code, res.output)
    message = res.stderr.strip()
    assert message.startswith("error:"), message
    assert len(message.splitlines()) == 1, message
    for word in words:
        assert word in message, (word, message)
    assert not out.exists(), "no partial output"
    left = [p for p in out.parent.iterdir() if p.name.startswith((f".{out.name}", ".cxsim-tmp-"))]
    assert not left, f"no temporary file or folder left: {left}"
    return message


def everywhere(tmp_path: Path, source: str, *words: str) -> None:
    """The same bad scenario fails cleanly in compare, run and show."""
    out = tmp_path / "out"
    fails_cleanly(["compare", "baseline", source, *TINY, "--out", str(out)], out, *words)
    fails_cleanly(["run", source, "--days", "5", "--out", str(out), "-q"], out, *words)
    fails_cleanly(["show", source], out, *words)


def test_unknown_scenario_suggests_the_nearest(tmp_path: Path) -> None:
    everywhere(tmp_path, "price_wr", "price_wr", "did you mean 'price_war'?")


def test_circular_extends(tmp_path: Path) -> None:
    scenario(tmp_path, "loop_a", 'extends = "loop_b"\n')
    b = scenario(tmp_path, "loop_b", 'extends = "loop_a"\n')
    everywhere(tmp_path, b, "extends", "without a cycle", "loop_b -> loop_a -> loop_b")


def test_wrong_type(tmp_path: Path) -> None:
    path = scenario(tmp_path, "typo", 'extends = "baseline"\n[category]\nticket = "cheap"\n')
    everywhere(tmp_path, path, "typo.toml", "category.ticket", "valid number", "'cheap'")


def test_segment_shares_must_sum_to_one(tmp_path: Path) -> None:
    path = scenario(tmp_path, "shares", 'extends = "baseline"\n[segments.bargain_hunter]\nshare = 0.5\n')
    everywhere(tmp_path, path, "shares.toml", "segments.*.share", "sum to 1", "1.28")


def test_negative_price(tmp_path: Path) -> None:
    path = scenario(tmp_path, "cheap", 'extends = "baseline"\n[stores.giant]\nprice = -0.9\n')
    everywhere(tmp_path, path, "cheap.toml", "stores.giant.price", "greater than 0", "-0.9")


def test_negative_price_on_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["compare", "baseline", "price_war", *TINY, "--set", "stores.giant.price=-1", "--out", str(out)]
    fails_cleanly(args, out, "stores.giant.price", "greater than 0", "-1")


def test_event_outside_the_horizon(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        "late",
        'extends = "baseline"\ndays = 365\n[[events]]\ntype = "recession"\nstart = 400\ndays = 30\n',
    )
    everywhere(tmp_path, path, "late.toml", "events.0.start", "a day within the horizon", "400")


def test_event_outside_a_shortened_horizon(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["compare", "baseline", "singles_day", *TINY[:2], "--days", "100", "--out", str(out), "-q"]
    fails_cleanly(args, out, "singles_day.toml", "events.0.start", "(1..100)", "315")


def test_event_names_an_unknown_store(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        "ghost",
        'extends = "baseline"\n[[events]]\ntype = "promotion"\nstart = 2\ndays = 3\n'
        'store = "giantt"\ndiscount = 0.2\n',
    )
    everywhere(tmp_path, path, "ghost.toml", "events.0.store", "'giantt'", "did you mean 'giant'?")


def test_malformed_toml(tmp_path: Path) -> None:
    path = scenario(tmp_path, "broken", 'extends = "baseline"\n[town\nshoppers = 10\n')
    everywhere(tmp_path, path, "broken.toml", "valid TOML")


@pytest.mark.parametrize("where", ["/proc/cxsim-out", "a-file/sub", "a-file"])
def test_unwritable_output_folder(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_text("in the way")
    target = Path(where) if where.startswith("/") else tmp_path / where
    res = runner.invoke(app, ["compare", "baseline", "price_war", *TINY, "--out", str(target)])
    assert res.exit_code == 2, res.output
    message = res.stderr.strip()
    assert len(message.splitlines()) == 1 and "--out" in message, message
    assert "writable" in message or "a folder" in message, message
    if where == "a-file":
        assert (tmp_path / "a-file").read_text() == "in the way"
    else:
        assert not target.exists()


def test_same_scenario_twice(tmp_path: Path) -> None:
    out = tmp_path / "out"
    fails_cleanly(["compare", "baseline", "baseline", *TINY, "--out", str(out)], out, "distinct scenarios")


def test_report_of_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (empty, tmp_path / "missing"):
        res = runner.invoke(app, ["report", str(folder)])
        assert res.exit_code == 2, res.output
        message = res.stderr.strip()
        assert len(message.splitlines()) == 1 and "cxsim run --out" in message, message
    assert list(empty.iterdir()) == []
    assert not (tmp_path / "missing").exists()
