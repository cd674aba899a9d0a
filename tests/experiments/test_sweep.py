"""The sweep driver: executors, storage, failures, interruption and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

import cxsim
from cxsim.core.errors import InputError
from cxsim.experiments.design import load_experiment
from cxsim.experiments.sweep import FAIL_ENV, SweepDir, run_sweep

ROOT = Path(__file__).resolve().parents[2]

TINY = """
name = "tiny"
seed = 11
replications = 2
days = 30
set = ["town.shoppers=1000", "warmup_days=30"]

[[parameters]]
path = "stores.giant.price"
name = "giant_price"
values = [0.8, 1.0]

[[parameters]]
path = "stores.chain.service_quality"
name = "chain_service"
values = [0.5, 0.9]

[output]
tables = ["summary", "timeseries", "stores"]
collect_every = 5
"""

# 12 points x 2 replications: long enough to be interrupted mid-way
LONGER = TINY.replace("values = [0.8, 1.0]", "values = [0.8, 0.85, 0.9, 0.95, 1.0, 1.05]")


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def tables(out: Path) -> dict[str, pd.DataFrame]:
    sd = SweepDir(out)
    return {t: sd.read(t) for t in ("runs", "summary", "timeseries", "stores")}


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny sweep run in this process (the reference)."""
    tmp = tmp_path_factory.mktemp("serial")
    run_sweep(write(tmp, TINY), tmp / "out", workers=0)
    return tmp / "out"


def assert_same_results(a: Path, b: Path) -> None:
    ta, tb = tables(a), tables(b)
    for name in ("summary", "timeseries", "stores"):
        pd.testing.assert_frame_equal(ta[name], tb[name], check_exact=True)
    cols = ["run_id", "point", "replication", "seed", "status"]
    pd.testing.assert_frame_equal(ta["runs"][cols], tb["runs"][cols], check_exact=True)


def test_sweep_output_layout(serial: Path) -> None:
    t = tables(serial)
    runs = t["runs"]
    assert len(runs) == 8 and runs["run_id"].tolist() == list(range(8))
    assert (runs["status"] == "ok").all() and runs["error"].isna().all()
    assert {"giant_price", "chain_service", "seed", "duration_s", "worker"} <= set(runs.columns)
    assert len(t["summary"]) == 8 and t["summary"]["run_id"].is_unique
    # parameters travel with every table, so each is tidy on its own
    assert {"run_id", "point", "replication", "giant_price", "chain_service"} <= set(t["stores"].columns)
    assert sorted(t["timeseries"]["day"].unique()) == [5, 10, 15, 20, 25, 30]
    for f in ("experiment.toml", "experiment.json", "scenario.json", "design.parquet", "provenance.json"):
        assert (serial / f).is_file()
    prov = json.loads((serial / "provenance.json").read_text())
    assert prov["finished"] and prov["libraries"]["mesa"] and "python" in prov
    assert [s["status"] for s in prov["sessions"]] == ["complete"]
    assert prov["experiment"]["sha256"]


def test_run_depends_only_on_scenario_and_seed(serial: Path) -> None:
    """A sweep run equals a plain `cxsim.run` of the same scenario, overrides and recorded seed."""
    exp = load_experiment(serial / "experiment.toml")
    run = tables(serial)["runs"].iloc[5]
    direct = cxsim.run(exp.base, seed=int(run["seed"]), overrides=exp.design().overrides[int(run["point"])])
    got = (
        tables(serial)["summary"]
        .query("run_id == 5")
        .drop(columns=["run_id", "point", "replication", "giant_price", "chain_service"])
    )
    pd.testing.assert_frame_equal(got.reset_index(drop=True), direct.summary, check_exact=True)


def test_process_pool_and_threads_give_identical_results(serial: Path, tmp_path: Path) -> None:
    exp = write(tmp_path, TINY)
    run_sweep(exp, tmp_path / "pool", workers=2, batch_size=3, flush_seconds=3600)
    assert_same_results(serial, tmp_path / "pool")
    assert len(SweepDir(tmp_path / "pool").batches("runs")) == 3  # batches of 3, 3, 2
    with ThreadPoolExecutor(2) as ex:
        run_sweep(exp, tmp_path / "threads", executor=ex)
    assert_same_results(serial, tmp_path / "threads")


def test_towns_batched_or_alone_give_identical_results(serial: Path, tmp_path: Path) -> None:
    """The reference ran its 8 towns as one ensemble (by default); one or three per task: the same tables."""
    exp = write(tmp_path, TINY)
    for size in (1, 3):
        run_sweep(exp, tmp_path / f"ensemble{size}", workers=0, ensemble=size)
        assert_same_results(serial, tmp_path / f"ensemble{size}")


