"""The ensemble engine's benchmark: a town's run in a batch of B towns against the same run alone.

Each measurement is one process (:mod:`benchmarks.child`, kind ``ensemble``): B
towns of the baseline scenario with ``shoppers`` shoppers, seeds 1..B, the default
warm-up and ``days`` reported days, through :class:`cxsim.model.ensemble.Ensemble`
(B = 1: ``CXModel(spec).run()``, the single run), and every town's tables. Sizes
alternate (alone, then each batch, repeated), so that a busy spell of the shared
machine hits them alike; the ratio is of CPU seconds per run (the process's own
time), with the wall clock beside it.
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.machine import load_average
from benchmarks.markdown import table


def measure(shoppers: int, days: int, towns: int, warmup_days: int | None = None) -> dict[str, Any]:
    """One batch of ``towns`` towns (1: a single run), timed in this process."""
    from cxsim.model.cxmodel import CXModel
    from cxsim.model.ensemble import Ensemble
    from cxsim.model.scenario import load_scenario

    extra = [f"town.shoppers={shoppers}"] + ([] if warmup_days is None else [f"warmup_days={warmup_days}"])
    specs = [load_scenario("baseline", extra, days=days, seed=seed) for seed in range(1, towns + 1)]
    wall, cpu = time.perf_counter(), time.process_time()
    if towns == 1:
        model = CXModel(specs[0])
        model.run()
        models = [model]
    else:
        ensemble = Ensemble(specs)
        ensemble.run()
        models = ensemble.models
    rows = sum(len(m.timeseries()) + len(m.store_table()) for m in models)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "kind": "ensemble",
        "shoppers": shoppers,
        "days": days,
        "warmup_days": specs[0].warmup_days,
        "towns": towns,
        "cpu_s": cpu,
        "wall_s": wall,
        "cpu_per_run_s": cpu / towns,
        "wall_per_run_s": wall / towns,
        "rows": rows,
    }


def section_ensemble(plan: Any, log: Any) -> dict[str, Any]:
    """Per size: the single run and each batch size, alternating ``repeats`` times (the fastest of each)."""
    from benchmarks.run import child

    out = []
    for shoppers, batches, repeats in plan.ensemble:
        best: dict[int, dict[str, Any]] = {}
        for _ in range(max(repeats, 1)):
            for towns in (1, *batches):
                task = {"kind": "ensemble", "shoppers": shoppers, "days": plan.ensemble_days, "towns": towns}
                if plan.ensemble_warmup is not None:
                    task["warmup_days"] = plan.ensemble_warmup
                r = child(task)
                if towns not in best or r["cpu_per_run_s"] < best[towns]["cpu_per_run_s"]:
                    best[towns] = r
        alone = best[1]
        for towns in batches:
            r = best[towns]
            r["ratio_cpu"] = alone["cpu_per_run_s"] / r["cpu_per_run_s"]
            r["ratio_wall"] = alone["wall_per_run_s"] / r["wall_per_run_s"]
            log(
                f"ensemble: {shoppers:,} shoppers, {towns} towns: {r['cpu_per_run_s']:.2f} CPU-s a run "
                f"against {alone['cpu_per_run_s']:.2f} alone ({r['ratio_cpu']:.2f}x)"
            )
        out.append({"shoppers": shoppers, "alone": alone, "batches": [best[b] for b in batches]})
    return {"sizes": out, "load_after": load_average()}


def best_ratio(results: dict[str, Any], shoppers: int) -> dict[str, Any] | None:
    """The batch with the highest CPU ratio at ``shoppers`` (None if not measured)."""
    for size in results.get("ensemble", {}).get("sizes", []):
        if size["shoppers"] == shoppers and size["batches"]:
            return dict(max(size["batches"], key=lambda r: r["ratio_cpu"]))
    return None


def ensemble_lines(results: dict[str, Any]) -> list[str]:
    """The report's section on the ensemble engine."""
    ens = results.get("ensemble")
    if not ens:
        return []
    sizes = ens["sizes"]
    first = sizes[0]["alone"]
    lines = [
        "## The ensemble engine: towns in a batch against alone",
        "",
        f"The baseline scenario, {first['days']} days after the {first['warmup_days']}-day warm-up, "
        "seeds 1..B; B towns in one `cxsim.model.ensemble.Ensemble` (each town's tables identical to "
        "its run alone: `tests/model/test_ensemble.py`) against the single run "
        "(`benchmarks/ensemble.py`; each batch in a fresh process, sizes alternating, the fastest of the "
        "repeats). Per run: the batch's time divided by its towns.",
        "",
    ]
    rows = []
    for size in sizes:
        a = size["alone"]
        rows.append(
            [
                f"{size['shoppers']:,}",
                "1 (alone)",
                f"{a['cpu_per_run_s']:.3f}",
                f"{a['wall_per_run_s']:.3f}",
                "",
            ]
        )
        for r in size["batches"]:
            rows.append(
                [
                    f"{size['shoppers']:,}",
                    f"{r['towns']}",
                    f"{r['cpu_per_run_s']:.3f}",
                    f"{r['wall_per_run_s']:.3f}",
                    f"{r['ratio_cpu']:.2f}x ({r['ratio_wall']:.2f}x wall clock)",
                ]
            )
    lines += table(
        ["shoppers a town", "towns in the batch", "CPU s a run", "wall s a run", "faster per run"], rows
    )
    when = f" Measured {ens['measured_at']}." if "measured_at" in ens else ""
    lines += [f"Load after: {ens['load_after']}.{when}", ""]
    return lines
