"""Running the validation's scenarios: jobs, what each run keeps, the runner.

Each job is a resolved scenario and a seed; its run keeps what the pattern metrics
need (:class:`~cxsim.experiments.validation_language.Observation`). Jobs run through
the one replication runner, batched where towns can share an ensemble
(:mod:`cxsim.experiments.replication`); the observations do not depend on it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cxsim.experiments.results import run
from cxsim.experiments.runner import Backend, Replication, available_cores, run_replications
from cxsim.experiments.validation_language import Observation, first_lockdown
from cxsim.experiments.validation_measures import purchase_measures
from cxsim.model.scenario import Scenario


@dataclass(frozen=True)
class Job:
    """One run: a resolved scenario and a seed."""

    key: str
    spec: Scenario
    seed: int
    purchases: bool = False
    """Keep the run's purchases for the double jeopardy measures."""


def observe(spec: Scenario, purchases: bool = False) -> Observation:
    """Run a scenario (in a worker process) and keep what the metrics need.

    With ``purchases`` the run keeps its purchases table long enough to measure
    double jeopardy (:func:`cxsim.experiments.validation_measures.purchase_measures`).
    """
    if purchases:
        spec = _with_purchases(spec)
    result = run(spec)
    summary = result.summary.iloc[0].to_dict()
    measures: dict[str, float] = {}
    if purchases and result.purchases is not None:
        measures = purchase_measures(
            result.purchases, int(summary["shoppers"]), int(summary["days"]), spec.summary_window_days
        )
    return Observation(
        summary=summary,
        timeseries=result.timeseries.drop(columns=["events"]),
        lockdown=first_lockdown(spec),
        days=spec.days,
        measures=measures,
        store_daily=result.stores[["day", "store", "purchases", "returns"]].reset_index(drop=True),
    )


def _with_purchases(spec: Scenario) -> Scenario:
    """The scenario keeping its purchases table."""
    return spec if spec.collect_purchases else spec.model_copy(update={"collect_purchases": True})


def default_workers(n_jobs: int) -> int:
    """As many workers as cores (at most the number of jobs)."""
    return max(1, min(available_cores(), n_jobs))


def run_jobs(
    jobs: Sequence[Job],
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    backend: Backend | None = None,
) -> dict[tuple[str, int], Observation]:
    """Run jobs, in parallel processes when ``workers`` > 1 (or on ``backend``); results by (key, seed)."""
    workers = default_workers(len(jobs)) if not workers else min(workers, max(1, len(jobs)))
    keep = functools.partial(observe, purchases=True)
    reps = [  # with the purchases table set in the scenario, observe() runs it as given: batchable
        Replication(
            _with_purchases(job.spec) if job.purchases else job.spec,
            job.seed,
            keep if job.purchases else observe,
            key=job.key,
            batchable=True,
        )
        for job in jobs
    ]
    values = run_replications(reps, workers=workers if workers > 1 else 0, backend=backend, progress=progress)
    return {(job.key, job.seed): obs for job, obs in zip(jobs, values, strict=True)}
