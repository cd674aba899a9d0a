"""The output-folder rule (cxsim.core.io) through every output command, interrupted writes, orphans.

A command writes into a new folder or one it wrote before (the marker ``.cxsim-output.json``),
refuses anything else with exit 2 and one line unless ``--overwrite``, and never deletes or
replaces a file it did not write. Leftovers of a killed write are removed by the next writer; a
killed sweep driver takes its pool with it.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cxsim.cli.main import app
from cxsim.core.io import MARKER, TMP_PREFIX
from cxsim.experiments.sweep import FAIL_ENV, run_sweep

runner = CliRunner()
SMALL = ["--set", "town.shoppers=300", "--days", "10", "-q"]
COMPARE = ["compare", "baseline", "price_war", "--reps", "2", "--workers", "1", *SMALL]
ROOT = Path(__file__).resolve().parents[2]

EXPERIMENT = """
name = "{name}"
seed = 3
replications = {reps}
days = 10
set = ["town.shoppers=300", "warmup_days=5"]

[[parameters]]
path = "stores.giant.price"
name = "giant_price"
values = [0.8, 1.0]
"""

PARAMS = """
base = "baseline"
patterns = ["P1"]
seeds = [3]

[budget]
sampler = "lhs"
samples = 1
refine = 0

[parameters]
behaviour.digital_habit = [0.6, 1.4]
"""


def experiment(folder: Path, name: str = "tiny", reps: int = 1) -> Path:
    path = folder / f"{name.replace('/', '_')}.toml"
    path.write_text(textwrap.dedent(EXPERIMENT.format(name=name, reps=reps)))
    return path


def ok(args: list[str]) -> str:
    res = runner.invoke(app, args)
    assert res.exit_code in (0, 1), (res.exit_code, res.output)  # validate exits 1 when a pattern fails
    return res.output


def refused(args: list[str], *words: str) -> str:
    """Exit 2 and one line on stderr naming ``words``."""
    res = runner.invoke(app, args)
    assert res.exit_code == 2, (res.exit_code, res.output)
    message = res.stderr.strip()
    assert message.startswith("error:") and len(message.splitlines()) == 1, message
    for word in words:
        assert word in message, (word, message)
    return message


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with the digest of its content."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def yours(folder: Path) -> dict[str, str]:
    """Put a user's files in ``folder`` (one in a sub-folder cxsim writes too)."""
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    (folder / "figures" / "mine.png").write_text("my figure")
    (folder / "notes.txt").write_text("my notes")
    return {"figures/mine.png": "my figure", "notes.txt": "my notes"}


