"""Replications on any executor: one runner for compare, validate, calibrate and sweep.

A :class:`Replication` is plain data: a scenario, its ``PATH=VALUE`` overrides,
a seed, an optional horizon, and a top-level ``collect`` function that runs the
resolved scenario and returns what the caller keeps. :func:`execute` is what a
worker runs; its result depends only on that data, so the same replications
give identical results in this process, in a local process pool of any size
or on a Dask cluster.

Executors (:func:`open_executor`) are ``concurrent.futures`` executors with a
description and a number of tasks to keep in flight (:class:`Backend`):

- ``workers=0``: this process, one replication at a time (debugging);
- ``workers=N``: a local process pool of N workers (forkserver, so a threaded
  caller such as a test runner or a notebook cannot deadlock its children).
  A worker leaves Ctrl-C to the driver and exits within a second when the
  driver is gone, even after SIGKILL (a watchdog thread polls the driver's pid;
  on Linux, ``PR_SET_PDEATHSIG`` also kills it when the forkserver dies); the
  forkserver and the resource tracker then exit when their last client does;
- ``scheduler=``/``scheduler_file=``/``client=``: a running Dask cluster;
  ``local_dask=True``: a Dask ``LocalCluster`` of ``workers`` processes;
- ``executor=``: any other :class:`~concurrent.futures.Executor` (not shut down).

:class:`Runner` keeps a bounded number of replications in flight and hands back
outcomes as they finish (a sweep writes them in batches as they come);
:func:`run_replications` runs a list and returns the values in list order.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from concurrent.futures import FIRST_COMPLETED, CancelledError, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxsim.core.errors import InputError
from cxsim.core.io import process_alive
from cxsim.experiments.replication import (
    MAX_BATCH,
    Outcome,
    Replication,
    ReplicationError,
    batch_size,
    execute,
    execute_batch,
)
from cxsim.model.scenario import load_scenario

CONNECT_TIMEOUT = "30s"
"""How long to try reaching a Dask scheduler before giving up (bad input, exit status 2)."""
PRELOAD = ["cxsim.experiments.runner", "cxsim.experiments.replication", "cxsim.model.cxmodel"]
"""Modules the forkserver imports once, so that each worker starts with the model loaded."""

__all__ = [
    "Backend",
    "Outcome",
    "Replication",
    "ReplicationError",
    "Runner",
    "SerialExecutor",
    "available_cores",
    "execute",
    "open_executor",
    "run_replications",
]


# --------------------------------------------------------------------------- executors


class SerialExecutor(Executor):
    """Runs each task in the calling process when submitted (``workers=0``; debugging)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn`` now and return a finished future."""
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as exc:  # pragma: no cover - execute catches its errors
            fut.set_exception(exc)
        return fut  # Ctrl-C (KeyboardInterrupt) propagates to the caller as it should


@dataclass
class Backend:
    """An executor plus what a runner needs to know about it."""

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


WATCH_SECONDS = 0.5
"""How often a pool worker checks that its driver is still there."""


def _init_worker(driver: int) -> None:
    """Initializer of pool workers: leave Ctrl-C to the driver; exit when the driver is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):  # the forkserver is the parent: die with it too
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    threading.Thread(target=_watch_driver, args=(driver,), name="cxsim-watch-driver", daemon=True).start()


def _watch_driver(driver: int) -> None:
    """Exit this worker (at once, no clean-up to wait for) once the driver process has died."""
    while process_alive(driver):
        time.sleep(WATCH_SECONDS)
    os._exit(70)


@contextlib.contextmanager
def open_executor(
    workers: int | None = None,
    *,
    scheduler: str | None = None,
    scheduler_file: str | Path | None = None,
    local_dask: bool = False,
    client: Any = None,
    executor: Executor | None = None,
) -> Iterator[Backend]:
    """Open the executor replications run on, and close it afterwards.

    Args:
        workers: processes of the local pool or of the local Dask cluster
            (default: all cores); 0 runs in this process.
        scheduler: address of a running Dask scheduler (``tcp://host:8786``).
        scheduler_file: a Dask scheduler file (``dask scheduler --scheduler-file``).
        local_dask: start a Dask ``LocalCluster`` of ``workers`` processes.
        client: a connected ``distributed.Client`` (left open).
        executor: any ``concurrent.futures.Executor`` (left open).

    Raises:
        InputError: a Dask scheduler that cannot be reached, or Dask not installed.
    """
    n = available_cores() if workers is None else workers
    if executor is not None:
        yield Backend(executor, type(executor).__name__, 2 * available_cores())
    elif client is not None:
        yield _client_backend(client, f"Dask client {getattr(client.scheduler, 'address', '')}")
    elif scheduler or scheduler_file or local_dask:
        with _dask_backend(n, scheduler, scheduler_file, local_dask) as backend:
            yield backend
    elif n == 0:
        yield Backend(SerialExecutor(), "in-process (serial)", 1)
    else:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        pool = ProcessPoolExecutor(
            max_workers=n, mp_context=context, initializer=_init_worker, initargs=(os.getpid(),)
        )
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


