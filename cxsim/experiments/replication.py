"""One replication, and batches of them: what a worker runs.

A :class:`Replication` is plain data: a scenario, its ``PATH=VALUE`` overrides,
a seed, an optional horizon, and a top-level ``collect`` function that runs the
resolved scenario and returns what the caller keeps. :func:`execute` runs one;
its result depends only on that data.

:func:`execute_batch` runs several replications of one scenario in one task: the
towns that can share an ensemble (:func:`cxsim.model.ensemble.batchable`) are
simulated together (:func:`cxsim.experiments.results.prepared`), and each
replication's ``collect`` then gets, from :func:`cxsim.experiments.results.run`,
the tables its town would have had alone, bit for bit. A replication opts in with
``batchable=True`` (its ``collect`` gets its tables through ``run``);
:func:`batch_size` says how many towns one task holds.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cxsim.experiments.results import prepared
from cxsim.model.ensemble import batchable
from cxsim.model.scenario import Scenario, load_scenario

BATCH_SHOPPERS = 64_000
"""Shoppers of all towns in one batch: a batch of small towns stops gaining near this size
(docs/PERFORMANCE.md, "The ensemble engine")."""
MAX_BATCH = 32
"""Most towns in one batch."""


class ReplicationError(RuntimeError):
    """A replication raised in a worker (the message holds its traceback)."""


# --------------------------------------------------------------------------- one replication


@dataclass(frozen=True)
class Replication[T]:
    """One run: a scenario with overrides, a seed and what to keep of it.

    ``collect`` is called with the resolved scenario (overrides, seed and days
    applied) in the worker; it must be a top-level function (or a
    :func:`functools.partial` of one) so that it can be sent to other processes.
    """

    scenario: Scenario | str | Path
    seed: int
    collect: Callable[[Scenario], T]
    overrides: tuple[str, ...] = ()
    days: int | None = None
    key: Hashable = None
    """The caller's name for the replication (returned with its outcome)."""
    batchable: bool = False
    """Whether ``collect`` gets its tables through :func:`cxsim.experiments.results.run` (so that
    the replication can run in a batch: :func:`execute_batch`)."""


@dataclass
class Outcome[T]:
    """What came back from one replication: its value, or the traceback of its error."""

    key: Hashable
    seed: int
    value: T | None
    error: str | None = None
    duration_s: float = float("nan")
    worker: str | None = None
    index: int = -1
    """Position of the replication in the runner's input (set by :class:`Runner`)."""

    @property
    def ok(self) -> bool:
        """Whether the replication finished without an error."""
        return self.error is None

    def unwrap(self) -> T:
        """The value; :class:`ReplicationError` with the worker's traceback if the run failed."""
        if self.error is not None:
            raise ReplicationError(f"replication {self.key!r} (seed {self.seed}) failed:\n{self.error}")
        return self.value  # type: ignore[return-value]


def execute[T](rep: Replication[T], spec: Scenario | None = None) -> Outcome[T]:
    """Run one replication. Top-level and picklable: this is what workers execute.

    ``spec``: its resolved scenario, when the caller has it already (:func:`execute_batch`).
    Exceptions (of the scenario or the model) are caught and returned in the
    outcome's ``error``, never raised.
    """
    started = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        if spec is None:
            spec = load_scenario(rep.scenario, rep.overrides, days=rep.days, seed=int(rep.seed))
        value: T | None = rep.collect(spec)
        error = None
    except Exception:
        value, error = None, traceback.format_exc()
    return Outcome(rep.key, int(rep.seed), value, error, time.perf_counter() - started, worker)


def batch_size(shoppers: int, replications: int, slots: int) -> int:
    """Towns to run in one task.

    About :data:`BATCH_SHOPPERS` shoppers in all, at most :data:`MAX_BATCH`, and few
    enough that every one of ``slots`` tasks in flight has work.
    """
    share = -(-replications // max(slots, 1))  # ceil: the replications each slot would get
    return max(1, min(MAX_BATCH, BATCH_SHOPPERS // max(shoppers, 1), share))


def execute_batch[T](reps: Sequence[Replication[T]]) -> list[Outcome[T]]:
    """Run replications in one task, the towns that can share an ensemble together. Top-level: workers run it.

    Returns one outcome per replication, in order, each as :func:`execute` would give it
    alone (the same value: a town's tables are identical in a batch). A batch that fails
    as a whole is run again one replication at a time, so each keeps its own outcome.
    """
    if len(reps) == 1 or not all(rep.batchable for rep in reps):
        return [execute(rep) for rep in reps]
    groups: list[list[tuple[int, Scenario]]] = []
    loose: list[int] = []
    for i, rep in enumerate(reps):
        try:
            spec = load_scenario(rep.scenario, rep.overrides, days=rep.days, seed=int(rep.seed))
        except Exception:
            loose.append(i)  # execute() reports its error
            continue
        group = next((g for g in groups if batchable(g[0][1], spec)), None)
        if group is None:
            groups.append([(i, spec)])
        else:
            group.append((i, spec))
    out: list[Outcome[T] | None] = [None] * len(reps)
    for group in groups:
        started = time.perf_counter()
        try:
            with prepared([spec for _, spec in group]):
                share = (time.perf_counter() - started) / len(group)
                for i, spec in group:  # the scenario resolved above, not resolved again
                    outcome = execute(reps[i], spec)
                    outcome.duration_s += share
                    out[i] = outcome
        except Exception:  # the ensemble failed: each replication alone, with its own outcome
            for i, _ in group:
                out[i] = execute(reps[i])
    for i in loose:
        out[i] = execute(reps[i])
    return [o for o in out if o is not None]