def survive(folder: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        assert (folder / rel).read_text() == text, f"{rel} was changed or removed"


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished tiny sweep (2 runs)."""
    tmp = tmp_path_factory.mktemp("sweep")
    run_sweep(experiment(tmp), tmp / "sweep", workers=0)
    return tmp / "sweep"


# ----------------------------------------------------------------------------- foreign folders


def commands(tmp_path: Path, out: Path, sweep: Path) -> dict[str, list[str]]:
    """One call of every output command writing to ``out``."""
    params = tmp_path / "params.toml"
    params.write_text(PARAMS)
    return {
        "run": ["run", "baseline", *SMALL, "--out", str(out)],
        "compare": [*COMPARE, "--out", str(out)],
        "validate": ["validate", "--only", "P1", "--reps", "2", *SMALL, "--out", str(out)],
        "calibrate": ["calibrate", "--params", str(params), *SMALL, "--workers", "1", "--out", str(out)],
        "analyze": ["analyze", str(sweep), "--out", str(out)],
        "sweep": ["sweep", str(experiment(tmp_path)), "--workers", "0", "-q", "--out", str(out)],
    }


@pytest.mark.parametrize("command", ["run", "compare", "validate", "calibrate", "analyze", "sweep"])
def test_a_folder_cxsim_did_not_write_is_refused_and_nothing_is_written(
    tmp_path: Path, sweep_dir: Path, command: str
) -> None:
    out = tmp_path / "mine"
    yours(out)
    before = snapshot(out)
    refused(commands(tmp_path, out, sweep_dir)[command], str(out), "did not write", "--overwrite")
    assert snapshot(out) == before, "nothing written"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TMP_PREFIX)]


def test_empty_out_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    refused(["run", "baseline", *SMALL, "--out", ""], "empty path")
    refused([*COMPARE, "--out", " "], "empty path")
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- run


def test_run_rewrites_its_folder_keeps_your_files_and_drops_its_stale_ones(tmp_path: Path) -> None:
    out = tmp_path / "M"
    ok(["run", "baseline", *SMALL, "--purchases", "--out", str(out)])
    assert (out / "purchases.parquet").is_file() and (out / MARKER).is_file()
    mine = yours(out)
    ok(["run", "price_war", *SMALL, "--out", str(out)])
    assert not (out / "purchases.parquet").exists(), "the purchases of the earlier run are gone"
    assert json.loads((out / "scenario.json").read_text())["name"] == "price_war"
    survive(out, mine)
    manifest = json.loads((out / MARKER).read_text())
    assert manifest["kind"] == "run" and "purchases.parquet" not in manifest["files"]


def test_overwrite_writes_beside_your_files_never_over_them(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    mine = yours(out)
    (out / "summary.parquet").write_text("my own summary")
    before = snapshot(out)
    refused(
        ["run", "baseline", *SMALL, "--out", str(out), "--overwrite"], "summary.parquet", "never replaces"
    )
    assert snapshot(out) == before
    (out / "summary.parquet").unlink()
    ok(["run", "baseline", *SMALL, "--out", str(out), "--overwrite"])
    survive(out, mine)
    assert (out / "summary.parquet").stat().st_size > 100
    # another command's folder: refused, then taken over with --overwrite (its files only)
    refused([*COMPARE, "--no-figures", "--out", str(out)], "cxsim run")
    ok([*COMPARE, "--no-figures", "--out", str(out), "--overwrite"])
    assert not (out / "summary.parquet").exists() and (out / "compare.json").is_file()
    survive(out, mine)


# ----------------------------------------------------------------------------- compare and report


@pytest.mark.slow
def test_compare_and_report_keep_your_figures(tmp_path: Path) -> None:
    out = tmp_path / "P"
    ok([*COMPARE, "--out", str(out)])
    mine = yours(out)
    ok([*COMPARE, "--out", str(out)])  # the defect: figures/ was replaced whole
    survive(out, mine)
    assert (out / "report.html").is_file() and len(list((out / "figures").glob("*.png"))) > 2
    ok(["report", str(out), "--markdown", "-q"])
    assert (out / "report.md").is_file()
    survive(out, mine)
    paper = tmp_path / "paper"
    paper_mine = yours(paper)
    ok(["report", str(out), "--markdown", "-q", "--out", str(paper / "report.md")])
    ok(["report", str(out), "--markdown", "-q", "--out", str(paper / "report.md")])  # again: its own files
    survive(paper, paper_mine)
    (paper / "other.html").write_text("my page")
    refused(["report", str(out), "-q", "--out", str(paper / "other.html")], "never replaces")
    assert (paper / "other.html").read_text() == "my page"


# ----------------------------------------------------------------------------- validate, calibrate, analyze


@pytest.mark.slow
@pytest.mark.parametrize("command", ["validate", "calibrate", "analyze"])
def test_rerunning_into_its_own_folder_keeps_your_files(
    tmp_path: Path, sweep_dir: Path, command: str
) -> None:
    out = tmp_path / "out"
    args = commands(tmp_path, out, sweep_dir)[command]
    ok(args)
    assert json.loads((out / MARKER).read_text())["kind"] == command
    mine = yours(out)
    ok(args)
    survive(out, mine)


# ----------------------------------------------------------------------------- sweeps


def test_a_run_into_a_sweep_folder_is_refused_and_the_sweep_resumes(tmp_path: Path) -> None:
    exp = experiment(tmp_path, reps=2)
    out = tmp_path / "S"
    run_sweep(exp, out, workers=0, batch_size=1)
    last = max((out / "runs").glob("part-*.parquet"))
    last.unlink()  # as if killed before its last batch was committed
    before = snapshot(out)
    refused(["run", "baseline", *SMALL, "--out", str(out)], "cxsim sweep")
    refused([*COMPARE, "--out", str(out)], "cxsim sweep")
    assert snapshot(out) == before
    report = run_sweep(exp, out, workers=0)
    assert report.ran == 1 and report.complete


def test_overwrite_replaces_a_sweep_of_another_design_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "S"
    run_sweep(experiment(tmp_path, reps=2), out, workers=0)
    mine = yours(out)
    other = experiment(tmp_path, name="other")
    args = ["sweep", str(other), "--workers", "0", "-q", "--out", str(out)]
    refused(args, "same experiment", "--overwrite")
    report = run_sweep(other, out, workers=0, overwrite=True)
    assert report.ran == 2 and report.complete
    runs = pq.ParquetDataset(out / "runs").read().to_pandas()
    assert sorted(runs["run_id"]) == [0, 1], "the other design's records are gone"
    survive(out, mine)


def test_retry_errors_keeps_one_record_per_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exp = experiment(tmp_path, reps=2)
    out = tmp_path / "S"
    monkeypatch.setenv(FAIL_ENV, "1,2")
    assert run_sweep(exp, out, workers=0).errors == 2
    monkeypatch.delenv(FAIL_ENV)
    report = run_sweep(exp, out, workers=0, retry_errors=True)
    assert report.ran == 2 and report.errors == 0
    runs = pq.ParquetDataset(out / "runs").read().to_pandas()  # every part, as any reader sees them
    assert sorted(runs["run_id"]) == [0, 1, 2, 3] and (runs["status"] == "ok").all()


@pytest.mark.parametrize("name", ["../../x", "/tmp/abs", "a/b", ".."])
def test_a_sweep_name_that_leaves_results_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    exp = experiment(tmp_path, name=name)
    before = sorted(p.name for p in tmp_path.parent.iterdir())
    refused(["sweep", str(exp), "--workers", "0", "-q"], "name", "--out")
    assert not (tmp_path / "results").exists() and sorted(p.name for p in tmp_path.parent.iterdir()) == before


# ----------------------------------------------------------------------------- interrupted writes


KILLED_SAVE = """
import os, signal, sys
from cxsim.core.io import output_dir
phase = sys.argv[2]
real_replace = os.replace
def replace(src, dst):
    real_replace(src, dst)
    if phase == "moving":
        os.kill(os.getpid(), signal.SIGKILL)  # killed after the first file is moved in
os.replace = replace
with output_dir(sys.argv[1], "compare") as tmp:
    for name in ("comparison.csv", "compare.json", "figures/a.png"):
        (tmp / name).parent.mkdir(exist_ok=True)
        (tmp / name).write_text("half")
    if phase == "staging":
        os.kill(os.getpid(), signal.SIGKILL)  # killed while the figures are drawn
"""


@pytest.mark.slow
@pytest.mark.parametrize("phase", ["staging", "moving"])
def test_a_sigkill_during_save_leaves_nothing_the_next_command_does_not_clean(
    tmp_path: Path, phase: str
) -> None:
    out = tmp_path / "C"
    ok([*COMPARE, "--no-figures", "--out", str(out)])
    mine = yours(out)
    proc = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(out), phase], cwd=ROOT, check=False)
    assert proc.returncode == -signal.SIGKILL
    left = [p for p in tmp_path.iterdir() if p.name.startswith(TMP_PREFIX)]
    assert left, "the kill left a staging folder (what this test is about)"
    ok([*COMPARE, "--no-figures", "--out", str(out)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["C"], "the leftover is removed"
    assert not (out / "figures" / "a.png").exists(), "a file of the killed save, listed in the manifest, goes"
    assert (out / "compare.json").read_text() != "half"
    survive(out, mine)


# ----------------------------------------------------------------------------- orphans


def _group(pgid: int) -> list[int]:
    """Live processes (not zombies) of process group ``pgid``."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(d.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_a_killed_sweep_driver_takes_its_pool_with_it(tmp_path: Path) -> None:
    exp = experiment(tmp_path, reps=40)  # 80 runs: still running when killed
    proc = subprocess.Popen(
        [sys.executable, "-m", "cxsim.cli", "sweep", str(exp), "--out", str(tmp_path / "S"), "-w", "2", "-q"],
        cwd=tmp_path,
        start_new_session=True,  # its own process group: the pool, forkserver and tracker join it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while len(_group(proc.pid)) < 4 and time.monotonic() < deadline:  # driver, forkserver, 2 workers
            time.sleep(0.2)
        assert len(_group(proc.pid)) >= 4, "the pool did not start"
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 10
        while _group(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _group(proc.pid) == [], "processes of the killed sweep live on"
    finally:
        for pid in _group(proc.pid):
            os.kill(pid, signal.SIGKILL)
    assert run_sweep(exp, tmp_path / "S", workers=0).complete, "and the sweep resumes"
