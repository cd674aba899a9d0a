"""Profile one full-model run and print where the time goes.

    .venv/bin/python -m benchmarks.profile --shoppers 100000 --days 365 [--top 25]

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
    args = parser.parse_args(argv)
    spec = load_scenario("baseline", [f"town.shoppers={args.shoppers}"], days=args.days, seed=1)
    if args.pyinstrument:
        from pyinstrument import Profiler

        with Profiler() as prof:
            CXModel(spec).run()
        print(prof.output_text(unicode=True, color=False))
        return
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    CXModel(spec).run()
    prof.disable()
    wall = time.perf_counter() - t0
    for key in ("cumulative", "tottime"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats(key).print_stats(args.top)
        print(buf.getvalue())
    print(f"wall {wall:.2f} s for {args.shoppers:,} shoppers x {args.days} days (+ warm-up)")
    print("phases (seconds, warm-up included):")
    for name, sec in phase_times(args.shoppers, args.days).items():
        print(f"  {name:24s} {sec:8.3f}")


if __name__ == "__main__":
    main()
