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
6. before/after: the same full-model runs with the model as of a git ref (by default
   :data:`BEFORE`, the code before issue 16's work) and with this tree's, alternating;
7. a Saltelli design over 8 parameters on 2 workers (issue 16): a slice of the
   N = 128 design's runs (the same kind of run: a 10,000-shopper year after the
   warm-up) timed through ``run_sweep``, and the wall clock of N = 128 (2,304
   runs) and N = 1,024 (18,432 runs) extrapolated linearly from it;
8. the ensemble engine: a town's run in a batch of B towns against the same run
   alone, at 1,000 and 10,000 shoppers (``benchmarks/ensemble.py``).

Timings are medians of repeats where a size allows; the machine is shared, so
the load average is recorded next to each section.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.ensemble import measure, section_ensemble
from benchmarks.machine import load_average, machine_info
from benchmarks.report import write_report
from benchmarks.sweeps import section_saltelli, section_sweep

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "85c4062"
"""The last commit before issue 16's work on speed (0.4.0): the "before" of the before/after section."""


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
    ensemble: list[tuple[int, tuple[int, ...], int]] = field(
        default_factory=lambda: [(1_000, (10, 32), 3), (10_000, (6, 10, 30), 3)]
    )  # shoppers a town, batch sizes, repeats (benchmarks/ensemble.py)
    ensemble_days: int = 365
    ensemble_warmup: int | None = None  # None: the scenario's warm-up
    saltelli_samples: int = 8  # base sample N of the timed slice (N (2D + 2) runs)
    saltelli_shoppers: int = 10_000
    saltelli_days: int = 365
    saltelli_set: tuple[str, ...] = ()  # extra overrides (the quick plan shortens the warm-up)
    before_ref: str = BEFORE  # git ref of the "before" model
    dask: bool = True
    dask_workers: tuple[int, ...] = (1, 2)
    quick: bool = False


FULL = Plan(
    days=365,
    full_sizes=[(10_000, 5), (100_000, 3), (1_000_000, 1), (10_000_000, 1)],
    mesa=[(10_000, 365, 5), (30_000, 365, 3)],
    scale_shoppers=[1_000, 3_000, 10_000, 30_000, 100_000, 300_000],
    scale_stores=[2, 5, 10, 20, 40],
    scale_days=120,
    scale_store_shoppers=30_000,
    sweep_shoppers=10_000,
    sweep_days=365,
    sweep_runs=8,
    sweep_repeats=3,
    before_after=[(10_000, 365, 3), (100_000, 365, 3)],
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
    saltelli_samples=2,
    saltelli_shoppers=1_000,
    saltelli_days=10,
    saltelli_set=("warmup_days=5",),
    ensemble=[(500, (2,), 1)],
    ensemble_days=10,
    ensemble_warmup=5,
    before_ref="HEAD",  # the quick run checks the mechanism: the last commit against the working tree
    dask_workers=(2,),  # the quick run only checks that the Dask path works
    quick=True,
)


IN_PROCESS = False
"""Run measurements in this process (``--quick``: no fresh interpreter per size, peak memory shared)."""


def child(task: dict[str, Any], timeout: float = 7200, tree: Path | None = None) -> dict[str, Any]:
    """Run one measurement of benchmarks/child.py in a fresh Python process (or here, when quick).

    ``tree``: a folder holding another version of the ``cxsim`` package (with this ``benchmarks``
    beside it): the measurement runs that version's model (the "before" of a before/after).
    """
    if IN_PROCESS and tree is None:
        from benchmarks import child as c

        task = dict(task)
        return {"full": c.full, "mesa": c.mesa, "ensemble": measure}[task.pop("kind")](**task)
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.child", json.dumps(task)],
        cwd=tree or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {task} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def version_tree(ref: str) -> Iterator[Path]:
    """A temporary folder with the ``cxsim`` package as of git ``ref`` and this ``benchmarks`` beside it."""
    with tempfile.TemporaryDirectory(prefix="cxsim-bench-before-") as tmp:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", ref, "cxsim"], cwd=ROOT, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        (Path(tmp) / "benchmarks").symlink_to(ROOT / "benchmarks")
        yield Path(tmp)


def median_run(task: dict[str, Any], repeats: int, tree: Path | None = None) -> dict[str, Any]:
    """The run with the median total time of ``repeats`` (each in its own process)."""
    runs = [child(task, tree=tree) for _ in range(max(repeats, 1))]
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
    """The model of this tree against the model as of :data:`BEFORE`, alternating, same sizes and seeds."""
    out = []
    ref = subprocess.run(
        ["git", "rev-parse", "--short", plan.before_ref], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    with version_tree(ref) as tree:
        for shoppers, days, repeats in plan.before_after:
            log(f"before/after: {shoppers:,} shoppers x {days} days, {ref} vs this tree")
            task = {"kind": "full", "shoppers": shoppers, "days": days}
            befores, afters = [], []
            for _ in range(max(repeats, 1)):  # alternating, so that a busy spell hits both alike
                befores.append(median_run(task, 1, tree=tree))
                afters.append(median_run(task, 1, tree=ROOT))
            before, after = (min(x, key=lambda r: r["cpu_s"]) for x in (befores, afters))
            out.append({"before": before, "after": after, "load_after": load_average(), "ref": ref})
            log(f"  {before['total_s']:.1f} s -> {after['total_s']:.1f} s")
    return out


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
        "saltelli": section_saltelli,
        "ensemble": section_ensemble,
    }
    for name, fn in sections.items():
        if name in skip:
            continue
        t = time.perf_counter()
        results[name] = fn(plan, log)
        if isinstance(results[name], dict):
            results[name]["measured_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
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
    parser.add_argument(
        "--before", default=None, help=f"git ref of the model to compare with (default {BEFORE}; quick: HEAD)"
    )
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask sweep measurements")
    parser.add_argument(
        "--skip",
        default="",
        help="sections to skip, comma-separated (full, mesa, scaling, sweep, before_after, saltelli, "
        "ensemble)",
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
    if args.before is not None:
        plan.before_ref = args.before
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
