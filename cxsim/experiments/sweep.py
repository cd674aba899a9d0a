"""Sweeps: run an experiment's design on any executor, into resumable Parquet.

One driver serves every backend that implements :class:`concurrent.futures.Executor`:
a local process pool (default), a Dask cluster (``--scheduler tcp://...`` or
``--local-dask``), or the driver's own process (``--workers 0``, for debugging).
Each run is :func:`execute_run` on plain data (the resolved base scenario, the
point's overrides, the run's seed), so its result depends only on that data:
the same experiment gives identical tables whichever executor and however many
workers.

Output folder (see docs/SWEEPS.md)::

    OUT/experiment.toml      the experiment file, as given
    OUT/experiment.json      resolved experiment, design digest, parameters
    OUT/scenario.json        the resolved base scenario
    OUT/design.parquet       every planned run: run_id, point, replication, seed, parameters
    OUT/provenance.json      versions, commit, and one record per session (start, end, status)
    OUT/runs/part-NNNNNN.parquet        status of finished runs (the commit record of a batch)
    OUT/summary/part-NNNNNN.parquet     one row per successful run
    OUT/timeseries/..., OUT/stores/...  when kept

Finished runs are written in batches; every file is written under a temporary
name and renamed into place, and a batch counts only once its ``runs`` part
exists. A sweep killed at any moment (even SIGKILL) resumes with the same
command: leftovers of an unfinished batch are removed and only missing runs
are submitted.
"""

import contextlib
import fcntl
import functools
import json
import math
import multiprocessing
import os
import platform
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    CancelledError,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import typer

from cxsim.core.errors import InputError
from cxsim.experiments.design import Design, Experiment, load_experiment

FAIL_ENV = "CXSIM_SWEEP_FAIL_RUNS"
"""Test hook: comma-separated run ids that raise instead of running (read by the driver)."""
DATA_TABLES = ("summary", "timeseries", "stores", "purchases")
CONNECT_TIMEOUT = "30s"
"""How long to try reaching a Dask scheduler before giving up (bad input, exit status 2)."""
LIBRARIES = ("mesa", "numpy", "pandas", "pyarrow", "pydantic", "scipy", "SALib", "dask", "distributed")


class SweepError(RuntimeError):
    """The sweep cannot go on (a worker process died); finished runs are saved."""


# --------------------------------------------------------------------------- the run


def execute_run(task: dict[str, Any]) -> dict[str, Any]:
    """Run one simulation of a sweep. Top-level and picklable: this is what workers execute.

    Args:
        task: plain data: ``run_id``, ``base`` (resolved scenario as JSON-able
            dict), ``overrides`` (``PATH=VALUE`` strings), ``seed``, ``tables``
            (names to return) and ``fail`` (test hook).

    Returns:
        ``run_id``, ``status`` ("ok" or "error"), ``error`` (the traceback),
        ``duration_s``, ``worker`` (host:pid) and ``tables`` (DataFrames by name).
        Exceptions of the model are caught and returned, never raised.
    """
    from cxsim.experiments.results import run
    from cxsim.model.scenario import Scenario, load_scenario

    started = time.perf_counter()
    out: dict[str, Any] = {
        "run_id": int(task["run_id"]),
        "status": "ok",
        "error": None,
        "tables": {},
        "worker": f"{socket.gethostname()}:{os.getpid()}",
    }
    try:
        if task.get("fail"):
            raise RuntimeError(f"run {task['run_id']} failed on purpose ({FAIL_ENV} lists it; a test hook)")
        spec = load_scenario(Scenario.model_validate(task["base"]), task["overrides"], seed=int(task["seed"]))
        tables = run(spec).tables()
        out["tables"] = {name: tables[name] for name in task["tables"] if name in tables}
    except Exception:
        out["status"] = "error"
        out["error"] = traceback.format_exc()
        out["tables"] = {}
    out["duration_s"] = time.perf_counter() - started
    return out


