"""Switching: where a store's lost customers went and where its new ones came from.

Each purchase of the summary window is counted by the store of the shopper's
previous purchase (``from``: each purchase's ``previous_store``, the shopper's
``last_store`` before the sharing phase records this one) and the store of this
purchase (``to``). ``from == to`` is a repeat purchase; a purchase whose ``from``
is another store is a switch — a customer lost by ``from`` and won by ``to``.
First purchases (no previous store) are left out: they are not switching.

The model counts them per run as it records each day
(:class:`cxsim.model.journeys.WindowFlows`, also for towns run in an ensemble);
:func:`switching_table` makes a replication's counts a tidy table, summarised
over replications as the mean with its 95% interval (:func:`switching_summary`,
:func:`cxsim.core.stats.mean_ci`). A pair that does not occur in a replication
counts 0 there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cxsim.core.stats import mean_ci

__all__ = ["SWITCHING_COLUMNS", "switching_balance", "switching_summary", "switching_table"]

SWITCHING_COLUMNS = ("scenario", "rep", "from_store", "to_store", "purchases")
"""Columns of the per-replication ``switching`` table."""


def switching_table(stores: list[str], counts: np.ndarray, **tag: Any) -> pd.DataFrame:
    """Purchases by (previous store, store), ``counts`` ``(S, S)``, as a tidy table tagged with ``tag``.

    Every pair of ``stores`` is a row, zeros included.
    """
    n = len(stores)
    names = np.array(stores, dtype=object)
    frame = pd.DataFrame(
        {
            "from_store": np.repeat(names, n),
            "to_store": np.tile(names, n),
            "purchases": np.asarray(counts, dtype=np.int64).reshape(-1),
        }
    )
    return frame.assign(**tag)[list(SWITCHING_COLUMNS)]


def switching_summary(
    switching: pd.DataFrame, labels: dict[str, str] | None = None, level: float = 0.95
) -> pd.DataFrame:
    """Mean and CI over replications of each flow, per scenario.

    Columns: ``scenario``, ``from_store``, ``to_store``, their ``from_label`` and
    ``to_label``, ``kind`` (``switch`` or ``repeat``), ``n`` (replications),
    ``mean``, ``ci_low``, ``ci_high`` (purchases over the summary window), and
    ``share_of_lost``: the mean share of the from-store's switching customers'
    purchases that went to this store (NaN on repeat rows).
    """
    cols = [
        "scenario",
        "from_store",
        "to_store",
        "from_label",
        "to_label",
        "kind",
        "n",
        "mean",
        "ci_low",
        "ci_high",
        "share_of_lost",
    ]
    if switching.empty:
        return pd.DataFrame(columns=cols)
    labels = labels or {}
    rows: list[dict[str, Any]] = []
    for scen, g in switching.groupby("scenario", sort=False):
        wide = g.pivot_table(
            index="rep", columns=["from_store", "to_store"], values="purchases", aggfunc="sum", fill_value=0
        )
        lost = g[g["from_store"] != g["to_store"]].groupby(["rep", "from_store"])["purchases"].sum()
        for (a, b), values in wide.items():
            mean, lo, hi, _, n = mean_ci(values.to_numpy(dtype=float), level)
            share = np.nan
            if a != b:
                out = lost.xs(a, level="from_store").reindex(values.index, fill_value=0).to_numpy(float)
                with np.errstate(invalid="ignore", divide="ignore"):
                    frac = np.where(out > 0, values.to_numpy(float) / np.where(out > 0, out, 1), np.nan)
                share = float(np.nanmean(frac)) if np.isfinite(frac).any() else np.nan
            rows.append(
                {
                    "scenario": scen,
                    "from_store": a,
                    "to_store": b,
                    "from_label": labels.get(str(a), str(a)),
                    "to_label": labels.get(str(b), str(b)),
                    "kind": "repeat" if a == b else "switch",
                    "n": n,
                    "mean": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                    "share_of_lost": share,
                }
            )
    return pd.DataFrame(rows, columns=cols)


def switching_balance(
    switching: pd.DataFrame, labels: dict[str, str] | None = None, level: float = 0.95
) -> pd.DataFrame:
    """Per scenario and store: customers lost to rivals, won from rivals, and the net, with 95% CIs.

    ``lost`` counts purchases by the store's previous customers at another store,
    ``won`` purchases at the store by another store's previous customers, ``net =
    won - lost``; each is summed per replication, then averaged with its interval.
    Columns: ``scenario``, ``store``, ``label``, ``n`` and ``<what>``, ``<what>_ci_low``,
    ``<what>_ci_high`` for ``lost``, ``won`` and ``net``.
    """
    what = ("lost", "won", "net")
    cols = ["scenario", "store", "label", "n"] + [
        f"{w}{s}" for w in what for s in ("", "_ci_low", "_ci_high")
    ]
    if switching.empty:
        return pd.DataFrame(columns=cols)
    labels = labels or {}
    moved = switching[switching["from_store"] != switching["to_store"]]
    rows: list[dict[str, Any]] = []
    for scen, g in switching.groupby("scenario", sort=False):
        reps = sorted(set(g["rep"]))
        m = moved[moved["scenario"] == scen]
        lost = m.groupby(["from_store", "rep"])["purchases"].sum()
        won = m.groupby(["to_store", "rep"])["purchases"].sum()
        for store in dict.fromkeys(g["from_store"]):
            values = {
                "lost": _per_rep(lost, str(store), reps),
                "won": _per_rep(won, str(store), reps),
            }
            values["net"] = values["won"] - values["lost"]
            row: dict[str, Any] = {
                "scenario": scen,
                "store": store,
                "label": labels.get(str(store), str(store)),
            }
            for w in what:
                mean, lo, hi, _, n = mean_ci(values[w], level)
                row.update({w: mean, f"{w}_ci_low": lo, f"{w}_ci_high": hi, "n": n})
            rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def _per_rep(sums: pd.Series, store: str, reps: list[Any]) -> np.ndarray:
    if store not in sums.index.get_level_values(0):
        return np.zeros(len(reps))
    out: np.ndarray = sums.xs(store, level=0).reindex(reps, fill_value=0).to_numpy(dtype=float)
    return out
