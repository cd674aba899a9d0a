"""Write docs/PERFORMANCE.md from the results of one run of the benchmark suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.ensemble import ensemble_lines
from benchmarks.markdown import m as _m
from benchmarks.markdown import pct as _pct
from benchmarks.markdown import table as _table
from benchmarks.targets import saltelli_lines, targets

NARRATIVE = Path(__file__).with_name("narrative.md")


def write_report(results: dict[str, Any], out: Path, command: str) -> None:
    """Render every section of ``results`` as Markdown into ``out``."""
    m = results["machine"]
    plan = results["plan"]
    lines = [
        "# Performance",
        "",
        f"Every figure below comes from one run of `{command}` "
        f"({results['wall_s'] / 60:.1f} minutes, started {m['date']}); rerun it to refresh this file "
        "(see `benchmarks/README.md`). The text after the figures is `benchmarks/narrative.md`.",
        "",
    ]
    if plan.get("quick"):
        lines += [
            "> **Quick run** (tiny sizes, for the smoke test): "
            "the figures are not comparable with the targets.",
            "",
        ]
    lines += ["## Machine", ""]
    lines += _table(
        ["", ""],
        [
            ["CPU", f"{m['cpu']} ({', '.join(m['cpu_flags'])})"],
            ["cores / memory", f"{m['cores']} / {m['memory_gb']} GB"],
            ["load average (1, 5, 15 min) at start / end", f"{m['load_at_start']} / {m.get('load_at_end')}"],
            ["OS", m["os"]],
            [
                "Python / numpy / Mesa / pandas / Dask",
                f"{m['python']} / {m['numpy']} / {m['mesa']} / {m['pandas']} / {m['dask']}",
            ],
            ["BLAS", f"{m['blas']}; OPENBLAS_* set: {m['openblas_env'] or 'none'}"],
        ],
    )
    lines += [
        "The machine is shared (2 cores, several engineers running tests): the load average says how busy "
        "it was. Each full-model size runs in a fresh process; sizes with several runs report the median.",
        "",
        "## Targets",
        "",
    ]
    lines += _table(["what", "target", "measured", ""], targets(results))

    if "full" in results:
        lines += [
            "## Full model",
            "",
            f"Baseline scenario, every mechanism on, {plan['days']} days after the "
            f"{results['full'][0].get('warmup_days', 90)}-day warm-up, one process, one core. "
            "*End to end* divides the shopper-days of the reported "
            "days by the whole wall time of the run (town creation, warm-up, the days, building the tables), "
            "as `cxsim.run` does it; *simulated* counts the warm-up days too; *per CPU-second* divides by "
            "the CPU time of the process instead (what one core delivers when other processes share it).",
            "",
        ]
        rows = []
        for r in results["full"]:
            rows.append(
                [
                    f"{r['shoppers']:,}",
                    r["repeats"],
                    f"{r['total_s']:.2f}",
                    _m(r["shopper_days_per_s"]),
                    _m(r["sim_shopper_days_per_s"]),
                    _m(r.get("cpu_shopper_days_per_s", float("nan"))),
                    f"{r['peak_rss_mb']:.0f}",
                    f"{r['shopper_array_mb']:.0f}",
                    f"{r['bytes_per_shopper']:.0f}",
                    f"{100 * r['collection_share']:.1f}%",
                    r["load_after"],
                ]
            )
        lines += _table(
            [
                "shoppers",
                "runs",
                "wall s (median)",
                "M shopper-days/s end to end",
                "M shopper-days/s simulated",
                "M shopper-days per CPU-second",
                "peak RSS MB",
                "shopper arrays MB",
                "bytes/shopper",
                "data collection",
                "load after",
            ],
            rows,
        )
        base = results["full"][0]["rss_before_model_mb"]
        lines += [
            f"Peak RSS includes the interpreter with numpy, pandas and Mesa imported (about {base:.0f} MB "
            "before the model is built).",
            "",
        ]
        lines += [
            "### Where the data-collection time goes",
            "",
            "Collection = today's metrics row (`CXModel.record_day`, with the loyalty statistics over all "
            "shoppers: mean highest loyalty and mean loyalty per store), Mesa's `DataCollector.collect`, "
            "and building the tables at the end.",
            "",
        ]
        rows = []
        for r in results["full"]:
            p = r["collection_parts_s"]
            rows.append(
                [
                    f"{r['shoppers']:,}",
                    f"{p['record']:.3f}",
                    f"{p['loyalty_stats']:.3f}",
                    f"{p['collect']:.3f}",
                    f"{p['tables']:.3f}",
                    f"{r['collection_s']:.3f}",
                    f"{r['total_s']:.2f}",
                    f"{100 * r['collection_share']:.1f}%",
                ]
            )
        lines += _table(
            [
                "shoppers",
                "metrics row s",
                "of which loyalty statistics s",
                "DataCollector s",
                "tables s",
                "collection s",
                "run s",
                "share",
            ],
            rows,
        )

    if "mesa" in results:
        first = results["mesa"][0]
        lines += [
            "## Mesa, one Agent per shopper, vs the vectorized engine",
            "",
            "The same core (utility of every store and fulfilment, logit choice, experience, "
            "satisfaction, expectation, loyalty and familiarity updates, daily fading) on the same "
            f"shoppers and stores over {first['days']} days: `benchmarks/mesa_core.py`. The vectorized "
            "time is the median of several runs; the Mesa version runs once (at small sizes as often).",
            "",
        ]
        rows = []
        for r in results["mesa"]:
            for x in (r["mesa"], r["vectorized"]):
                rows.append(
                    [
                        f"{r['shoppers']:,}",
                        x["implementation"],
                        f"{x['seconds']:.2f}",
                        f"{x.get('cpu_s', float('nan')):.2f}",
                        f"{x['shopper_days_per_s'] / 1e6:.3f}",
                        f"{x['decisions']:,}",
                        f"{x['purchases']:,}",
                        f"{x['mean_satisfaction']:.4f}",
                    ]
                )
        lines += _table(
            [
                "shoppers",
                "implementation",
                "seconds",
                "CPU seconds",
                "M shopper-days/s",
                "decisions",
                "purchases",
                "mean satisfaction",
            ],
            rows,
        )
        for r in results["mesa"]:
            g = r["agreement"]
            lines.append(
                f"- **{r['shoppers']:,} shoppers: the vectorized core is {r['speedup']:.1f}x faster** "
                f"({r.get('cpu_speedup', float('nan')):.1f}x in CPU time). The two draw different random "
                f"numbers, so they agree in distribution: the largest gap between their shares of the 16 "
                f"alternatives is {g['max_share_gap']:.4f} ({g['max_z']:.1f} standard errors), mean "
                f"satisfaction differs by {g['satisfaction_gap']:.4f}."
            )
        lines.append("")

    if "scaling" in results:
        sc = results["scaling"]
        lines += [
            "## How the cost grows",
            "",
            f"Full model, {plan['scale_days']} days (+ warm-up), one run each.",
            "",
        ]
        rows = []
        prev = None
        for r in sc["shoppers"]:
            per = r["total_s"] / r["shoppers"] * 1e6
            rows.append(
                [
                    f"{r['shoppers']:,}",
                    r["stores"],
                    f"{r['total_s']:.2f}",
                    f"{per:.1f}",
                    f"{1000 * r['total_s'] / (r['days'] + r.get('warmup_days', 0)):.2f}",
                    _m(r["shopper_days_per_s"]),
                    f"{r['peak_rss_mb']:.0f}",
                    ""
                    if prev is None
                    else f"{r['total_s'] / prev['total_s']:.2f}x for {r['shoppers'] / prev['shoppers']:.1f}x",
                ]
            )
            prev = r
        lines += [
            "By shoppers (5 stores). *ms per simulated day* divides the whole run by its days, warm-up "
            "included: at small sizes it stays near a floor, the per-day cost of Python and numpy calls that "
            "does not depend on the town's size (what the ensemble engine shares among towns: "
            "the section on it below).",
            "",
        ]
        lines += _table(
            [
                "shoppers",
                "stores",
                "wall s",
                "µs per shopper",
                "ms per simulated day",
                "M shopper-days/s",
                "peak RSS MB",
                "growth",
            ],
            rows,
        )
        rows = []
        first = sc["stores"][0]
        for r in sc["stores"]:
            extra = r["stores"] - first["stores"]
            per_store = (r["bytes_per_shopper"] - first["bytes_per_shopper"]) / extra if extra else None
            rows.append(
                [
                    r["stores"],
                    f"{r['shoppers']:,}",
                    f"{r['total_s']:.2f}",
                    f"{r['bytes_per_shopper']:.0f}",
                    "" if per_store is None else f"{per_store:.0f}",
                    f"{r['peak_rss_mb']:.0f}",
                ]
            )
        lines += ["By stores (the extra stores are physical chains):", ""]
        lines += _table(
            [
                "stores",
                "shoppers",
                "wall s",
                "bytes per shopper",
                "bytes per shopper per extra store",
                "peak RSS MB",
            ],
            rows,
        )

    if "sweep" in results:
        sw = results["sweep"]
        lines += [
            "## Sweep throughput",
            "",
            f"{sw['runs']} independent runs of {sw['shoppers']:,} shoppers x {sw['days']} days through "
            f"`{sw['api']}`, each configuration {sw.get('repeats', 1)} time(s), interleaved; the table "
            "shows the best repeat of each (the least disturbed by other processes; all repeats in "
            "*runs/s of each repeat*). "
            "*runs/s* is measured by the sweep driver once its executor is up; "
            "*with start-up* includes starting the pool or cluster. Efficiency = runs/s with k workers / "
            "(k x runs/s with 1).",
            "",
        ]
        rows = [
            [
                r["backend"],
                r["workers"],
                f"{r['wall_s']:.1f}",
                f"{r['runs_per_s']:.3f}",
                f"{r['runs_per_s_with_startup']:.3f}",
                _pct(r["efficiency"]),
                _pct(r["efficiency_with_startup"]),
                f"{r['worker_cpu_per_run_s']:.2f}",
                _pct(r["cpu_efficiency"]),
                _pct(r["cpu_obtained"]),
                ", ".join(f"{x:.3f}" for x in r.get("all_runs_per_s", [r["runs_per_s"]])),
                r["load_after"],
            ]
            for r in sw["results"]
        ]
        lines += _table(
            [
                "backend",
                "workers",
                "wall s",
                "runs/s",
                "runs/s with start-up",
                "efficiency",
                "efficiency with start-up",
                "worker CPU s per run",
                "CPU efficiency",
                "CPU obtained",
                "runs/s of each repeat",
                "load after",
            ],
            rows,
        )
        lines += [
            "*Worker CPU s per run* is the CPU time the workers spent per run; *CPU efficiency* = that "
            "time with 1 worker / with k workers (how much the workers slow each other down, through "
            "shared caches and memory bandwidth, with the driver's overhead on top). *CPU obtained* = "
            "worker CPU time / (k x wall time): below 100% when other processes on the machine took "
            "the cores, which lowers the wall-clock efficiency but is no property of cxsim."
            " The Dask cluster runs with Dask's statistical worker profiler off "
            "(`distributed.worker.profile.enabled = false`): it samples every worker thread's stack every "
            "10 ms, competes with the simulation for the GIL and the two cores, and cost about a fifth of "
            "the 2-worker throughput; the last rows measure Dask's default for comparison.",
            "",
        ]

    if "before_after" in results:
        ref = results["before_after"][0].get("ref", "?") if results["before_after"] else "?"
        lines += [
            "## Before and after, in this run",
            "",
            f"The model as of commit `{ref}` (exported with `git archive`, run by the same "
            "`benchmarks/child.py`) against this tree's, alternating run by run on the same machine, same "
            "sizes and seed; each side's least disturbed run (least CPU time) is shown. Seconds per phase "
            "of the day include the warm-up.",
            "",
        ]
        header = ["phase"]
        columns: list[tuple[str, dict[str, Any]]] = []
        for ba in results["before_after"]:
            b, a = ba["before"], ba["after"]
            size = f"{a['shoppers']:,} x {a['days']} d"
            header += [f"{size} before", f"{size} after"]
            columns += [("before", b), ("after", a)]
        rows = []
        for key, label in [
            ("total_s", "**whole run, s**"),
            ("cpu_s", "**CPU s**"),
            ("cpu_sim_shopper_days_per_s", "**M simulated shopper-days per CPU-second**"),
            ("collection_share", "**data collection**"),
        ]:
            cells = [label]
            for _, r in columns:
                v = r.get(key, float("nan"))
                cells.append(
                    _m(v)
                    if key == "cpu_sim_shopper_days_per_s"
                    else (f"{100 * v:.1f}%" if key == "collection_share" else f"{v:.2f}")
                )
            rows.append(cells)
        for phase in columns[0][1].get("phases_s", {}) if columns else ():
            cells = [f"{r['phases_s'].get(phase, float('nan')):.2f}" for _, r in columns]
            rows.append([f"`{phase}`", *cells])
        lines += _table(header, rows)
        for ba in results["before_after"]:
            b, a = ba["before"], ba["after"]
            lines.append(
                f"- {a['shoppers']:,} shoppers: {b['cpu_s'] / a['cpu_s']:.2f}x less CPU time, "
                f"{b['total_s'] / a['total_s']:.2f}x wall clock (load after {ba['load_after']})."
            )
        lines.append("")

    lines += saltelli_lines(results)
    lines += ensemble_lines(results)

    if NARRATIVE.is_file():
        lines += [NARRATIVE.read_text().rstrip(), ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
