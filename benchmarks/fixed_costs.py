"""Fixed costs that give each baseline store a normal return at the steady state.

    .venv/bin/python -m benchmarks.fixed_costs              # 10 seeds, 10,000 shoppers, 365 days
    .venv/bin/python -m benchmarks.fixed_costs --reps 3 --shoppers 3000 --margin 0.03
    .venv/bin/python -m benchmarks.fixed_costs --scenario giant_enters --no-events  # before the giant

A store's fixed cost (rent and overheads, per day per 1,000 shoppers) is not observed
in the model's sources: it is set so that, in the baseline at its steady state (the
recorded year after the warm-up), each store earns ``margin`` of its kept revenue as
profit. Free entry drives a market's long-run profits to a normal return (Bresnahan
and Reiss 1991, J. Political Economy 99:977); retail net margins are low single-digit
percentages of sales, hence the default 3% (an assumption, docs/PARAMETERS.md).

For every store: the mean over seeds of its yearly kept revenue ``R`` and profit
``P`` at its current fixed cost ``F``; the fixed cost that turns ``P`` into
``margin x R`` on the same purchases is ``F + (P - margin x R) / (365 x scale)``
(``scale`` = shoppers / 1,000). Purchases depend on the fixed cost only through a
closure, so when no store closes the result is exact on the same seeds; the tool
prints each store's profit before and the profit the new value gives.

``--scenario`` measures another town the same way; ``--no-events`` runs it without its
events (``giant_enters``: the four shops as they trade before the giant arrives), and
counts the whole recorded horizon as years. A store that closes cannot be measured:
every store trades with cash enough never to exit while it is measured (an override of
its ``cash``; cash decides nothing else in a town without strategies).
"""

from __future__ import annotations

import argparse

import numpy as np

from cxsim.experiments.runner import Replication, run_replications
from cxsim.model.cxmodel import CXModel
from cxsim.model.scenario import Scenario, load_scenario

YEAR = 365
NEVER_EXIT_CASH = 1e9
"""Cash (per 1,000 shoppers) with which no store exits while it is measured."""


def store_year(spec: Scenario) -> dict[str, tuple[float, float, bool]]:
    """Each store's kept revenue and profit over the recorded days, and whether it stayed open."""
    model = CXModel(spec)
    model.run()
    st = model.store_table()
    st = st[st["day"] >= 1]
    last = st["day"].max()
    return {
        str(name): (
            float(g["revenue"].sum()),
            float(g["profit"].sum()),
            bool(g.loc[g["day"] == last, "is_open"].iloc[0]),
        )
        for name, g in st.groupby("store", sort=False)
    }


def main() -> None:
    """Command line: print the fixed cost per store that gives the margin."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shoppers", type=int, default=10_000)
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--margin", type=float, default=0.03)
    p.add_argument("--scenario", default="baseline")
    p.add_argument("--no-events", action="store_true", help="run the scenario without its events")
    a = p.parse_args()
    town = load_scenario(a.scenario)
    overrides = (
        f"town.shoppers={a.shoppers}",
        *(("events=[]",) if a.no_events else ()),
        *(f"stores.{name}.cash={NEVER_EXIT_CASH}" for name in town.stores),
    )
    reps = [Replication(a.scenario, seed, store_year, overrides, YEAR) for seed in range(1, a.reps + 1)]
    values = run_replications(reps, workers=a.workers)
    scale = a.shoppers / 1000.0
    print(
        f"{a.scenario}{' without its events' if a.no_events else ''}, {a.shoppers:,} shoppers, "
        f"{YEAR} days after the {town.warmup_days}-day warm-up, seeds 1-{a.reps}; "
        f"target profit {a.margin:.1%} of kept revenue"
    )
    print("store          kept revenue   profit   open   fixed_cost now -> for the margin")
    for name, store in town.stores.items():  # the overrides change no fixed cost
        revenue = float(np.mean([v[name][0] for v in values]))
        profit = float(np.mean([v[name][1] for v in values]))
        open_runs = sum(v[name][2] for v in values)
        new = store.fixed_cost + (profit - a.margin * revenue) / (YEAR * scale)
        print(
            f"{name:14} {revenue:12,.0f} {profit:8,.0f} {open_runs:3}/{a.reps}"
            f"   {store.fixed_cost:8.2f} -> {new:8.2f}"
        )


if __name__ == "__main__":
    main()