def make_tasks(exp: Experiment, design: Design, run_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """The plain-data tasks of ``run_ids`` (default: all), replication-major.

    Submitting replication 0 of every point first gives a coarse picture of the
    whole design early, should the sweep be stopped.
    """
    base = exp.base.model_dump(mode="json")
    fail = _fail_ids()
    runs = design.runs
    if run_ids is not None:
        runs = runs[runs["run_id"].isin(run_ids)]
    runs = runs.sort_values(["replication", "point"], kind="stable")
    return [
        {
            "run_id": int(r),
            "seed": int(s),
            "base": base,
            "overrides": design.overrides[int(p)],
            "tables": exp.tables,
            "fail": int(r) in fail,
        }
        for r, p, s in zip(runs["run_id"], runs["point"], runs["seed"], strict=True)
    ]


def _fail_ids() -> set[int]:
    text = os.environ.get(FAIL_ENV, "")
    return {int(t) for t in text.replace(" ", "").split(",") if t.strip().isdigit()}


# --------------------------------------------------------------------------- executors


class SerialExecutor(Executor):
    """Runs each task in the calling process when submitted (``--workers 0``; debugging)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn`` now and return a finished future."""
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as exc:  # pragma: no cover - execute_run catches its errors
            fut.set_exception(exc)
        return fut  # Ctrl-C (KeyboardInterrupt) propagates to the driver as it should


def _ignore_sigint() -> None:
    """Pool workers leave Ctrl-C to the driver, which stops the sweep cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass
class Backend:
    """An executor plus what the driver needs to know about it."""

    executor: Executor
    description: str
    slots: int
    """Tasks to keep in flight."""
    refresh: Callable[[], int] | None = None
    """Recomputes ``slots`` (a cluster that scales up gets more tasks in flight)."""
    refreshed: float = 0.0

    def capacity(self) -> int:
        """Tasks to keep in flight now (refreshed every few seconds)."""
        if self.refresh is not None and time.monotonic() - self.refreshed > 5.0:
            with contextlib.suppress(Exception):
                self.slots = self.refresh()
            self.refreshed = time.monotonic()
        return self.slots


def available_cores() -> int:
    """Cores this process may use (respects CPU affinity, e.g. a SLURM allocation)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def make_executor(
    workers: int | None = None,
    scheduler: str | None = None,
    scheduler_file: str | Path | None = None,
    local_dask: bool = False,
) -> Iterator[Backend]:
    """Open the executor a sweep runs on, and close it afterwards.

    Args:
        workers: processes of the local pool or of the local Dask cluster
            (default: all cores); 0 runs in this process.
        scheduler: address of a running Dask scheduler (``tcp://host:8786``).
        scheduler_file: a Dask scheduler file (``dask scheduler --scheduler-file``).
        local_dask: start a Dask ``LocalCluster`` of ``workers`` processes.
    """
    n = available_cores() if workers is None else workers
    if scheduler or scheduler_file or local_dask:
        with _dask_executor(n, scheduler, scheduler_file, local_dask) as backend:
            yield backend
        return
    if n == 0:
        yield Backend(SerialExecutor(), "in-process (serial)", 1)
        return
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["cxsim.experiments.sweep"])
    pool = ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_ignore_sigint)
    try:
        yield Backend(pool, f"process pool ({n} workers)", 2 * n)
    finally:
        _stop_pool(pool)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel queued tasks and stop the workers without waiting for running ones."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(timeout=5)


