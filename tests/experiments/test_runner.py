"""The one replication runner: same values on any executor, in order, errors returned not raised."""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from cxsim.experiments.replication import BATCH_SHOPPERS, MAX_BATCH, batch_size, execute_batch
from cxsim.experiments.runner import (
    Replication,
    ReplicationError,
    Runner,
    SerialExecutor,
    execute,
    open_executor,
    run_replications,
)
from cxsim.model.cxmodel import CXModel
from cxsim.model.scenario import Scenario, load_scenario

TINY = ["town.shoppers=300", "warmup_days=0"]


def summary(spec: Scenario) -> dict[str, float]:
    """What a test keeps of a run (top-level: sent to worker processes)."""
    model = CXModel(spec)
    model.run()
    return {k: v for k, v in model.summary().items() if isinstance(v, int | float)}


def boom(spec: Scenario, *, seed: int) -> None:
    """Fails for one seed."""
    if spec.seed == seed:
        raise ValueError(f"seed {seed} fails")


@pytest.fixture(scope="module")
def reps() -> list[Replication[dict[str, float]]]:
    base = load_scenario("baseline", TINY, days=5)
    return [
        Replication(base, seed, summary, overrides=(f"town.shoppers={300 + 10 * seed}",), key=seed)
        for seed in range(4)
    ]


def test_values_are_identical_in_order_on_every_executor(reps: list[Replication[dict[str, float]]]) -> None:
    serial = run_replications(reps, workers=0)
    assert [r["shoppers"] for r in serial] == [300, 310, 320, 330], "overrides and order are kept"
    pool = run_replications(reps, workers=2)
    with ThreadPoolExecutor(2) as ex, open_executor(executor=ex) as backend:
        threads = run_replications(reps, backend=backend)
    pd.testing.assert_frame_equal(pd.DataFrame(serial), pd.DataFrame(pool), check_exact=True)
    pd.testing.assert_frame_equal(pd.DataFrame(serial), pd.DataFrame(threads), check_exact=True)


def test_a_failing_replication_is_an_outcome_and_unwrap_raises() -> None:
    base = load_scenario("baseline", TINY, days=1)
    outcome = execute(Replication(base, 7, functools.partial(boom, seed=7), key="x"))
    assert not outcome.ok and "seed 7 fails" in (outcome.error or "") and outcome.key == "x"
    with pytest.raises(ReplicationError, match="seed 7 fails"):
        outcome.unwrap()
    bad = Replication(base, 1, summary, overrides=("town.shoppers=-5",))
    assert not execute(bad).ok, "bad overrides fail in the worker, as an outcome"


def test_runner_keeps_a_bounded_number_in_flight() -> None:
    base = load_scenario("baseline", TINY, days=1)
    jobs = [Replication(base, s, functools.partial(boom, seed=-1), key=s) for s in range(5)]
    with ThreadPoolExecutor(4) as ex, open_executor(executor=ex) as backend:
        backend.slots = 2
        runner = Runner(backend, jobs)
        seen = []
        while not runner.finished:
            assert len(runner.pending) <= 2
            seen += [o.index for o in runner.poll()]
    assert sorted(seen) == list(range(5))


def test_a_pool_worker_exits_when_its_driver_is_gone() -> None:
    """The worker initializer's watchdog: the worker process exits once the driver process has died."""
    import subprocess
    import sys
    import time

    driver = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    code = (
        "import sys, time\n"
        "from cxsim.experiments.runner import _init_worker\n"
        "_init_worker(int(sys.argv[1]))\n"
        "time.sleep(30)\n"
        "sys.exit(0)\n"
    )
    worker = subprocess.Popen([sys.executable, "-c", code, str(driver.pid)])
    try:
        time.sleep(1.5)
        assert worker.poll() is None, "the worker lives while its driver does"
        driver.kill()
        driver.wait()
        assert worker.wait(timeout=10) == 70, "the worker exits when its driver is gone"
    finally:
        for proc in (driver, worker):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def kept(spec: Scenario) -> dict[str, float]:
    """What a batchable replication keeps: its summary, through ``results.run`` (top-level)."""
    from cxsim.experiments.results import run

    row = run(spec).summary.iloc[0].to_dict()
    return {k: v for k, v in row.items() if isinstance(v, int | float)}


class Recording(SerialExecutor):
    """A serial executor that records each task: its function and how many replications it holds."""

    def __init__(self) -> None:
        self.tasks: list[tuple[str, int]] = []

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.tasks.append((fn.__name__, len(args[0]) if isinstance(args[0], list) else 1))
        return super().submit(fn, *args, **kwargs)


def test_batchable_replications_share_tasks_and_keep_their_values() -> None:
    """Consecutive batchable replications of one scenario go to one task; values as alone."""
    base = load_scenario("baseline", TINY, days=5)
    mixed = ("behaviour.choice.lapse=0.05",)  # another behaviour: cannot share the first towns' ensemble
    reps = [Replication(base, seed, kept, key=seed, batchable=True) for seed in range(4)]
    reps.append(Replication(base, 9, kept, overrides=mixed, key=9, batchable=True))
    reps.append(Replication(base, 10, summary, key=10))  # not batchable: a task of its own
    alone = run_replications(reps, workers=0, batch=1)
    for size in (2, 3, 5):
        executor = Recording()
        with open_executor(executor=executor) as backend:
            batched = run_replications(reps, backend=backend, batch=size)
        pd.testing.assert_frame_equal(pd.DataFrame(alone), pd.DataFrame(batched), check_exact=True)
        assert executor.tasks[0] == ("execute_batch", size), executor.tasks
        assert executor.tasks[-1] == ("execute", 1)
        assert sum(n for _, n in executor.tasks) == len(reps)


def test_a_batch_whose_ensemble_fails_runs_each_replication_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    import cxsim.experiments.results as results

    def broken(specs: object) -> None:
        raise RuntimeError("the ensemble broke")

    base = load_scenario("baseline", TINY, days=5)
    reps = [Replication(base, seed, kept, key=seed, batchable=True) for seed in range(3)]
    alone = [execute(r).unwrap() for r in reps]
    monkeypatch.setattr(results, "Ensemble", broken)
    outcomes = execute_batch(reps)
    got = pd.DataFrame([o.unwrap() for o in outcomes])
    pd.testing.assert_frame_equal(got, pd.DataFrame(alone), check_exact=True)


def test_batch_size_follows_town_size_and_keeps_every_slot_busy() -> None:
    assert batch_size(1_000, 10_000, 4) == MAX_BATCH
    assert batch_size(10_000, 10_000, 4) == BATCH_SHOPPERS // 10_000
    assert batch_size(100_000, 10_000, 4) == 1
    assert batch_size(1_000, 20, 2) == 10  # 20 replications on 2 workers: two tasks of 10