def _client_backend(client: Any, what: str) -> Backend:
    """A Dask client as a backend that keeps many tasks in flight."""

    def slots() -> int:
        # many tasks in flight, so that adaptive clusters (dask-jobqueue, KubeCluster) see demand
        return max(4 * int(sum(client.nthreads().values())), 256)

    threads = sum(client.nthreads().values())
    executor = client.get_executor(pure=False)
    return Backend(executor, f"{what}, {threads} threads at start", slots(), slots, time.monotonic())


@contextlib.contextmanager
def _dask_backend(
    n: int, scheduler: str | None, scheduler_file: str | Path | None, local_dask: bool
) -> Iterator[Backend]:
    try:
        import distributed
    except ImportError:  # pragma: no cover - the dist extra is missing
        raise InputError(
            "--scheduler", "", "Dask distributed installed", "not installed", "pip install 'cxsim[dist]'"
        ) from None
    dist: Any = distributed  # untyped library
    cluster: Any = None
    client: Any
    try:
        if local_dask:
            import dask

            # Dask's statistical profiler samples every worker thread's stack and cost about
            # a fifth of 2-worker throughput in docs/PERFORMANCE.md; our runs do not need it.
            with dask.config.set({"distributed.worker.profile.enabled": False}):
                cluster = dist.LocalCluster(
                    n_workers=max(n, 1),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    host="127.0.0.1",
                )
            client = dist.Client(cluster)
            what = f"Dask LocalCluster ({max(n, 1)} workers)"
        elif scheduler_file:
            client = dist.Client(scheduler_file=str(scheduler_file), timeout=CONNECT_TIMEOUT)
            what = f"Dask scheduler {client.scheduler.address} (from {scheduler_file})"
        else:
            client = dist.Client(scheduler, timeout=CONNECT_TIMEOUT)
            what = f"Dask scheduler {scheduler}"
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        key = "--scheduler-file" if scheduler_file else "--scheduler"
        raise InputError(
            key, str(scheduler_file or scheduler), "a reachable Dask scheduler", str(exc)
        ) from None
    backend = _client_backend(client, what)
    try:
        yield backend
    finally:
        backend.executor.shutdown(wait=False)
        client.close()
        if cluster is not None:
            cluster.close()


# --------------------------------------------------------------------------- the runner


