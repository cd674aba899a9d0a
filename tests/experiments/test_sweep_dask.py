"""Sweeps on a real Dask cluster (scheduler and workers as separate processes on loopback).

The same experiment must give bit-identical tables on Dask and on the local
process pool.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from cxsim.experiments.sweep import SweepDir, run_sweep

pytest.importorskip("distributed")
pytestmark = [pytest.mark.dask, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
DASK = str(Path(sys.executable).parent / "dask")
WORKER_OPTIONS = ["--nworkers", "2", "--nthreads", "1", "--no-dashboard", "--memory-limit", "0"]

EXPERIMENT = """
name = "dask_check"
seed = 99
replications = 2
days = 30
set = ["town.shoppers=1000", "warmup_days=30"]

[[parameters]]
path = "stores.giant.price"
values = [0.8, 1.0]

[[parameters]]
path = "category.touch_feel"
values = [0.3, 0.8]

[output]
tables = ["summary", "timeseries", "stores"]
collect_every = 10
"""


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A scheduler and a 2-process worker, each a separate process on 127.0.0.1."""
    from distributed import Client

    tmp = tmp_path_factory.mktemp("dask")
    sched_file = tmp / "scheduler.json"
    common = {"cwd": tmp, "start_new_session": True}
    scheduler = subprocess.Popen(
        [
            DASK,
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            *["--scheduler-file", str(sched_file)],
        ],
        stdout=(tmp / "scheduler.log").open("wb"),
        stderr=subprocess.STDOUT,
        **common,  # type: ignore[arg-type]
    )
    workers = None
    try:
        deadline = time.monotonic() + 60
        while not sched_file.is_file() and time.monotonic() < deadline:
            assert scheduler.poll() is None, (tmp / "scheduler.log").read_text()
            time.sleep(0.1)
        workers = subprocess.Popen(
            [DASK, "worker", "--scheduler-file", str(sched_file), "--host", "127.0.0.1", *WORKER_OPTIONS],
            stdout=(tmp / "workers.log").open("wb"),
            stderr=subprocess.STDOUT,
            **common,  # type: ignore[arg-type]
        )
        with Client(scheduler_file=str(sched_file), timeout="60s") as client:
            client.wait_for_workers(2, timeout=90)
            address = client.scheduler.address
        assert address.startswith("tcp://127.0.0.1:")
        yield address, sched_file
    finally:
        if workers is not None:
            _stop(workers)
        _stop(scheduler)


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exp") / "dask_check.toml"
    path.write_text(textwrap.dedent(EXPERIMENT))
    return path


@pytest.fixture(scope="module")
def pool_result(experiment: Path) -> Path:
    out = experiment.parent / "pool"
    run_sweep(experiment, out, workers=2, batch_size=3)
    return out


def assert_identical(a: Path, b: Path) -> None:
    for table in ("summary", "timeseries", "stores"):
        pd.testing.assert_frame_equal(SweepDir(a).read(table), SweepDir(b).read(table), check_exact=True)
    cols = ["run_id", "point", "replication", "seed", "status"]
    pd.testing.assert_frame_equal(SweepDir(a).read("runs")[cols], SweepDir(b).read("runs")[cols])


def test_dask_cluster_gives_the_same_results_as_the_process_pool(
    cluster: tuple[str, Path], experiment: Path, pool_result: Path
) -> None:
    address, _ = cluster
    out = experiment.parent / "dask"
    options = ["--out", str(out), "--batch-size", "3", "-q"]
    proc = subprocess.run(
        [sys.executable, "-m", "cxsim.cli.main", "sweep", str(experiment), "--scheduler", address, *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert_identical(pool_result, out)
    runs = SweepDir(out).read("runs")
    assert (runs["status"] == "ok").all() and len(runs) == 8
    # the runs happened in the two Dask worker processes, not in the driver
    assert runs["worker"].nunique() == 2
    session = json.loads((out / "provenance.json").read_text())["sessions"][0]
    assert session["executor"].startswith(f"Dask scheduler {address}, 2 threads")


def test_resume_on_dask_what_the_pool_started(
    cluster: tuple[str, Path], experiment: Path, pool_result: Path
) -> None:
    """Executors can be mixed within one sweep: runs depend only on their data and seed."""
    _, sched_file = cluster
    out = experiment.parent / "mixed"
    report = run_sweep(experiment, out, workers=0, batch_size=3, flush_seconds=3600)
    assert report.ran == 8
    # forget the last batch, as if the pool had been killed before writing it
    last = max(SweepDir(out).batches("runs"))
    for table in ("runs", "summary", "timeseries", "stores"):
        SweepDir(out).part(table, last).unlink()
    report = run_sweep(experiment, out, scheduler_file=sched_file)
    assert report.ran == 2 and report.executor.startswith("Dask scheduler")
    assert_identical(pool_result, out)


def test_local_dask_cluster(experiment: Path, pool_result: Path) -> None:
    out = experiment.parent / "local_dask"
    report = run_sweep(experiment, out, local_dask=True, workers=2)
    assert report.executor.startswith("Dask LocalCluster")
    assert_identical(pool_result, out)


def test_an_unreachable_scheduler_is_bad_input_and_nothing_is_written(
    experiment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from cxsim.core.errors import InputError
    from cxsim.experiments import runner

    with socket.socket() as s:  # a free port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(runner, "CONNECT_TIMEOUT", "2s")
    out = experiment.parent / "unreachable"
    with pytest.raises(InputError, match="a reachable Dask scheduler"):
        run_sweep(experiment, out, scheduler=f"tcp://127.0.0.1:{port}")
    assert not out.exists()