@contextlib.contextmanager
def _dask_executor(
    n: int, scheduler: str | None, scheduler_file: str | Path | None, local_dask: bool
) -> Iterator[Backend]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - the dist extra is missing
        raise InputError(
            "--scheduler",
            "",
            "Dask distributed installed",
            "not installed",
            "pip install 'cxsim[dist]'",
        ) from None
    cluster = None
    try:
        if local_dask:
            import dask

            # Dask's statistical profiler samples every worker thread's stack and cost about
            # a fifth of 2-worker throughput in docs/PERFORMANCE.md; our runs do not need it.
            with dask.config.set({"distributed.worker.profile.enabled": False}):
                cluster = LocalCluster(
                    n_workers=max(n, 1),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    host="127.0.0.1",
                )
            client = Client(cluster)
            what = f"Dask LocalCluster ({max(n, 1)} workers)"
        elif scheduler_file:
            client = Client(scheduler_file=str(scheduler_file), timeout=CONNECT_TIMEOUT)
            what = f"Dask scheduler {client.scheduler.address} (from {scheduler_file})"
        else:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
            what = f"Dask scheduler {scheduler}"
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        key = "--scheduler-file" if scheduler_file else "--scheduler"
        raise InputError(
            key, str(scheduler_file or scheduler), "a reachable Dask scheduler", str(exc)
        ) from None

    def slots() -> int:
        # many tasks in flight, so that adaptive clusters (dask-jobqueue, KubeCluster) see demand
        return max(4 * sum(client.nthreads().values()), 256)

    threads = sum(client.nthreads().values())
    executor = client.get_executor(pure=False)
    try:
        yield Backend(executor, f"{what}, {threads} threads at start", slots(), slots, time.monotonic())
    finally:
        executor.shutdown(wait=False)
        client.close()
        if cluster is not None:
            cluster.close()