def test_failing_run_is_recorded_and_the_sweep_goes_on(
    serial: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exp, out = write(tmp_path, TINY), tmp_path / "out"
    monkeypatch.setenv(FAIL_ENV, "3")
    report = run_sweep(exp, out, workers=0)
    assert (report.ran, report.ok, report.errors) == (8, 7, 1)
    runs = tables(out)["runs"].set_index("run_id")
    assert runs.loc[3, "status"] == "error"
    assert "Traceback" in runs.loc[3, "error"] and "test hook" in runs.loc[3, "error"]
    assert 3 not in set(tables(out)["summary"]["run_id"]) and len(tables(out)["summary"]) == 7
    monkeypatch.delenv(FAIL_ENV)
    # an error is a finished run: resuming does not rerun it ...
    assert run_sweep(exp, out, workers=0).ran == 0
    # ... unless asked to
    report = run_sweep(exp, out, workers=0, retry_errors=True)
    assert (report.ran, report.ok) == (1, 1)
    assert_same_results(serial, out)


def test_leftovers_of_a_killed_batch_are_ignored_and_removed(serial: Path, tmp_path: Path) -> None:
    exp, out = write(tmp_path, TINY), tmp_path / "out"
    run_sweep(exp, out, workers=0, batch_size=4)
    sd = SweepDir(out)
    # a batch whose data parts were written but whose runs part was not (killed in between)
    orphan = sd.part("summary", 7)
    orphan.write_bytes(sd.part("summary", 0).read_bytes())
    tmp = out / "timeseries" / ".part-000008.parquet.tmp"
    tmp.write_bytes(b"half a file")
    assert tables(out)["summary"]["run_id"].is_unique  # readers skip uncommitted parts
    assert run_sweep(exp, out, workers=0).ran == 0
    assert not orphan.exists() and not tmp.exists()
    assert_same_results(serial, out)


def test_resume_refuses_another_experiment(serial: Path, tmp_path: Path) -> None:
    other = write(tmp_path, TINY.replace("seed = 11", "seed = 12"))
    before = sorted(p.name for p in serial.rglob("*"))
    with pytest.raises(InputError, match="same experiment"):
        run_sweep(other, serial, workers=0)
    assert sorted(p.name for p in serial.rglob("*")) == before
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="did not write"):
        run_sweep(other, tmp_path / "busy", workers=0)


def test_a_folder_in_use_is_refused(tmp_path: Path) -> None:
    exp, out = write(tmp_path, TINY), tmp_path / "out"
    with SweepDir(out).locked(), pytest.raises(InputError, match="locked"):
        run_sweep(exp, out, workers=0)


# ----------------------------------------------------------------- the command line


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "cxsim.cli.main", "sweep", *args]


def start(args: list[str]) -> subprocess.Popen[str]:
    """Start a sweep in its own process group (so that its pool workers can be killed with it)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_part(out: Path, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if SweepDir(out).batches("runs"):
            return
        if proc.poll() is not None:
            pytest.fail(f"the sweep ended before it could be interrupted: {proc.communicate()}")
        time.sleep(0.05)
    pytest.fail("no batch was written in time")


def sessions(out: Path) -> list[dict]:
    return json.loads((out / "provenance.json").read_text())["sessions"]


@pytest.mark.slow
def test_sigkill_then_resume_completes_without_duplicates(tmp_path: Path) -> None:
    exp, out = write(tmp_path, LONGER), tmp_path / "out"
    args = cli(str(exp), "--out", str(out), "--workers", "2", "--batch-size", "2", "-q")
    proc = start(args)
    wait_for_part(out, proc)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its pool workers, mid-way
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    done_before = len(SweepDir(out).finished())
    assert 0 < done_before < 24

    resumed = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    t = tables(out)
    assert t["runs"]["run_id"].tolist() == list(range(24))
    assert (t["runs"]["status"] == "ok").all()
    assert t["summary"]["run_id"].tolist() == list(range(24))
    assert not t["stores"].duplicated(["run_id", "day", "store"]).any()
    first, second = sessions(out)
    assert first["status"] == "killed" and second["status"] == "complete"
    assert second["ran"] == 24 - done_before  # only the missing runs ran


def test_ctrl_c_stops_cleanly_and_keeps_finished_runs(tmp_path: Path) -> None:
    exp, out = write(tmp_path, LONGER), tmp_path / "out"
    args = cli(str(exp), "--out", str(out), "--workers", "2", "--batch-size", "2", "-q")
    proc = start(args)
    wait_for_part(out, proc)
    os.kill(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Resume with: cxsim sweep" in stderr and "Traceback" not in stderr
    saved = SweepDir(out).finished()
    assert len(saved) > 0 and saved["run_id"].is_unique
    assert sessions(out)[0]["status"] == "interrupted"
    assert len(tables(out)["summary"]) == len(saved)


def test_check_validates_and_writes_nothing(tmp_path: Path) -> None:
    exp, out = write(tmp_path, TINY), tmp_path / "out"
    proc = subprocess.run(
        cli(str(exp), "--out", str(out), "--check"), cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "4 points x 2 replications = 8 runs" in proc.stdout
    assert not out.exists()


def test_a_session_on_other_code_is_flagged(serial: Path, tmp_path: Path) -> None:
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(serial, out)
    prov_file = out / "provenance.json"
    prov = json.loads(prov_file.read_text())
    assert SweepDir(out).code_changes() == []
    prov["sessions"].append({**prov["sessions"][0], "git_commit": "0123abc", "git_dirty": False})
    prov_file.write_text(json.dumps(prov))
    notes = SweepDir(out).code_changes()
    assert len(notes) == 1 and "git_commit is 0123abc" in notes[0]
