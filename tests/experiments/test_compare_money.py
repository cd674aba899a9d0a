"""compare shows what a move costs and earns beside the share it wins (issue 13, item 5)."""

from __future__ import annotations

import pandas as pd

from cxsim.experiments.compare import comparison_table, store_summary


def stores_table(profit: float) -> pd.DataFrame:
    rows = []
    for day in (1, 2):
        for store, purchases, revenue in (("a", 3, 300.0), ("b", 1, 50.0)):
            rows.append(
                {
                    "day": day,
                    "store": store,
                    "label": store.upper(),
                    "kind": "physical",
                    "purchases": purchases,
                    "revenue": revenue,
                    "costs": revenue - profit,
                    "profit": profit,
                    "cash": 1000.0 + day * profit,
                    "nps": 10.0,
                    "is_open": True,
                }
            )
    return pd.DataFrame(rows)


def test_store_summary_has_revenue_share_costs_and_profit_over_the_window():
    s = store_summary(stores_table(profit=20.0), window_days=2).set_index("store")
    assert s.loc["a", "revenue_share"] == 600 / 700 and s.loc["b", "market_share"] == 0.25
    assert s.loc["a", "costs"] == 2 * 280.0 and s.loc["b", "profit"] == 40.0


def test_the_comparison_table_shows_costs_and_profit_per_store():
    summaries, tables = [], []
    for scen, profit in (("ref", 10.0), ("move", 30.0)):
        for rep in (0, 1, 2):
            summaries.append({"scenario": scen, "rep": rep, "window_days": 2, "online_share": 0.1})
            tables.append(store_summary(stores_table(profit + rep), 2).assign(scenario=scen, rep=rep))
    t = comparison_table(pd.DataFrame(summaries), pd.concat(tables), ["ref", "move"])
    profit = t[(t.metric == "profit:a") & (t.scenario == "move")].iloc[0]
    assert profit["diff"] == 40.0  # 20 a day more, over two days
    assert {"revenue_share:a", "costs:b", "profit:b"} <= set(t.metric)
