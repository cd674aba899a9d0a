"""The customer-experience lever table: each lever's effect on its store's market share and NPS.

    .venv/bin/python -m benchmarks.levers      # 10 paired replications, 5,000 shoppers, 365 days
    .venv/bin/python -m benchmarks.levers --reps 3 --shoppers 2000 --workers 2 --out /tmp/levers.md
    .venv/bin/python -m benchmarks.levers --only "cross-channel returns" --reps 5

For every lever the baseline and the baseline with the lever changed run with the
same seeds (1..reps; common random numbers). The table gives, for the lever's
store, the mean paired difference of its market share (its purchases over all
purchases of the recorded year, in percentage points) and of its NPS (the mean
over the year of its daily rolling 30-day NPS), with 95% t-intervals
(:func:`cxsim.core.stats.mean_ci`). Replications run on the one runner
(:mod:`cxsim.experiments.runner`). docs/VALIDATION.md quotes the output.
"""

from __future__ import annotations

import argparse
import functools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxsim.core.stats import mean_ci
from cxsim.experiments.runner import Replication, run_replications
from cxsim.model.cxmodel import CXModel
from cxsim.model.scenario import Scenario


@dataclass(frozen=True)
class Lever:
    """One lever: a name, the store it belongs to, the override, the expected direction of its share."""

    name: str
    store: str
    override: str
    change: str
    expected: int
    """+1: the store's share should rise; -1: fall."""


LEVERS: tuple[Lever, ...] = (
    Lever("service quality", "chain", "stores.chain.service_quality=0.75", "0.55 -> 0.75", +1),
    Lever("personalization", "chain", "stores.chain.personalization=0.6", "0.2 -> 0.6", +1),
    Lever("after-sales care", "chain", "stores.chain.after_sales=0.95", "0.55 -> 0.95", +1),
    Lever("delivery days", "giant", "stores.giant.delivery_days=4.0", "2 -> 4 days", -1),
    Lever("delivery reliability", "giant", "stores.giant.delivery_reliability=0.7", "0.94 -> 0.70", -1),
    Lever("return policy", "omni", "stores.omni.return_leniency=0.95", "0.65 -> 0.95", +1),
    Lever("cross-channel returns", "omni", "stores.omni.cross_channel_returns=false", "on -> off", -1),
    Lever("channel consistency", "omni", "stores.omni.channel_consistency=0.5", "0.95 -> 0.5", -1),
    Lever("atmosphere", "chain", "stores.chain.atmosphere=0.8", "0.5 -> 0.8", +1),
    Lever("word-of-mouth reach", "chain", "behaviour.word_of_mouth.reach=0", "3 -> 0 (off)", +1),
    Lever("review reading", "chain", "behaviour.beliefs.reviews_read=0", "10 -> 0 (off)", +1),
)
"""The levers. Word of mouth and reviews carry the chain's weaker experience (NPS lowest of the
physical stores) to shoppers who have not had it: turned off, the chain should gain."""


def store_outcomes(spec: Scenario) -> dict[str, tuple[float, float, float]]:
    """Each store's market share of the run (purchases / all purchases), mean daily NPS, deliveries."""
    model = CXModel(spec)
    model.run()
    st = model.store_table()
    st = st[st["day"] >= 1]
    total = float(st["purchases"].sum())
    out = {}
    for name, g in st.groupby("store"):
        out[str(name)] = (
            float(g["purchases"].sum()) / total,
            float(g["nps"].mean()),
            float(g["delivery"].sum()),
        )
    return out


CI = tuple[float, float, float, float, int]


