"""Profile one full-model run and print where the time goes.

    .venv/bin/python -m benchmarks.profile --shoppers 100000 --days 365 [--top 25]
    .venv/bin/python -m benchmarks.profile --shoppers 10000 --towns 10   # an ensemble of 10 towns

Uses cProfile (the model makes few, large numpy calls, so its overhead is small)
and prints the functions with the most cumulative and own time, plus a
breakdown of the model's day into its phases. ``--pyinstrument`` prints a
pyinstrument call tree instead.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from collections.abc import Callable

from cxsim.model import phases as day_phases
from cxsim.model.cxmodel import CXModel
from cxsim.model.scenario import load_scenario

PHASES = ("calendar", "needs", "research", "choice", "fulfilment", "experience", "sharing", "stores")
"""The phases of the day (functions of :mod:`cxsim.model.phases`) that are timed; the collection phase
is timed as ``record_day`` and ``datacollector.collect``."""


def phase_times(shoppers: int, days: int, seed: int = 1) -> dict[str, float]:
    """Seconds spent in each phase of the day (wrapped methods) over one run, warm-up included."""
    spec = load_scenario("baseline", [f"town.shoppers={shoppers}"], days=days, seed=seed)
    totals = {p: 0.0 for p in (*PHASES, "datacollector.collect")}
    originals = {p: getattr(day_phases, p) for p in PHASES}

    def wrap(name, fn):
        def timed(self, *args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(self, *args, **kwargs)
            finally:
                totals[name] += time.perf_counter() - t0

        return timed

    for p, fn in originals.items():
        setattr(day_phases, p, wrap(p, fn))
    try:
        t0 = time.perf_counter()
        model = CXModel(spec)
        collect = model.datacollector.collect

        def timed_collect(m):
            t = time.perf_counter()
            collect(m)
            totals["datacollector.collect"] += time.perf_counter() - t

        model.datacollector.collect = timed_collect
        model.run()
        totals["total"] = time.perf_counter() - t0
    finally:
        for p, fn in originals.items():
            setattr(day_phases, p, fn)
    return totals


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shoppers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument(
        "--towns", type=int, default=1, help="profile an ensemble of this many towns (seeds 1..)"
    )
    args = parser.parse_args(argv)
    spec = load_scenario("baseline", [f"town.shoppers={args.shoppers}"], days=args.days, seed=1)
    if args.towns > 1:
        _profile_ensemble(args.shoppers, args.days, args.towns, args.top)
        return
    if args.pyinstrument:
        from pyinstrument import Profiler

        with Profiler() as prof:
            CXModel(spec).run()
        print(prof.output_text(unicode=True, color=False))
        return
    wall = _cprofile(lambda: CXModel(spec).run(), ("cumulative", "tottime"), args.top)
    print(f"wall {wall:.2f} s for {args.shoppers:,} shoppers x {args.days} days (+ warm-up)")
    print("phases (seconds, warm-up included):")
    for name, sec in phase_times(args.shoppers, args.days).items():
        print(f"  {name:24s} {sec:8.3f}")


def _cprofile(run: Callable[[], object], keys: tuple[str, ...], top: int) -> float:
    """cProfile ``run()``, print its ``top`` functions by each of ``keys``; return the wall clock."""
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    run()
    prof.disable()
    wall = time.perf_counter() - t0
    for key in keys:
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats(key).print_stats(top)
        print(buf.getvalue())
    return wall


def _profile_ensemble(shoppers: int, days: int, towns: int, top: int) -> None:
    """cProfile of ``towns`` towns of the baseline run together (:class:`cxsim.model.ensemble.Ensemble`)."""
    from cxsim.model.ensemble import Ensemble

    specs = [
        load_scenario("baseline", [f"town.shoppers={shoppers}"], days=days, seed=seed)
        for seed in range(1, towns + 1)
    ]
    wall = _cprofile(lambda: Ensemble(specs).run(), ("tottime",), top)
    print(f"wall {wall:.2f} s for {towns} towns of {shoppers:,} shoppers x {days} days (+ warm-up)")


if __name__ == "__main__":
    main()
