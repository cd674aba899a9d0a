"""The one replication runner: same values on any executor, in order, errors returned not raised."""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from cxsim.experiments.runner import (
    Replication,
    ReplicationError,
    Runner,
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
