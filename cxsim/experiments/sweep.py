"""Sweeps: run an experiment's design on any executor, into resumable Parquet.

One driver serves every executor of :mod:`cxsim.experiments.runner`: a local
process pool (default), a Dask cluster (``scheduler=...`` or ``local_dask``),
the driver's own process (``workers=0``, for debugging) or any
:class:`concurrent.futures.Executor`. Each run is a
:class:`~cxsim.experiments.runner.Replication` of plain data (the resolved base
scenario, the point's overrides, the run's seed), so its result depends only on
that data: the same experiment gives identical tables whichever executor and
however many workers.

Finished runs are written in batches (:mod:`cxsim.experiments.sweep_store`);
a batch counts only once its ``runs`` part exists. A sweep killed at any moment
(even SIGKILL) resumes with the same command: leftovers of an unfinished batch
are removed and only missing runs are submitted.

The default output folder is ``results/<experiment name>``; a name that would
put it elsewhere (``../x``, ``a/b``, an absolute path) is bad input, reported
where the path is derived (:func:`default_out`), with the hint to rename the
experiment or give ``--out``. The folder follows the output-folder rule of
:mod:`cxsim.core.io` (see :mod:`cxsim.experiments.sweep_store`).
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import pandas as pd

from cxsim.core.errors import InputError
from cxsim.core.io import check_writable
from cxsim.core.progress import progress_bar
from cxsim.experiments.design import Design, Experiment, load_experiment
from cxsim.experiments.results import run
from cxsim.experiments.runner import Replication, Runner, open_executor
from cxsim.experiments.sweep_store import DATA_TABLES, SweepDir, SweepOutcome
from cxsim.model.scenario import Scenario

__all__ = [
    "DATA_TABLES",
    "FAIL_ENV",
    "SweepDir",
    "SweepError",
    "SweepReport",
    "auto_batch_size",
    "default_out",
    "make_replications",
    "run_sweep",
]

FAIL_ENV = "CXSIM_SWEEP_FAIL_RUNS"
"""Test hook: comma-separated run ids that raise instead of running (read by the driver)."""


class SweepError(RuntimeError):
    """The sweep cannot go on (a worker process died); finished runs are saved."""


# --------------------------------------------------------------------------- the runs


def sweep_tables(spec: Scenario, *, tables: tuple[str, ...], fail: bool = False) -> dict[str, pd.DataFrame]:
    """Run one simulation of a sweep and keep ``tables``. Top-level: workers execute it.

    ``fail`` raises instead (the :data:`FAIL_ENV` test hook).
    """
    if fail:
        raise RuntimeError(f"run failed on purpose ({FAIL_ENV} lists it; a test hook)")
    kept = run(spec).tables()
    return {name: kept[name] for name in tables if name in kept}


def make_replications(
    exp: Experiment, design: Design, run_ids: list[int] | None = None
) -> list[Replication[dict[str, pd.DataFrame]]]:
    """The replications of ``run_ids`` (default: all), replication-major, keyed by run id.

    Submitting replication 0 of every point first gives a coarse picture of the
    whole design early, should the sweep be stopped.
    """
    fail = _fail_ids()
    runs = design.runs
    if run_ids is not None:
        runs = runs[runs["run_id"].isin(run_ids)]
    runs = runs.sort_values(["replication", "point"], kind="stable")
    tables = tuple(exp.tables)
    return [
        Replication(
            exp.base,
            int(s),
            functools.partial(sweep_tables, tables=tables, fail=int(r) in fail),
            overrides=tuple(design.overrides[int(p)]),
            key=int(r),
            batchable=True,  # sweep_tables gets its tables through results.run
        )
        for r, p, s in zip(runs["run_id"], runs["point"], runs["seed"], strict=True)
    ]


def _fail_ids() -> set[int]:
    text = os.environ.get(FAIL_ENV, "")
    return {int(t) for t in text.replace(" ", "").split(",") if t.strip().isdigit()}


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
    """Where a sweep writes without ``--out``: ``results/<experiment name>``.

    Raises:
        InputError: the name is not one plain folder name (it would leave ``results/``).
    """
    name = exp.name
    plain = (
        name.strip() not in ("", ".", "..")
        and not any(c in name for c in "/\\\0")
        and not Path(name).is_absolute()
        and Path(name).name == name
    )
    if not plain:
        raise InputError(
            str(exp.source),
            "name",
            "a plain name for the default output folder results/<name> (no '/', '\\', '..')",
            name,
            "rename the experiment, or give --out",
        )
    return Path("results") / name


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

    def hold(signum: int, frame: FrameType | None) -> None:
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

    def handler(signum: int, frame: FrameType | None) -> None:
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
    ensemble: int | None = None,
    flush_seconds: float | None = None,
    retry_errors: bool = False,
    overwrite: bool = False,
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
        ensemble: towns simulated together in one task, for runs that can share an ensemble
            (:mod:`cxsim.model.ensemble`; default: by town size,
            :func:`~cxsim.experiments.replication.batch_size`; 1: none). The tables do not depend on it.
        flush_seconds: write a part at least this often (default: the experiment's).
        retry_errors: also rerun runs recorded as errors (``runs`` then keeps their new record only).
        overwrite: write into a folder that holds other files (never replacing them), or
            replace a sweep of another design; a sweep of the same design is resumed.
        progress: show a tqdm progress bar with ETA.
        log: called with a progress line after each written batch.

    Returns:
        A :class:`SweepReport`; ``interrupted`` is True after Ctrl-C or SIGTERM,
        with every finished run saved.

    Raises:
        InputError: bad experiment, or ``out`` holds something else.
        SweepError: a worker process died; finished runs are saved.
    """
    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    design = exp.design()
    out = Path(out) if out is not None else default_out(exp)
    check_writable(out)
    sweep = SweepDir(out)
    sweep.check(exp, design, overwrite)
    todo, done = _todo(sweep, design, retry_errors)
    report = SweepReport(out, len(design), done, 0, 0, 0, 0.0, "none")
    if not todo:  # complete: only tidy up what a killed session may have left
        with sweep.locked():
            sweep.prepare(exp, design, overwrite)
        return report
    size = batch_size or exp.spec.output.batch_size or auto_batch_size(len(design))
    every = flush_seconds or exp.spec.output.flush_seconds
    # the executor first: a scheduler that cannot be reached is bad input, and nothing is written
    backend_cm = open_executor(
        workers, scheduler=scheduler, scheduler_file=scheduler_file, local_dask=local_dask, executor=executor
    )
    with backend_cm as backend, sweep.locked():
        sweep.prepare(exp, design, overwrite)
        todo, report.done_before = _todo(sweep, design, retry_errors)  # again, under the lock
        tasks = make_replications(exp, design, todo)
        report.executor = backend.description
        session = sweep.begin_session(exp, backend.description, list(sys.argv))
        report.notes = sweep.code_changes()
        if report.notes and log is not None:
            log("note: resuming with other code: " + "; ".join(report.notes))
        status = "interrupted"
        try:
            with _sigterm_as_interrupt():
                runner = Runner(backend, tasks, ensemble)
                _drive(sweep, design, runner, session, size, every, report, progress, log)
            status = _status(report)
        except SweepError:
            status = "failed"
            raise
        finally:
            sweep.end_session(session, status, {"ran": report.ran, "ok": report.ok, "errors": report.errors})
            if retry_errors:
                sweep.compact_runs()  # one record per run: the retried runs' old records go
    return report


