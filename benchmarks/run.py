"""The cxsim benchmark suite: one command measures everything and writes docs/PERFORMANCE.md.

    .venv/bin/python -m benchmarks.run                  # full suite, about 15 minutes on 2 cores
    .venv/bin/python -m benchmarks.run --quick --out /tmp/perf.md   # tiny sizes (the smoke test)

Sections (each heavy measurement runs in a fresh process, see benchmarks/child.py):

1. the machine (CPU, cores, memory, load, Python, numpy, BLAS);
2. the full model (every mechanism, baseline scenario, 365 days) at 10,000,
   100,000 and 1,000,000 shoppers: shopper-days per second, peak memory and the
   share of run time spent collecting data;
3. the same core (utility, logit choice, satisfaction and loyalty update) as a
   plain Mesa model with one Agent per shopper and in cxsim's vectorized
   engine, on the same shoppers, days and rules: the speed ratio;
4. how a run's cost grows with shoppers and with stores;
5. sweep throughput with 1 and 2 workers, process pool and Dask LocalCluster,
   through ``cxsim.experiments.sweep.run_sweep``;
6. before/after of the optimizations: the same run with cxsim's fast
   reductions swapped back for the numpy ones they replaced.

Timings are medians of repeats where a size allows; the machine is shared, so
the load average is recorded next to each section.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.machine import load_average, machine_info
from benchmarks.report import write_report

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Plan:
    """Sizes of every section (the full suite or ``--quick``)."""

    days: int
    full_sizes: list[tuple[int, int]]  # (shoppers, repeats)
    mesa: list[tuple[int, int, int]]  # shoppers, days, repeats of the vectorized core
    scale_shoppers: list[int]
    scale_stores: list[int]
    scale_days: int
    scale_store_shoppers: int
    sweep_shoppers: int
    sweep_days: int
    sweep_runs: int
    sweep_repeats: int
    before_after: list[tuple[int, int, int]]  # shoppers, days, repeats
    dask: bool = True
    dask_workers: tuple[int, ...] = (1, 2)
    quick: bool = False


FULL = Plan(
    days=365,
    full_sizes=[(10_000, 5), (100_000, 3), (1_000_000, 1)],
    mesa=[(10_000, 365, 5), (30_000, 365, 3)],
    scale_shoppers=[10_000, 30_000, 100_000, 300_000],
    scale_stores=[2, 5, 10, 20, 40],
    scale_days=120,
    scale_store_shoppers=30_000,
    sweep_shoppers=10_000,
    sweep_days=365,
    sweep_runs=8,
    sweep_repeats=3,
    before_after=[(100_000, 365, 3), (1_000_000, 365, 1)],
)
QUICK = Plan(
    days=30,
    full_sizes=[(1_000, 1), (2_000, 1)],
    mesa=[(1_000, 30, 1)],
    scale_shoppers=[1_000, 2_000],
    scale_stores=[2, 8],
    scale_days=20,
    scale_store_shoppers=1_000,
    sweep_shoppers=1_000,
    sweep_days=20,
    sweep_runs=2,
    sweep_repeats=1,
    before_after=[(1_000, 30, 1)],
    dask_workers=(2,),  # the quick run only checks that the Dask path works
    quick=True,
)


IN_PROCESS = False
"""Run measurements in this process (``--quick``: no fresh interpreter per size, peak memory shared)."""


def child(task: dict[str, Any], timeout: float = 1800) -> dict[str, Any]:
    """Run one measurement of benchmarks/child.py in a fresh Python process (or here, when quick)."""
    if IN_PROCESS:
        from benchmarks import child as c

        task = dict(task)
        return {"full": c.full, "mesa": c.mesa}[task.pop("kind")](**task)
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.child", json.dumps(task)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {task} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median_run(task: dict[str, Any], repeats: int) -> dict[str, Any]:
    """The run with the median total time of ``repeats`` (each in its own process)."""
    runs = [child(task) for _ in range(max(repeats, 1))]
    runs.sort(key=lambda r: r["total_s"])
    best = dict(runs[len(runs) // 2])
    best["repeats"] = len(runs)
    best["all_total_s"] = [r["total_s"] for r in runs]
    best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    return best


def section_full(plan: Plan, log: Any) -> list[dict[str, Any]]:
    out = []
    for shoppers, repeats in plan.full_sizes:
        log(f"full model: {shoppers:,} shoppers x {plan.days} days, {repeats} run(s)")
        r = median_run({"kind": "full", "shoppers": shoppers, "days": plan.days}, repeats)
        r["load_after"] = load_average()
        out.append(r)
        log(
            f"  {r['shopper_days_per_s'] / 1e6:.2f} M shopper-days/s, {r['total_s']:.1f} s, "
            f"peak {r['peak_rss_mb']:.0f} MB, collection {100 * r['collection_share']:.1f}%"
        )
    return out


def section_mesa(plan: Plan, log: Any) -> list[dict[str, Any]]:
    out = []
    for shoppers, days, repeats in plan.mesa:
        log(f"Mesa per-agent vs vectorized core: {shoppers:,} shoppers x {days} days")
        r = child({"kind": "mesa", "shoppers": shoppers, "days": days, "repeats": repeats})
        r["load_after"] = load_average()
        log(
            f"  vectorized {r['vectorized']['seconds']:.2f} s, Mesa {r['mesa']['seconds']:.2f} s, "
            f"ratio {r['speedup']:.1f}x"
        )
        out.append(r)
    return out


def section_scaling(plan: Plan, log: Any) -> dict[str, list[dict[str, Any]]]:
    by_shoppers, by_stores = [], []
    for n in plan.scale_shoppers:
        log(f"scaling: {n:,} shoppers, 5 stores, {plan.scale_days} days")
        by_shoppers.append(child({"kind": "full", "shoppers": n, "days": plan.scale_days}))
    for s in plan.scale_stores:
        n = plan.scale_store_shoppers
        log(f"scaling: {n:,} shoppers, {s} stores, {plan.scale_days} days")
        by_stores.append(child({"kind": "full", "shoppers": n, "days": plan.scale_days, "stores": s}))
    return {"shoppers": by_shoppers, "stores": by_stores, "load_after": load_average()}


def section_before_after(plan: Plan, log: Any) -> list[dict[str, Any]]:
    out = []
    for shoppers, days, repeats in plan.before_after:
        log(f"before/after: {shoppers:,} shoppers x {days} days, numpy reductions vs cxsim.rules.arrays")
        task = {"kind": "full", "shoppers": shoppers, "days": days}
        after = median_run(task, repeats)
        before = median_run({**task, "numpy_reductions": True}, repeats)
        out.append({"before": before, "after": after, "load_after": load_average()})
        log(f"  {before['total_s']:.1f} s -> {after['total_s']:.1f} s")
    return out


EXPERIMENT = """name = "benchmark_sweep"
description = "Sweep throughput benchmark: independent full-model runs."
scenario = "baseline"
days = {days}
seed = 5
replications = {replications}
set = ["town.shoppers={shoppers}"]

