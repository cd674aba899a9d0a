"""The comparison table: headline and store metrics per scenario, and paired differences.

Mean and 95% CI over replications (:func:`cxsim.core.stats.mean_ci`) of each
headline metric of the metric registry, per scenario, and the mean of the paired
differences against the reference with its own interval (common random numbers:
replication ``r`` of every scenario shares its seed). NPS labels name their
window (:func:`windowed_label`).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cxsim.core.stats import mean_ci
from cxsim.model.registry import Metric, metric

__all__ = ["HEADLINE", "STORE_METRICS", "comparison_table", "windowed_label"]

HEADLINE: tuple[Metric, ...] = tuple(
    metric(name, "summary")
    for name in (
        "online_share",
        "online_revenue_share",
        "share_delivery",
        "share_pickup",
        "showrooming_rate",
        "webrooming_rate",
        "share_shoppers_showroomed",
        "share_shoppers_webroomed",
        "return_rate",
        "mean_satisfaction",
        "nps",
        "churn_events",
        "purchases",
        "revenue",
        "stores_closed",
    )
)
"""Headline metrics of the comparison table (names, labels and units from the metric registry)."""
STORE_METRICS: tuple[Metric, ...] = tuple(
    metric(name, "store_summary")
    for name in ("market_share", "revenue_share", "costs", "profit", "nps", "cash")
)
"""Per-store metrics of the comparison table (market and revenue share, costs, profit and NPS over
the window, final cash): what a move costs and earns beside the share it wins."""


def comparison_table(
    replications: pd.DataFrame,
    stores: pd.DataFrame,
    scenarios: list[str],
    level: float = 0.95,
    reference: str | None = None,
) -> pd.DataFrame:
    """Mean and CI per scenario of each headline metric, and the paired difference against the reference.

    The reference is ``reference`` (default: the first scenario); its name is in
    the ``baseline`` column. Store metrics are rows ``market_share · <store>`` etc.;
    a store absent from a scenario has no row for it.
    """
    rows: list[dict[str, Any]] = []
    first = reference if reference is not None else scenarios[0]
    window = int(replications["window_days"].max()) if "window_days" in replications else None

    def add(m: Metric, name: str, label: str, values: pd.DataFrame, store: str | None) -> None:
        wide = values.pivot_table(index="rep", columns="scenario", values="value", aggfunc="first")
        for scen in scenarios:
            if scen not in wide:
                continue
            mean, lo, hi, sd, n = mean_ci(wide[scen].to_numpy(), level)
            row: dict[str, Any] = {
                "metric": name,
                "label": label,
                "store": store,
                "unit": m.unit,
                "scenario": scen,
                "n": n,
                "mean": mean,
                "sd": sd,
                "ci_low": lo,
                "ci_high": hi,
                "baseline": first,
                "diff": math.nan,
                "diff_ci_low": math.nan,
                "diff_ci_high": math.nan,
            }
            if scen != first and first in wide:
                d = (wide[scen] - wide[first]).to_numpy()
                dm, dlo, dhi, _, _ = mean_ci(d, level)
                row.update(diff=dm, diff_ci_low=dlo, diff_ci_high=dhi)
            rows.append(row)

    for m in HEADLINE:
        if m.name not in replications:
            continue
        values = replications[["scenario", "rep", m.name]].rename(columns={m.name: "value"})
        add(m, m.name, windowed_label(m, window), values, None)
    order = list(dict.fromkeys(stores["store"]))
    labels = stores.drop_duplicates("store").set_index("store")["label"]
    for m in STORE_METRICS:
        if m.name not in stores:  # a comparison written before the metric existed
            continue
        for store in order:
            sub = stores[stores["store"] == store]
            values = sub[["scenario", "rep", m.name]].rename(columns={m.name: "value"})
            add(m, f"{m.name}:{store}", f"{windowed_label(m, window)} · {labels[store]}", values, store)
    return pd.DataFrame(rows)


def windowed_label(m: Metric, window_days: int | None) -> str:
    """A metric's label, with its window named for NPS: ``NPS (all stores, last 365 days)``.

    NPS has several windows in the model (a trailing one per day, the summary
    window): wherever it is shown, the label says which.
    """
    if m.unit != "score" or not window_days:
        return m.label
    words = f"last {window_days} days"
    if m.label.endswith(")"):
        return f"{m.label[:-1]}, {words})"
    return f"{m.label} ({words})"
