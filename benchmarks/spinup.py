"""Spin-up diagnosis for issue 14, item 1: what drifts after the warm-up, and what a steady state costs.

Runs the baseline with :class:`cxsim.model.cxmodel.CXModel` for ``--years`` years after a
``--warmup``-day warm-up, at ``--seeds`` seeds and ``--shoppers`` shoppers, one run at a
time, and writes (to ``--out``, a directory):

* ``state.csv``: the town-wide means of the slow state variables at day 0 (the end of
  the warm-up) and at the end of each year: loyalty, highest loyalty, familiarity,
  digital habit, belief mean and variance (overall and over the 9 attributes), share of
  (shopper, store) pairs avoided, and per store mean loyalty, familiarity, expectation
  (belief about the whole experience) and mean overall signal of the recent reviews;
* ``drift.csv``: the drift table of :mod:`cxsim.experiments.validation_drift` (each
  year's mean difference from the last year over the seeds, the largest shown);
* ``yearly.csv``: the yearly values of the drift metrics per seed;
* ``wall.csv``: wall and CPU time of each run (warm-up included).

``--spinup N`` is a PROTOTYPE (issue 14 investigation, not wired into any default): the
warm-up is run on an ``N``-shopper town (same scenario and seed), then each shopper of
the full town is given the slow state (loyalty, familiarity, habit, beliefs, avoidance,
last purchase, and the day of the next need) of the small-town shopper of the same
segment with the nearest home, and the stores' review boards are copied (counts scaled
by the town sizes). The full town then runs a ``--tail``-day
warm-up of its own before day 1. The small town's cost is part of the wall time.

Example (the commands of docs/VALIDATION.md, "Spin-up"):

    PYTHONPATH=. .venv/bin/python benchmarks/spinup.py --warmup 90 --out /tmp/spin90
    PYTHONPATH=. .venv/bin/python benchmarks/spinup.py --warmup 730 --spinup 1000 --tail 30
    PYTHONPATH=. .venv/bin/python benchmarks/spinup.py --warmup 1460 --spinup 5000 --tail 90 \\
        --copy belief_mean,belief_var     # attribution: only the beliefs of a spun-up twin town
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from cxsim.experiments.validation_drift import TOLERANCES, drift_table, replication_years
from cxsim.model.cxmodel import CXModel
from cxsim.rules.beliefs import OVERALL

SLOW = (
    "loyalty",
    "familiarity",
    "habit",
    "belief_mean",
    "belief_var",
    "avoid_until",
    "last_store",
    "last_fulfilment",
    "last_purchase",
    "next_need",
)
"""Per-shopper arrays the --spinup prototype copies (the slow state, and when the next need falls)."""
DAYS = frozenset({"avoid_until", "last_purchase", "next_need"})
"""Of these, the arrays that hold a day (shifted by the full town's own warm-up when copied)."""


def sample_state(m: CXModel, day: int, n_recent: int = 200) -> dict[str, Any]:
    """Town-wide means of the slow state variables at the end of ``day``."""
    a = m.shoppers
    prior_var = m.spec.behaviour.beliefs.prior_sd**2
    row: dict[str, Any] = {
        "day": day,
        "loyalty": float(a.loyalty.mean()),
        "max_loyalty": float(a.loyalty.max(axis=1).mean()),
        "familiarity": float(a.familiarity.mean()),
        "habit": float(a.habit.mean()),
        "belief_overall": float(a.belief_mean[:, :, OVERALL].mean()),
        "belief_all": float(a.belief_mean.mean()),
        "belief_var_overall": float(a.belief_var[:, :, OVERALL].mean()),
        "belief_var_all": float(a.belief_var.mean()),
        "avoided": float((a.avoid_until > day).mean()),
        "uninformed": float((a.belief_var[:, :, OVERALL] >= 0.999 * prior_var).mean()),
    }
    rb = m.reviews
    for s in m.stores:
        i = s.index
        row[f"loyalty_{s.name}"] = float(a.loyalty[:, i].mean())
        row[f"familiarity_{s.name}"] = float(a.familiarity[:, i].mean())
        row[f"expectation_{s.name}"] = float(a.belief_mean[:, i, OVERALL].mean())
        row[f"avoided_{s.name}"] = float((a.avoid_until[:, i] > day).mean())
        row[f"uninformed_{s.name}"] = float((a.belief_var[:, i, OVERALL] >= 0.999 * prior_var).mean())
        row[f"rating_{s.name}"] = float(s.rating)
        k = int(min(rb.head[i], rb.recent, n_recent))
        if k:
            slots = (rb.head[i] - 1 - np.arange(k)) % rb.recent
            row[f"reviews_{s.name}"] = float(np.nanmean(rb.signals[i, slots, OVERALL]))
        else:
            row[f"reviews_{s.name}"] = float("nan")
    return row


def seed_from_small_town(
    big: CXModel, small: CXModel, shift: int = 0, copy: frozenset[str] = frozenset((*SLOW, "reviews"))
) -> None:
    """PROTOTYPE: copy the small town's per-shopper slow state to the big town.

    Each big-town shopper takes the state of the small-town shopper of the same segment
    whose home is nearest (distances to the stores, hence loyalties, stay plausible).
    Days (next need, avoidance, last purchase) move back by ``shift``: the small town's
    day 0 becomes the big town's day ``-shift``, where its own warm-up starts. ``copy``
    names the arrays copied (of :data:`SLOW`, and "reviews" for the review boards;
    ``next_need`` is always copied, else nobody shops in the tail before the first needs); with
    a town of the same size and seed the shoppers are the same, so copying a part of the
    state attributes the drift to it.
    """
    a, b = big.shoppers, small.shoppers
    for seg in range(len(big.segment_names)):
        dst = np.flatnonzero(a.segment == seg)
        src = np.flatnonzero(b.segment == seg)
        if dst.size == 0 or src.size == 0:
            continue
        pick = src[cKDTree(b.home[src]).query(a.home[dst])[1]]
        for name in SLOW:
            if name not in copy and name != "next_need":  # when needs fall: always copied
                continue
            getattr(a, name)[dst] = getattr(b, name)[pick] - (shift if name in DAYS else 0)
    if "reviews" not in copy:
        return
    scale = big.spec.town.shoppers / small.spec.town.shoppers
    big.reviews.signals[:] = small.reviews.signals
    big.reviews.head[:] = np.round(small.reviews.head * scale).astype(np.int64)
    big.reviews.star_sum[:] = np.round(small.reviews.star_sum * scale).astype(np.int64)


def one_run(
    args: argparse.Namespace, seed: int
) -> tuple[list[dict[str, Any]], pd.DataFrame, pd.DataFrame, float, float]:
    """One seed: the state at day 0 and each year end, the daily tables, the wall time."""
    days = args.years * 365
    base = [f"town.shoppers={args.shoppers}", "collect_every=1", *args.set]
    t0, c0 = time.perf_counter(), time.process_time()
    if args.spinup:
        small = CXModel(
            "baseline",
            rng=seed,
            days=days,
            overrides=[*base, f"town.shoppers={args.spinup}", f"warmup_days={args.warmup}"],
        )
        m = CXModel("baseline", rng=seed, days=days, overrides=[*base, "warmup_days=0"])
        seed_from_small_town(m, small, args.tail, frozenset(args.copy.split(",")))
        for warm_day in range(1 - args.tail, 1):
            m.simulate_day(warm_day, warm=True)
    else:
        m = CXModel("baseline", rng=seed, days=days, overrides=[*base, f"warmup_days={args.warmup}"])
    states = [sample_state(m, 0)]
    for day in range(1, days + 1):
        m.step()
        if day % 365 == 0:
            states.append(sample_state(m, day))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    for s in states:
        s["seed"] = seed
    return states, m.timeseries(), m.store_table(), wall, cpu


def main(argv: list[str] | None = None) -> None:
    """Command line: see the module docstring."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--warmup", type=int, default=90, help="warm-up days (default 90, the scenario's)")
    p.add_argument("--years", type=int, default=5, help="years after the warm-up (default 5)")
    p.add_argument("--seeds", type=int, default=3, help="seeds 42, 43, ... (default 3)")
    p.add_argument("--shoppers", type=int, default=5000, help="shoppers (default 5,000)")
    p.add_argument(
        "--spinup",
        type=int,
        default=0,
        help="PROTOTYPE: run the warm-up on a town of this many shoppers, copy its state by segment",
    )
    p.add_argument("--tail", type=int, default=30, help="with --spinup: the full town's own warm-up days")
    p.add_argument(
        "--copy",
        default=",".join((*SLOW, "reviews")),
        help="with --spinup: the arrays copied, comma-separated (default: all of them and 'reviews')",
    )
    p.add_argument("--set", action="append", default=[], help="PATH=VALUE override (repeatable)")
    p.add_argument("--out", type=Path, default=None, help="directory for the CSV files")
    args = p.parse_args(argv)
    states, runs, walls = [], {}, []
    for seed in range(42, 42 + args.seeds):
        st, ts, stores, wall, cpu = one_run(args, seed)
        states += st
        runs[seed] = (ts, stores)
        walls.append({"seed": seed, "wall_s": wall, "cpu_s": cpu})
        print(f"seed {seed}: {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    yearly = replication_years(runs, args.years)
    table = drift_table(yearly, args.years, TOLERANCES)
    state = pd.DataFrame(states)
    pd.set_option("display.width", 200)
    mean_state = state.drop(columns="seed").groupby("day").mean()
    print(mean_state.T.to_string(float_format=lambda v: f"{v:.4f}"))
    cols = [
        "metric",
        "store",
        *[f"year_{y}" for y in range(1, args.years + 1)],
        "year",
        "value",
        "ci_low",
        "ci_high",
        "passed",
    ]
    print(table[cols].to_string(index=False))
    w = pd.DataFrame(walls)
    print(f"per run: mean {w['wall_s'].mean():.1f} s wall, {w['cpu_s'].mean():.1f} s CPU")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        state.to_csv(args.out / "state.csv", index=False)
        table.to_csv(args.out / "drift.csv", index=False)
        yearly.to_csv(args.out / "yearly.csv", index=False)
        pd.DataFrame(walls).to_csv(args.out / "wall.csv", index=False)


if __name__ == "__main__":
    main()