[[parameters]]
path = "stores.giant.price"
name = "giant_price"
values = [0.88, 0.92]

[sampler]
method = "grid"

[output]
tables = ["summary"]
"""


def warm_worker() -> int:
    """Import the model in a worker before timing starts (what every worker of a long sweep has done)."""

    return os.getpid()


def _nap(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def worker_cpu_seconds() -> float:
    """CPU seconds this process has used (all its threads)."""
    return time.process_time()


def _proc_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of another process, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):  # pragma: no cover - not Linux
        return float("nan")


DASK_NO_PROFILER = {"distributed.worker.profile.enabled": False}
"""Dask workers sample every thread's stack every 10 ms by default (the dashboard's profile); with
CPU-bound Python tasks on few cores that costs about a fifth of the throughput of two workers."""


@contextlib.contextmanager
def warm_executor(
    workers: int, dask: bool, profiler: bool = False
) -> Iterator[tuple[Executor, Callable[[], float]]]:
    """A process pool or Dask LocalCluster executor with every worker started and cxsim imported.

    Yields the executor and a function that returns the CPU seconds its workers have used so far.
    ``profiler`` keeps Dask's statistical worker profiler on (Dask's default).
    """
    if dask:
        import dask as dask_config
        from distributed import Client, LocalCluster

        with dask_config.config.set({} if profiler else DASK_NO_PROFILER):
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                host="127.0.0.1",
            )
        with cluster, Client(cluster) as client:
            client.run(warm_worker)
            executor = client.get_executor(pure=False)
            yield executor, lambda: sum(client.run(worker_cpu_seconds).values())
            executor.shutdown(wait=True)
        return
    # fork: the workers start with cxsim already imported, as long-running sweep workers would be
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=warm_worker) as pool:
        pids = set(pool.map(_nap, [0.5] * workers))  # start every worker now

        def cpu() -> float:
            return sum(_proc_cpu_seconds(pid) for pid in pids)

        yield pool, cpu


def _own_cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


BACKENDS = {
    "process pool": (False, False),
    "Dask LocalCluster": (True, False),
    "Dask LocalCluster, worker profiler on (Dask's default)": (True, True),
}


def _sweep_once(exp: Path, out: Path, workers: int, backend: str, api: bool, plan: Plan) -> dict[str, Any]:
    dask, profiler = BACKENDS[backend]
    t0 = time.perf_counter()
    with warm_executor(workers, dask, profiler) as (executor, worker_cpu):
        cpu0, own0 = worker_cpu(), _own_cpu_seconds()
        started = time.perf_counter()
        if api:
            from cxsim.experiments.sweep import run_sweep

            report = run_sweep(exp, out, executor=executor)
            if report.ran != report.total or report.errors:
                raise RuntimeError(f"benchmark sweep incomplete: {report}")
            runs = report.ran
        else:
            from benchmarks.sweep_fallback import one_run

            tasks = [(plan.sweep_shoppers, plan.sweep_days, seed) for seed in range(plan.sweep_runs)]
            runs = len(list(executor.map(one_run, tasks)))
        driver = time.perf_counter() - started
        cpu, own = worker_cpu() - cpu0, _own_cpu_seconds() - own0
    wall = time.perf_counter() - t0
    return {
        "backend": backend,
        "workers": workers,
        "runs": runs,
        "wall_s": wall,
        "driver_s": driver,
        "runs_per_s": runs / driver,
        "runs_per_s_with_startup": runs / wall,
        "worker_cpu_s": cpu,
        "worker_cpu_per_run_s": cpu / runs,
        "driver_cpu_s": own,
        "cpu_obtained": cpu / (workers * driver),
    }


def section_sweep(plan: Plan, log: Any) -> dict[str, Any]:
    try:
        import cxsim.experiments.sweep  # noqa: F401

        api = True
    except ImportError:
        api = False
    results = []
    backends = [b for b in BACKENDS if plan.dask or not BACKENDS[b][0]]
    if plan.quick:
        backends = [b for b in backends if not BACKENDS[b][1]]
    with tempfile.TemporaryDirectory(prefix="cxsim-bench-sweep-") as tmp:
        exp = Path(tmp) / "benchmark_sweep.toml"
        exp.write_text(
            EXPERIMENT.format(
                days=plan.sweep_days, replications=plan.sweep_runs // 2, shoppers=plan.sweep_shoppers
            )
        )
        configs = [(b, w) for b in backends for w in (plan.dask_workers if BACKENDS[b][0] else (1, 2))]
        trials: dict[tuple[str, int], list[dict[str, Any]]] = {c: [] for c in configs}
        size = f"{plan.sweep_runs} runs of {plan.sweep_shoppers:,} shoppers"
        for rep in range(plan.sweep_repeats):  # interleaved, so that a busy spell hits every config alike
            for backend, workers in configs:
                log(f"sweep {rep + 1}/{plan.sweep_repeats}: {size}, {backend}, {workers} worker(s)")
                out = Path(tmp) / f"out-{rep}-{list(BACKENDS).index(backend)}-{workers}"
                r = _sweep_once(exp, out, workers, backend, api, plan)
                r["load_after"] = load_average()
                trials[(backend, workers)].append(r)
                log(f"  {r['runs_per_s']:.3f} runs/s ({r['wall_s']:.1f} s with start-up)")
        for config in configs:  # best of the repeats: the least disturbed by other processes
            best = dict(max(trials[config], key=lambda r: r["runs_per_s"]))
            best["all_runs_per_s"] = [r["runs_per_s"] for r in trials[config]]
            results.append(best)
    for r in results:
        one = next((x for x in results if x["backend"] == r["backend"] and x["workers"] == 1), None)
        if one is None:
            r["efficiency"] = r["efficiency_with_startup"] = r["cpu_efficiency"] = float("nan")
            continue
        r["efficiency"] = r["runs_per_s"] / (r["workers"] * one["runs_per_s"])
        r["cpu_efficiency"] = one["worker_cpu_per_run_s"] / r["worker_cpu_per_run_s"]
        r["efficiency_with_startup"] = r["runs_per_s_with_startup"] / (
            r["workers"] * one["runs_per_s_with_startup"]
        )
    return {
        "api": "cxsim.experiments.sweep.run_sweep(executor=...)"
        if api
        else "own minimal runner over cxsim.run",
        "shoppers": plan.sweep_shoppers,
        "days": plan.sweep_days,
        "runs": plan.sweep_runs,
        "repeats": plan.sweep_repeats,
        "results": results,
    }


def run_suite(plan: Plan, log: Any = print, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run every section of ``plan``; returns all results (what the report is written from)."""
    started = time.time()
    results: dict[str, Any] = {"plan": plan.__dict__, "machine": machine_info()}
    sections = {
        "full": section_full,
        "mesa": section_mesa,
        "scaling": section_scaling,
        "sweep": section_sweep,
        "before_after": section_before_after,
    }
    for name, fn in sections.items():
        if name in skip:
            continue
        t = time.perf_counter()
        results[name] = fn(plan, log)
        log(f"[{name}: {time.perf_counter() - t:.0f} s]")
    results["machine"]["load_at_end"] = load_average()
    results["wall_s"] = time.time() - started
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes (seconds, for the smoke test)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "PERFORMANCE.md", help="report to write")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw results as JSON")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask sweep measurements")
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated sections to skip (full, mesa, scaling, sweep, before_after)",
    )
    parser.add_argument(
        "--render", type=Path, default=None, help="only write the report from a --json file of an earlier run"
    )
    args = parser.parse_args(argv)
    if args.render is not None:
        results = json.loads(args.render.read_text())
        quick = bool(results["plan"].get("quick"))
        write_report(results, args.out, "python -m benchmarks.run" + (" --quick" if quick else ""))
        print(f"wrote {args.out} from {args.render}")
        return 0
    plan = QUICK if args.quick else FULL
    global IN_PROCESS
    IN_PROCESS = args.quick
    plan.dask = not args.no_dask
    skip = tuple(s.strip() for s in args.skip.split(",") if s.strip())

    def log(msg: str) -> None:
        print(msg, flush=True)

    results = run_suite(plan, log, skip)
    command = "python -m benchmarks.run" + (" --quick" if args.quick else "")
    write_report(results, args.out, command)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1, default=str) + "\n")
    log(f"wrote {args.out} ({results['wall_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