@dataclass
class Runner[T]:
    """Keeps up to ``backend.capacity()`` tasks in flight; outcomes come back as they finish.

    A task is one replication, or a batch of consecutive replications of one
    scenario (:func:`~cxsim.experiments.replication.execute_batch`) when they are
    ``batchable``: ``batch`` towns per task (``None``: :func:`~cxsim.experiments.replication.batch_size`;
    1: no batches). Outcomes are the same whatever the batches.

    Call :meth:`poll` until :attr:`finished`. After Ctrl-C or a broken pool,
    :meth:`salvage` returns the outcomes that finished and cancels the rest.
    """

    backend: Backend
    replications: Iterable[Replication[T]]
    batch: int | None = None
    pending: dict[Future[Any], list[tuple[int, Replication[T]]]] = field(default_factory=dict, init=False)
    """Submitted tasks not collected yet, by future (each with its replications and their positions)."""
    _queue: Iterator[tuple[int, Replication[T]]] | None = field(default=None, init=False, repr=False)
    _next: tuple[int, Replication[T]] | None = field(default=None, init=False, repr=False)
    _exhausted: bool = field(default=False, init=False, repr=False)

    def _take(self) -> tuple[int, Replication[T]] | None:
        if self._queue is None:
            self._queue = iter(enumerate(self.replications))
        item, self._next = (self._next, None) if self._next is not None else (next(self._queue, None), None)
        return item

    def _size(self, rep: Replication[T]) -> int:
        """Towns in a task that starts with ``rep``."""
        if not rep.batchable:
            return 1
        if self.batch is not None:
            return max(1, self.batch)
        total = len(self.replications) if isinstance(self.replications, Sized) else MAX_BATCH * 1000
        shoppers = load_scenario(rep.scenario, rep.overrides, days=rep.days).town.shoppers
        return batch_size(shoppers, total, self.backend.capacity())

    def _group(self) -> list[tuple[int, Replication[T]]]:
        """The next task: a replication, and the batchable ones of the same scenario that follow it."""
        first = self._take()
        if first is None:
            return []
        group, size = [first], self._size(first[1])
        while len(group) < size:
            item = self._take()
            if item is None:
                break
            rep, head = item[1], first[1]
            if not (rep.batchable and rep.scenario == head.scenario and rep.days == head.days):
                self._next = item
                break
            group.append(item)
        return group

    def _submit_more(self) -> None:
        while not self._exhausted and len(self.pending) < self.backend.capacity():
            group = self._group()
            if not group:
                self._exhausted = True
                return
            reps = [rep for _, rep in group]
            submit = self.backend.executor.submit
            fut = submit(execute, reps[0]) if len(reps) == 1 else submit(execute_batch, reps)
            self.pending[fut] = group

    @property
    def finished(self) -> bool:
        """Whether every replication has been submitted and collected."""
        return self._exhausted and not self.pending

    def poll(self, timeout: float | None = None) -> list[Outcome[T]]:
        """Submit more, then wait up to ``timeout`` seconds (None: until one finishes) for outcomes.

        Raises:
            BrokenProcessPool: a worker process died (call :meth:`salvage` for what finished).
        """
        self._submit_more()
        if not self.pending:
            return []
        done, _ = wait(list(self.pending), timeout=timeout, return_when=FIRST_COMPLETED)
        out = [o for fut in done for o in self._collect(fut)]
        self._submit_more()
        return out

    def _collect(self, fut: Future[Any]) -> list[Outcome[T]]:
        group = self.pending.pop(fut)
        try:
            result = fut.result()
        except CancelledError:
            return []
        except BrokenProcessPool:
            raise
        except Exception as exc:  # the executor failed the task (e.g. a Dask worker died)
            error = "".join(traceback.format_exception(exc))
            result = [Outcome(rep.key, int(rep.seed), None, error) for _, rep in group]
        outcomes: list[Outcome[T]] = result if isinstance(result, list) else [result]
        for (index, _), outcome in zip(group, outcomes, strict=True):
            outcome.index = index
        return outcomes

    def salvage(self) -> list[Outcome[T]]:
        """The outcomes that finished but were not collected; cancel the rest."""
        out = []
        for fut in list(self.pending):
            if fut.done() and not fut.cancelled():
                with contextlib.suppress(BrokenProcessPool):
                    out.extend(self._collect(fut))
            else:
                fut.cancel()
                self.pending.pop(fut)
        return out


def run_replications[T](
    replications: Sequence[Replication[T]],
    *,
    workers: int | None = 0,
    backend: Backend | None = None,
    progress: Callable[[int], None] | None = None,
    batch: int | None = None,
) -> list[T]:
    """Run replications and return their values in the order given.

    Args:
        replications: what to run.
        workers: processes of a local pool (0: in this process; None: all cores);
            ignored when ``backend`` is given.
        backend: an open executor (see :func:`open_executor`).
        progress: called with 1 after each finished replication (e.g. a progress bar's tick).
        batch: towns per task for ``batchable`` replications (:class:`Runner`); the values
            do not depend on it.

    Raises:
        ReplicationError: a replication failed (with the worker's traceback).
    """
    values: list[Outcome[T] | None] = [None] * len(replications)
    opened = (
        contextlib.nullcontext(backend)
        if backend is not None
        else open_executor(0 if len(replications) <= 1 else workers)
    )
    with opened as b:
        runner = Runner(b, replications, batch)
        while not runner.finished:
            for outcome in runner.poll():
                values[outcome.index] = outcome
                if progress is not None:
                    progress(1)
    return [o.unwrap() for o in values if o is not None]