# --------------------------------------------------------------------------- storage


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class SweepDir:
    """The output folder of a sweep: layout, locking, batches and reading back."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock_fd: int | None = None
        self._lookup: tuple[Design, pd.DataFrame] | None = None
        self.next_batch = 0

    # -- layout
    def part(self, table: str, batch: int) -> Path:
        """The Parquet file of one table's batch."""
        return self.path / table / f"part-{batch:06d}.parquet"

    def batches(self, table: str) -> dict[int, Path]:
        """Batch number -> file, for the parts of ``table`` on disk."""
        folder = self.path / table
        out = {}
        if folder.is_dir():
            for f in folder.glob("part-*.parquet"):
                with contextlib.suppress(ValueError):
                    out[int(f.stem.split("-")[1])] = f
        return dict(sorted(out.items()))

    def is_sweep(self) -> bool:
        """Whether the folder holds a sweep (of any experiment)."""
        return (self.path / "experiment.json").is_file()

    def info(self) -> dict[str, Any]:
        """The stored ``experiment.json``."""
        return json.loads((self.path / "experiment.json").read_text())

    # -- reading
    def read(self, table: str) -> pd.DataFrame:
        """Every committed row of ``table`` (for ``runs``: the latest record of each run)."""
        committed = self.batches("runs")
        parts = self.batches(table)
        frames = [pd.read_parquet(parts[b]) for b in committed if b in parts]
        if not frames:
            return pd.DataFrame()
        df = pd.concat(frames, ignore_index=True)
        if table == "runs":
            df = df.drop_duplicates("run_id", keep="last")
        return df.sort_values(
            ["run_id", *(["day"] if "day" in df else []), *(["store"] if "store" in df else [])],
            kind="stable",
        ).reset_index(drop=True)

    def finished(self) -> pd.DataFrame:
        """The latest run record of every finished run (ok or error)."""
        return self.read("runs")

    # -- locking
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold an exclusive lock on the folder (released by the kernel if the process dies)."""
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InputError(
                "--out", str(self.path), "a folder no other sweep is writing to", "locked by a running sweep"
            ) from None
        self._lock_fd = fd
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            self._lock_fd = None

    # -- preparing
    def check(self, exp: Experiment, design: Design) -> None:
        """Refuse (as bad input) a folder that holds something else than this experiment's sweep."""
        if not self.path.exists():
            return
        if not self.is_sweep():
            leftovers = [p for p in self.path.iterdir() if p.name != ".lock"]
            if leftovers:
                raise InputError(
                    "--out",
                    str(self.path),
                    "a new folder or the folder of this sweep",
                    "a folder with other files",
                )
            return
        stored = self.info()
        if stored.get("digest") != design.digest:
            raise InputError(
                "--out",
                str(self.path),
                f"the output of the same experiment to resume (design {design.digest})",
                f"a sweep of {stored.get('name')!r} with design {stored.get('digest')}",
                "the experiment, its base scenario or the code that samples it changed; use a new --out",
            )

    def prepare(self, exp: Experiment, design: Design) -> None:
        """Create the folder's fixed files (first session) and remove leftovers of a killed batch."""
        self.check(exp, design)
        self.path.mkdir(parents=True, exist_ok=True)
        if not self.is_sweep():
            (self.path / "experiment.toml").write_text(exp.text)
            _write_json_atomic(self.path / "scenario.json", exp.base.model_dump(mode="json"))
            design.runs.to_parquet(self.path / "design.parquet", index=False)
            info = {
                "name": exp.name,
                "description": exp.spec.description,
                "file": str(exp.source),
                "digest": design.digest,
                "method": exp.method,
                "sampler": exp.spec.sampler.model_dump(),
                "replications": exp.spec.replications,
                "seed": exp.spec.seed,
                "common_random_numbers": exp.spec.common_random_numbers,
                "points": len(design.points),
                "runs": len(design),
                "tables": exp.tables,
                "parameters": [asdict(p) for p in exp.parameters],
                "problem": design.problem,
                "analysis": exp.spec.analysis.model_dump(),
            }
            if design.sample is not None:
                info["sample"] = design.sample.tolist()
            _write_json_atomic(self.path / "experiment.json", info)
        self._clean()

    def _clean(self) -> None:
        """Remove temporary files and the parts of batches whose ``runs`` part was never written."""
        committed = set(self.batches("runs"))
        highest = max(committed, default=-1)
        for table in ("runs", *DATA_TABLES):
            folder = self.path / table
            if not folder.is_dir():
                continue
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)
            for batch, f in self.batches(table).items():
                highest = max(highest, batch)
                if batch not in committed:
                    f.unlink(missing_ok=True)
        self.next_batch = highest + 1

    # -- writing
    def write_batch(self, outcomes: list[dict[str, Any]], design: Design, session: int) -> None:
        """Write one batch: data parts first, then the ``runs`` part that commits them."""
        if not outcomes:
            return
        batch = self.next_batch
        self.next_batch += 1
        if self._lookup is None or self._lookup[0] is not design:
            self._lookup = (design, design.runs.set_index("run_id"))
        lookup = self._lookup[1]
        params = [c for c in design.runs.columns if c not in ("run_id", "point", "replication", "seed")]
        for table in DATA_TABLES:
            frames = []
            for o in outcomes:
                df = o["tables"].get(table)
                if df is None:
                    continue
                row = lookup.loc[o["run_id"]]
                head = {"run_id": o["run_id"], "point": row["point"], "replication": row["replication"]}
                head |= {c: row[c] for c in params}
                df = df.copy()
                for i, (k, v) in enumerate(head.items()):
                    if k in df.columns:
                        df = df.drop(columns=k)
                    df.insert(i, k, v)
                    df[k] = df[k].astype(design.runs[k].dtype)
                frames.append(df)
            if frames:
                self._write(table, batch, pa.Table.from_pandas(pd.concat(frames), preserve_index=False))
        finished = _now()
        runs = lookup.loc[[o["run_id"] for o in outcomes]].reset_index()
        runs["status"] = [o["status"] for o in outcomes]
        runs["duration_s"] = [float(o.get("duration_s", float("nan"))) for o in outcomes]
        runs["error"] = pd.array([o["error"] for o in outcomes], dtype="string")
        runs["worker"] = pd.array([o.get("worker") for o in outcomes], dtype="string")
        runs["session"] = np.int32(session)
        runs["finished"] = pd.Timestamp(finished)
        self._write("runs", batch, pa.Table.from_pandas(runs, preserve_index=False))
        _fsync_dir(self.path / "runs")

    def _write(self, table: str, batch: int, data: pa.Table) -> None:
        target = self.part(table, batch)
        target.parent.mkdir(exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        with tmp.open("wb") as fh:
            pq.write_table(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)

    # -- provenance
    def begin_session(self, exp: Experiment, backend: str, argv: list[str]) -> int:
        """Record a new session in ``provenance.json``; return its number."""
        prov_file = self.path / "provenance.json"
        prov = json.loads(prov_file.read_text()) if prov_file.is_file() else _provenance(exp)
        for s in prov["sessions"]:
            if s["status"] == "running":
                s["status"] = "killed"
        prov["sessions"].append(
            {
                "session": len(prov["sessions"]),
                "started": _now(),
                "finished": None,
                "status": "running",
                "executor": backend,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "argv": argv,
                "cxsim_version": _version("cxsim"),
                "git_commit": _commit(),
                "git_dirty": _dirty(),
                "experiment_sha256": _sha256(exp.text),
            }
        )
        _write_json_atomic(prov_file, prov)
        return len(prov["sessions"]) - 1

    def code_changes(self) -> list[str]:
        """Differences in code version between the last session and the earlier ones."""
        sessions = json.loads((self.path / "provenance.json").read_text())["sessions"]
        if len(sessions) < 2:
            return []
        now, notes = sessions[-1], []
        for key in ("cxsim_version", "git_commit"):
            before = {s.get(key) for s in sessions[:-1]} - {None}
            if now.get(key) and before and before != {now[key]}:
                notes.append(f"{key} is {now[key]}, earlier sessions ran {', '.join(sorted(before))}")
        if now.get("git_dirty"):
            notes.append("the source tree has uncommitted changes")
        return notes

    def end_session(self, session: int, status: str, counts: dict[str, int]) -> None:
        """Close a session record; the sweep's ``finished`` time is set once all runs are done."""
        prov_file = self.path / "provenance.json"
        prov = json.loads(prov_file.read_text())
        rec = prov["sessions"][session]
        rec.update(finished=_now(), status=status, **counts)
        if status == "complete" and prov.get("finished") is None:
            prov["finished"] = rec["finished"]
        _write_json_atomic(prov_file, prov)


def _version(lib: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(lib)
    except PackageNotFoundError:
        return None


def _commit() -> str | None:
    from cxsim.experiments.results import git_commit

    return git_commit()


def _dirty() -> bool | None:
    """Whether the source tree (when a git checkout) has uncommitted changes to tracked files."""
    from cxsim.experiments.results import git_dirty

    return git_dirty()


def _sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def _provenance(exp: Experiment) -> dict[str, Any]:
    return {
        "cxsim_version": _version("cxsim"),
        "git_commit": _commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "libraries": {lib: _version(lib) for lib in LIBRARIES},
        "experiment": {
            "name": exp.name,
            "file": str(exp.source.resolve()),
            "sha256": _sha256(exp.text),
            "base_scenario": exp.base.name,
        },
        "started": _now(),
        "finished": None,
        "sessions": [],
    }


# --------------------------------------------------------------------------- the driver


@dataclass
class SweepReport:
    """What a call of :func:`run_sweep` did."""

    out: Path
    total: int
    done_before: int
    ran: int
    ok: int
    errors: int
    wall_s: float
    executor: str
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)
    """Warnings, e.g. that this session runs another code version than earlier ones."""

    @property
    def done(self) -> int:
        """Finished runs (ok or error), counting earlier sessions."""
        return self.done_before + self.ran

    @property
    def complete(self) -> bool:
        """Whether every run of the design has finished."""
        return self.done >= self.total

    @property
    def runs_per_second(self) -> float:
        """Throughput of this session."""
        return self.ran / self.wall_s if self.wall_s > 0 else float("nan")


def default_out(exp: Experiment) -> Path:
    """Where a sweep writes without ``--out``: ``results/<experiment name>``."""
    return Path("results") / exp.name


def auto_batch_size(total: int) -> int:
    """About 2% of the sweep per Parquet part, between 1 and 2,000 runs."""
    return max(1, min(2000, math.ceil(total / 50)))


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while a batch is committed, so Ctrl-C never splits a batch.

    The signals are recorded by a handler and raised as KeyboardInterrupt only
    once the block has finished. (Blocking them with ``pthread_sigmask`` is not
    enough: the kernel then delivers them to another thread of the process, an
    executor's management thread, and Python still raises in the main thread.)
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: Any) -> None:
        caught.append(signum)

    old = {sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    if caught:
        raise KeyboardInterrupt


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, a batch scheduler's pre-emption) stops the sweep like Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def run_sweep(
    experiment: Experiment | str | Path,
    out: str | Path | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    scheduler_file: str | Path | None = None,
    local_dask: bool = False,
    executor: Executor | None = None,
    batch_size: int | None = None,
    flush_seconds: float | None = None,
    retry_errors: bool = False,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> SweepReport:
    """Run (or resume) the sweep of an experiment into ``out``.

    Args:
        experiment: an :class:`~cxsim.experiments.design.Experiment` or a path to its file.
        out: output folder (default ``results/<name>``); rerun with the same
            folder to resume: only missing runs are submitted.
        workers: local processes (default: all cores; 0 = in this process).
        scheduler: address of a running Dask scheduler.
        scheduler_file: a Dask scheduler file, instead of an address.
        local_dask: start a local Dask cluster of ``workers`` processes.
        executor: any ``concurrent.futures.Executor`` (overrides the above;
            e.g. ``mpi4py.futures.MPIPoolExecutor()``); it is not shut down.
        batch_size: finished runs per Parquet part (default: the experiment's, or about 2%).
        flush_seconds: write a part at least this often (default: the experiment's).
        retry_errors: also rerun runs recorded as errors.
        progress: show a tqdm progress bar with ETA.
        log: called with a progress line after each written batch.

    Returns:
        A :class:`SweepReport`; ``interrupted`` is True after Ctrl-C or SIGTERM,
        with every finished run saved.

    Raises:
        InputError: bad experiment, or ``out`` holds something else.
        SweepError: a worker process died; finished runs are saved.
    """
    from cxsim.experiments.results import check_writable

    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    design = exp.design()
    out = Path(out) if out is not None else default_out(exp)
    check_writable(out)
    sweep = SweepDir(out)
    sweep.check(exp, design)
    todo, done = _todo(sweep, design, retry_errors)
    report = SweepReport(out, len(design), done, 0, 0, 0, 0.0, "none")
    if not todo:  # complete: only tidy up what a killed session may have left
        with sweep.locked():
            sweep.prepare(exp, design)
        return report
    size = batch_size or exp.spec.output.batch_size or auto_batch_size(len(design))
    every = flush_seconds or exp.spec.output.flush_seconds
    # the executor first: a scheduler that cannot be reached is bad input, and nothing is written
    backend_cm = (
        contextlib.nullcontext(Backend(executor, type(executor).__name__, 2 * available_cores()))
        if executor is not None
        else make_executor(workers, scheduler, scheduler_file, local_dask)
    )
    with backend_cm as backend, sweep.locked():
        sweep.prepare(exp, design)
        todo, report.done_before = _todo(sweep, design, retry_errors)  # again, under the lock
        tasks = make_tasks(exp, design, todo)
        report.executor = backend.description
        session = sweep.begin_session(exp, backend.description, list(sys.argv))
        report.notes = sweep.code_changes()
        if report.notes and log is not None:
            log("note: resuming with other code: " + "; ".join(report.notes))
        status = "interrupted"
        try:
            with _sigterm_as_interrupt():
                _drive(sweep, design, backend, tasks, session, size, every, report, progress, log)
            status = _status(report)
        except SweepError:
            status = "failed"
            raise
        finally:
            sweep.end_session(session, status, {"ran": report.ran, "ok": report.ok, "errors": report.errors})
    return report


def _status(report: SweepReport) -> str:
    if report.interrupted:
        return "interrupted"
    return "complete" if report.complete else "incomplete"


def _todo(sweep: SweepDir, design: Design, retry_errors: bool) -> tuple[list[int], int]:
    """Run ids still to run, and how many runs count as done."""
    finished = sweep.finished() if sweep.is_sweep() else pd.DataFrame()
    if retry_errors and not finished.empty:
        finished = finished[finished["status"] == "ok"]
    done_ids = set(finished["run_id"].tolist()) if not finished.empty else set()
    return [int(r) for r in design.runs["run_id"] if int(r) not in done_ids], len(done_ids)


def _drive(
    sweep: SweepDir,
    design: Design,
    backend: Backend,
    tasks: list[dict[str, Any]],
    session: int,
    batch_size: int,
    flush_seconds: float,
    report: SweepReport,
    progress: bool,
    log: Callable[[str], None] | None,
) -> None:
    """Submit tasks (a bounded number in flight), collect results, write batches."""
    started = time.perf_counter()
    queue = iter(tasks)
    pending: dict[Future[Any], dict[str, Any]] = {}
    buffer: list[dict[str, Any]] = []
    last_flush = time.monotonic()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(
            total=report.total,
            initial=report.done_before,
            unit="run",
            desc=sweep.path.name,
            dynamic_ncols=True,
            smoothing=0.05,
        )

    def flush() -> None:
        nonlocal last_flush
        if not buffer:
            return
        with _signals_deferred():
            sweep.write_batch(buffer, design, session)
            buffer.clear()
        last_flush = time.monotonic()
        if log is not None:
            elapsed = time.perf_counter() - started
            rate = report.ran / elapsed if elapsed else 0.0
            left = report.total - report.done
            eta = f"{left / rate:,.0f} s" if rate else "?"
            log(
                f"{report.done:,}/{report.total:,} runs ({report.errors:,} errors), "
                f"{rate:.2f} runs/s, ETA {eta}"
            )

    def collect(fut: Future[Any], task: dict[str, Any]) -> None:
        try:
            outcome = fut.result()
        except CancelledError:
            return
        except BrokenProcessPool:
            raise
        except Exception as exc:  # the executor failed the task (e.g. a Dask worker died)
            outcome = {
                "run_id": task["run_id"],
                "status": "error",
                "error": "".join(traceback.format_exception(exc)),
                "tables": {},
                "worker": None,
                "duration_s": float("nan"),
            }
        buffer.append(outcome)
        report.ran += 1
        if outcome["status"] == "ok":
            report.ok += 1
        else:
            report.errors += 1
        if bar is not None:
            bar.update(1)
            bar.set_postfix(errors=report.errors, refresh=False)

    def submit_more() -> None:
        while len(pending) < backend.capacity():
            task = next(queue, None)
            if task is None:
                return
            pending[backend.executor.submit(execute_run, task)] = task

    try:
        submit_more()
        while pending:
            done, _ = wait(list(pending), timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in done:
                collect(fut, pending.pop(fut))
            submit_more()
            if len(buffer) >= batch_size or (buffer and time.monotonic() - last_flush >= flush_seconds):
                flush()
        flush()
    except KeyboardInterrupt:
        report.interrupted = True
        for fut, task in list(pending.items()):
            if fut.done():
                with contextlib.suppress(BrokenProcessPool):
                    collect(fut, task)
            else:
                fut.cancel()
        flush()
    except BrokenProcessPool as exc:
        for fut, task in list(pending.items()):
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                collect(fut, task)
        flush()
        raise SweepError(
            f"a worker process died ({exc}); {report.done:,} of {report.total:,} runs are saved. "
            "If a run needs more memory than a worker has, use fewer workers; "
            "then rerun the same command to resume."
        ) from None
    finally:
        report.wall_s = time.perf_counter() - started
        if bar is not None:
            bar.close()


# --------------------------------------------------------------------------- command line


def register(app: typer.Typer) -> None:
    """Add ``cxsim sweep`` to the command line."""
    from cxsim.cli.main import Quiet, console, err_console, fail_cleanly, progress_enabled

    @app.command()
    @fail_cleanly
    def sweep(
        experiment: Annotated[str, typer.Argument(help="Experiment file (or a name under experiments/).")],
        workers: Annotated[
            int | None,
            typer.Option("--workers", "-w", min=0, help="Processes (default: all cores; 0: run here)."),
        ] = None,
        scheduler: Annotated[
            str | None, typer.Option(help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786.")
        ] = None,
        scheduler_file: Annotated[
            Path | None, typer.Option(help="Dask scheduler file (dask scheduler --scheduler-file).")
        ] = None,
        local_dask: Annotated[
            bool, typer.Option("--local-dask", help="Start a local Dask cluster of --workers processes.")
        ] = False,
        out: Annotated[Path | None, typer.Option(help="Output folder (default: results/<name>).")] = None,
        batch_size: Annotated[int | None, typer.Option(min=1, help="Finished runs per Parquet part.")] = None,
        retry_errors: Annotated[
            bool, typer.Option("--retry-errors", help="Also rerun runs recorded as errors.")
        ] = False,
        check: Annotated[
            bool, typer.Option("--check", help="Validate the experiment and print its size; run nothing.")
        ] = False,
        quiet: Quiet = False,
    ) -> None:
        """Run a parameter sweep or sensitivity design; rerun the same command to resume."""
        say = functools.partial(console.print, highlight=False, soft_wrap=True)
        warn = functools.partial(err_console.print, highlight=False, soft_wrap=True)
        exp = load_experiment(experiment)
        if sum(bool(x) for x in (scheduler, scheduler_file, local_dask)) > 1:
            raise InputError(
                "sweep", "--scheduler", "one of --scheduler, --scheduler-file, --local-dask", "several"
            )
        if workers is not None and (scheduler or scheduler_file):
            raise InputError(
                "sweep",
                "--workers",
                "no --workers with a Dask scheduler (its workers are started with the cluster)",
                workers,
            )
        if not quiet:
            say(exp.describe())
        if check:
            return
        bar = progress_enabled(quiet)
        target = out if out is not None else default_out(exp)
        cmd = _resume_command(experiment, out, workers, scheduler, scheduler_file, local_dask)
        try:
            report = run_sweep(
                exp,
                target,
                workers=workers,
                scheduler=scheduler,
                scheduler_file=scheduler_file,
                local_dask=local_dask,
                batch_size=batch_size,
                retry_errors=retry_errors,
                progress=bar,
                log=None if (bar or quiet) else say,
            )
        except SweepError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        if report.notes and bar:
            warn("note: this session ran other code than earlier ones: " + "; ".join(report.notes))
        if report.interrupted:
            warn(
                f"stopped: {report.done:,} of {report.total:,} runs are saved in {target}. Resume with: {cmd}"
            )
            raise typer.Exit(130)
        if not quiet:
            if report.ran == 0:
                say(f"nothing to do: all {report.total:,} runs are in {target}")
            else:
                say(
                    f"{report.ran:,} runs ({report.errors:,} errors) in {report.wall_s:,.1f} s "
                    f"on {report.executor}; {report.done:,}/{report.total:,} done in {target}",
                )
            if report.complete:
                say(f"analyze with: cxsim analyze {target}")
        if report.errors:
            warn(
                f"{report.errors:,} runs raised: see the `error` column of {target}/runs "
                "(rerun them with --retry-errors)"
            )


def _resume_command(
    experiment: str,
    out: Path | None,
    workers: int | None,
    scheduler: str | None,
    scheduler_file: Path | None,
    local_dask: bool,
) -> str:
    parts = ["cxsim", "sweep", experiment]
    if out is not None:
        parts += ["--out", str(out)]
    if workers is not None:
        parts += ["--workers", str(workers)]
    if scheduler:
        parts += ["--scheduler", scheduler]
    if scheduler_file:
        parts += ["--scheduler-file", str(scheduler_file)]
    if local_dask:
        parts.append("--local-dask")
    return " ".join(parts)