def lever_table(
    shoppers: int, days: int, reps: int, workers: int, levers: tuple[Lever, ...] = LEVERS
) -> tuple[list[dict[str, Any]], float]:
    """Run the baseline and ``levers`` at ``reps`` paired seeds; rows of the table and seconds taken."""
    base = ("town.shoppers=" + str(shoppers),)
    collect = functools.partial(store_outcomes)
    variants = [("baseline", base), *((lv.name, (*base, lv.override)) for lv in levers)]
    reps_list = [
        Replication("baseline", seed, collect, overrides, days, key=(name, seed))
        for name, overrides in variants
        for seed in range(1, reps + 1)
    ]
    started = time.perf_counter()
    values = run_replications(reps_list, workers=workers)
    by_key = {r.key: v for r, v in zip(reps_list, values, strict=True)}
    rows = []
    for lv in levers:
        d_share = [
            100 * (by_key[(lv.name, s)][lv.store][0] - by_key[("baseline", s)][lv.store][0])
            for s in range(1, reps + 1)
        ]
        d_nps = [
            by_key[(lv.name, s)][lv.store][1] - by_key[("baseline", s)][lv.store][1]
            for s in range(1, reps + 1)
        ]
        d_delivery = [
            100 * (by_key[(lv.name, s)][lv.store][2] / by_key[("baseline", s)][lv.store][2] - 1)
            if by_key[("baseline", s)][lv.store][2] > 0
            else float("nan")
            for s in range(1, reps + 1)
        ]
        base_share = sum(by_key[("baseline", s)][lv.store][0] for s in range(1, reps + 1)) / reps
        every = {
            name: mean_ci(
                [
                    100 * (by_key[(lv.name, s)][name][0] - by_key[("baseline", s)][name][0])
                    for s in range(1, reps + 1)
                ]
            )
            for name in by_key[("baseline", 1)]
        }
        rows.append(
            {
                "every": every,
                "lever": lv,
                "base_share": 100 * base_share,
                "share": mean_ci(d_share),
                "nps": mean_ci(d_nps),
                "delivery": mean_ci(d_delivery),
            }
        )
    return rows, time.perf_counter() - started


def markdown(rows: list[dict[str, Any]], shoppers: int, days: int, reps: int, seconds: float) -> str:
    """The table as Markdown."""
    lines = [
        f"`python -m benchmarks.levers --shoppers {shoppers} --days {days} --reps {reps}` "
        f"({seconds:.0f} s): paired difference lever - baseline, mean [95% CI], seeds 1-{reps}.",
        "",
        "| lever | store | change | store's share (baseline) | Δ market share, pp | Δ NPS "
        "| Δ store's deliveries, % | share as expected |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lv = r["lever"]
        assert isinstance(lv, Lever)
        share: CI = r["share"]
        nps: CI = r["nps"]
        sm, slo, shi = share[:3]
        nm, nlo, nhi = nps[:3]
        delivery: CI = r["delivery"]
        dm, dlo, dhi = delivery[:3]
        deliveries = "—" if dm != dm else f"{dm:+.1f} [{dlo:+.1f}, {dhi:+.1f}]"
        resolved = slo > 0 or shi < 0
        ok = "yes" if resolved and (sm > 0) == (lv.expected > 0) else ("no" if resolved else "not resolved")
        lines.append(
            f"| {lv.name} | {lv.store} | {lv.change} | {r['base_share']:.1f}% | "
            f"{sm:+.2f} [{slo:+.2f}, {shi:+.2f}] | {nm:+.1f} [{nlo:+.1f}, {nhi:+.1f}] | {deliveries} | {ok} |"
        )
    lines += [
        "",
        "Every store's Δ market share (pp, mean [95% CI]) under each lever:",
        "",
    ]
    stores = list(rows[0]["every"])
    lines.append("| lever | " + " | ".join(stores) + " |")
    lines.append("|---|" + "---|" * len(stores))
    for r in rows:
        lv = r["lever"]
        assert isinstance(lv, Lever)
        every = r["every"]
        assert isinstance(every, dict)
        cells = [f"{every[n][0]:+.2f} [{every[n][1]:+.2f}, {every[n][2]:+.2f}]" for n in stores]
        lines.append(f"| {lv.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Command line: run the table and print (or write) it."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shoppers", type=int, default=5000)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", type=Path, default=None)
    names = [lv.name for lv in LEVERS]
    p.add_argument(
        "--only",
        action="append",
        choices=names,
        metavar="LEVER",
        help="run only this lever (repeatable): " + ", ".join(names),
    )
    a = p.parse_args()
    levers = tuple(lv for lv in LEVERS if not a.only or lv.name in a.only)
    rows, seconds = lever_table(a.shoppers, a.days, a.reps, a.workers, levers)
    text = markdown(rows, a.shoppers, a.days, a.reps, seconds)
    if a.out is not None:
        a.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