def _status(report: SweepReport) -> str:
    if report.interrupted:
        return "interrupted"
    return "complete" if report.complete else "incomplete"


def _todo(sweep: SweepDir, design: Design, retry_errors: bool) -> tuple[list[int], int]:
    """Run ids still to run, and how many runs count as done."""
    same = sweep.is_sweep() and sweep.info().get("digest") == design.digest
    finished = sweep.finished() if same else pd.DataFrame()
    if retry_errors and not finished.empty:
        finished = finished[finished["status"] == "ok"]
    done_ids = set(finished["run_id"].tolist()) if not finished.empty else set()
    return [int(r) for r in design.runs["run_id"] if int(r) not in done_ids], len(done_ids)


def _drive(
    sweep: SweepDir,
    design: Design,
    runner: Runner[dict[str, pd.DataFrame]],
    session: int,
    batch_size: int,
    flush_seconds: float,
    report: SweepReport,
    progress: bool,
    log: Callable[[str], None] | None,
) -> None:
    """Run the runner's tasks (a bounded number in flight), collect the outcomes, write batches."""
    started = time.perf_counter()
    buffer: list[SweepOutcome] = []
    last_flush = time.monotonic()

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

    with progress_bar(report.total, sweep.path.name, progress, initial=report.done_before) as tick:

        def collect(outcomes: list[SweepOutcome]) -> None:
            for outcome in outcomes:
                buffer.append(outcome)
                report.ran += 1
                if outcome.ok:
                    report.ok += 1
                else:
                    report.errors += 1
                tick(1, errors=report.errors)
                if len(buffer) >= batch_size:  # parts of batch_size runs, whatever a task brings
                    flush()

        try:
            while not runner.finished:
                collect(runner.poll(timeout=0.5))
                if buffer and time.monotonic() - last_flush >= flush_seconds:
                    flush()
            flush()
        except KeyboardInterrupt:
            report.interrupted = True
            collect(runner.salvage())
            flush()
        except BrokenProcessPool as exc:
            collect(runner.salvage())
            flush()
            raise SweepError(
                f"a worker process died ({exc}); {report.done:,} of {report.total:,} runs are saved. "
                "If a run needs more memory than a worker has, use fewer workers; "
                "then rerun the same command to resume."
            ) from None
        finally:
            report.wall_s = time.perf_counter() - started
