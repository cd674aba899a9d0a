"""Measures of validation that one run's summary does not hold.

Three patterns of docs/VALIDATION.md need more than a summary column:

* **Price elasticities (P7).** A store's own-price elasticity of its purchases is
  measured by a small paired change of its own price (``± step``, rivals fixed)
  run on the same seeds (common random numbers), as a symmetric arc elasticity;
  the category elasticity changes every store's price together and counts all
  purchases. Bijmolt, van Heerde and Pieters (2005, JMR 42:141) find a mean price
  elasticity of −2.62 over 1,851 estimates.
* **A promotion's decomposition (P8).** Against the same town without the
  promotion (same seeds and days), the promoting store's extra purchases on the
  promotion's days, the share of them its rivals lost on those days (switching;
  about one third in van Heerde, Gupta and Wittink 2003, JMR 40:481), the category's
  shortfall in the days after (acceleration: the post-promotion dip) and the rest
  (category expansion), counted by :mod:`cxsim.experiments.promotions` (the
  decomposition ``compare`` and the report show) and turned into shares here.
* **Double jeopardy (P10).** Each store's penetration (share of the town's shoppers
  who bought there in the summary window) and purchases per buyer, from the
  run's purchases (Ehrenberg, Goodhardt and Barwise 1990, J. Marketing 54(3):82).

The arithmetic is pure functions of tables, tested on synthetic cases with a
known answer (tests/experiments/test_validation.py); :mod:`cxsim.experiments.validation`
schedules the runs and hands the results to these functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxsim.model.scenario import Scenario

ELASTICITY_STEP = 0.03
"""Relative price change of the paired runs (± 3%): small enough to be local, large
enough that a store's purchases move well beyond seed noise with common random numbers."""

CATEGORY = "*"
"""The variant name for every store's price changed together."""

ELASTICITY_MEASURES: dict[str, str] = {
    "own_price_elasticity_mean": "purchase-weighted mean of the stores' own-price elasticities",
    "own_price_elasticity_min": "the most elastic store's own-price elasticity (most negative)",
    "own_price_elasticity_max": "the least elastic store's own-price elasticity",
    "category_price_elasticity": "elasticity of all purchases to every store's price changed together",
}
PROMOTION_MEASURES: dict[str, str] = {
    "promotion_extra": "the promoting store's extra kept purchases on the promotion's days",
    "promotion_switching_share": "share of the promoting store's extra purchases lost by its rivals",
    "promotion_acceleration_share": "category shortfall in the days after the promotion, per extra purchase",
    "promotion_expansion_share": "the rest: 1 - switching - acceleration",
    "promotion_post_dip": "category purchases after the promotion below the same days without it (share)",
}
PURCHASE_MEASURES: dict[str, str] = {
    "dj_rank_penetration": "rank correlation of the stores' market share with their penetration",
    "dj_rank_frequency": "rank correlation of the stores' market share with purchases per buyer",
    "dj_penetration_ratio": "largest over smallest penetration among the stores",
    "dj_frequency_ratio": "largest over smallest purchases per buyer among the stores",
}
MEASURES: dict[str, str] = {**ELASTICITY_MEASURES, **PROMOTION_MEASURES, **PURCHASE_MEASURES}
"""Names a pattern's metric may use besides the summary columns, with what they measure."""


# =========================================================================== elasticities


def arc_elasticity(q_up: float | np.ndarray, q_down: float | np.ndarray, step: float) -> np.ndarray:
    """Symmetric (arc) elasticity of a quantity to a price moved by ``±step`` (relative).

    ``((q⁺ − q⁻) / ((q⁺ + q⁻)/2)) / ((p⁺ − p⁻) / ((p⁺ + p⁻)/2))``, and with
    ``p± = p(1 ± step)`` the price term is ``2 step``: ``(q⁺ − q⁻) / ((q⁺ + q⁻) step)``.
    NaN where both quantities are 0.
    """
    up, down = np.asarray(q_up, dtype=float), np.asarray(q_down, dtype=float)
    total = up + down
    with np.errstate(invalid="ignore", divide="ignore"):
        out: np.ndarray = np.where(total > 0, (up - down) / (total * step), np.nan)
    return out


def variant_key(store: str, up: bool) -> str:
    """Name of a price variant: ``price:STORE:up`` / ``price:STORE:down`` (``*``: every store)."""
    return f"price:{store}:{'up' if up else 'down'}"


def price_variants(spec: Scenario, step: float = ELASTICITY_STEP) -> dict[str, Scenario]:
    """The paired scenarios: each store's price × (1 ± step), rivals fixed; then every store's."""
    if not 0 < step < 1:
        raise ValueError(f"step must be in (0, 1), found {step}")
    out: dict[str, Scenario] = {}
    for store in [*spec.stores, CATEGORY]:
        for up in (True, False):
            factor = 1 + step if up else 1 - step
            stores = {
                name: st.model_copy(update={"price": st.price * factor}) if store in (name, CATEGORY) else st
                for name, st in spec.stores.items()
            }
            out[variant_key(store, up)] = spec.model_copy(update={"stores": stores})
    return out


@dataclass(frozen=True)
class Elasticities:
    """One replication's elasticities: own-price per store, the category's, and their summaries."""

    own: dict[str, float]
    category: float
    weights: dict[str, float]
    """Each store's purchases in the unchanged run (the weights of the mean)."""

    def measures(self) -> dict[str, float]:
        """The values the pattern language sees (:data:`ELASTICITY_MEASURES`)."""
        e = np.array([self.own[s] for s in self.own], dtype=float)
        w = np.array([self.weights.get(s, 0.0) for s in self.own], dtype=float)
        ok = np.isfinite(e) & (w > 0)
        return {
            "own_price_elasticity_mean": float(np.sum(e[ok] * w[ok]) / np.sum(w[ok]))
            if ok.any()
            else math.nan,
            "own_price_elasticity_min": float(e[ok].min()) if ok.any() else math.nan,
            "own_price_elasticity_max": float(e[ok].max()) if ok.any() else math.nan,
            "category_price_elasticity": self.category,
        }


def elasticities(
    base: Mapping[str, float], variants: Mapping[str, Mapping[str, float]], step: float = ELASTICITY_STEP
) -> Elasticities:
    """Elasticities of one replication from purchases per store of each run.

    ``base``: purchases per store of the unchanged run; ``variants``: the same for
    each price variant (:func:`variant_key`). A store without purchases in both of
    its runs has a NaN elasticity (it does not enter the mean).
    """
    own = {
        s: float(arc_elasticity(variants[variant_key(s, True)][s], variants[variant_key(s, False)][s], step))
        for s in base
    }
    up, down = variants[variant_key(CATEGORY, True)], variants[variant_key(CATEGORY, False)]
    category = float(arc_elasticity(sum(up.values()), sum(down.values()), step))
    return Elasticities(own, category, dict(base))


def elasticity_table(
    per_rep: Sequence[Elasticities], scenario: str, step: float = ELASTICITY_STEP
) -> pd.DataFrame:
    """One row per store and one for the category: mean elasticity with its 95% CI over replications."""
    from cxsim.core.stats import mean_ci

    rows = []
    stores = list(per_rep[0].own) if per_rep else []
    for name in [*stores, CATEGORY]:
        if name == CATEGORY:
            values = [r.category for r in per_rep]
            weights = [sum(r.weights.values()) for r in per_rep]
        else:
            values = [r.own[name] for r in per_rep]
            weights = [r.weights.get(name, 0.0) for r in per_rep]
        mean, lo, hi, sd, n = mean_ci(values)
        rows.append(
            {
                "scenario": scenario,
                "store": "category (all stores)" if name == CATEGORY else name,
                "kind": "category" if name == CATEGORY else "own",
                "elasticity": mean,
                "ci_low": lo,
                "ci_high": hi,
                "sd": sd,
                "reps": n,
                "purchases": float(np.mean(weights)) if weights else math.nan,
                "step": step,
            }
        )
    return pd.DataFrame(rows)


def window_purchases(daily: pd.DataFrame | None, last_day: int, window_days: int) -> dict[str, float]:
    """Purchases per store over a run's last ``window_days`` days, from a ``stores``-like table."""
    if daily is None:
        return {}
    part = daily[daily["day"] > last_day - window_days]
    return {str(k): float(v) for k, v in part.groupby("store", sort=False)["purchases"].sum().items()}


def store_band(patterns_table: pd.DataFrame) -> tuple[float, float] | None:
    """The band of the check on the most elastic store (P7's band for one store), if a pattern has one."""
    t = patterns_table
    rows = t[(t["metric"] == "own_price_elasticity_min") & (t["kind"] == "band")] if len(t) else t
    if rows.empty:
        return None
    return float(rows["band_low"].iloc[0]), float(rows["band_high"].iloc[0])


def mark_store_band(table: pd.DataFrame, band: tuple[float, float] | None) -> pd.DataFrame:
    """Add ``in_band``: whether each store's mean own-price elasticity lies in ``band``.

    None for the category's row, and for every row without a band.
    """
    if table.empty:
        return table
    out = table.copy()
    inside = out["elasticity"].between(*band) if band is not None else pd.Series(False, index=out.index)
    out["in_band"] = [
        None if kind == "category" or band is None else bool(ok)
        for kind, ok in zip(out["kind"], inside, strict=True)
    ]
    return out


def format_elasticity(row: pd.Series | dict[str, Any]) -> str:
    """``mean [low, high]`` of an elasticity."""
    if not np.isfinite(row["elasticity"]):
        return "n/a"
    text = f"{row['elasticity']:.2f}"
    return text + (f" [{row['ci_low']:.2f}, {row['ci_high']:.2f}]" if np.isfinite(row["ci_low"]) else "")


def band_verdict(row: pd.Series | dict[str, Any]) -> str:
    """``yes`` / ``no`` for a store's elasticity against the band, ``—`` for the category."""
    value = row.get("in_band")
    return (
        "—"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else ("yes" if value else "no")
    )


def elasticity_markdown(table: pd.DataFrame) -> str:
    """The elasticity table as Markdown (for docs/VALIDATION.md)."""
    lines = [
        "| scenario | store | price elasticity of purchases [95% CI] | in a store's band | "
        "purchases in the window | reps |",
        "|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        lines.append(
            f"| {r['scenario']} | {r['store']} | {format_elasticity(r)} | {band_verdict(r)} "
            f"| {r['purchases']:,.0f} | {r['reps']} |"
        )
    return "\n".join(lines) + "\n"


# =========================================================================== promotions


@dataclass(frozen=True)
class PromotionWindow:
    """The store, first day and length of a scenario's first promotion, and the days after it watched."""

    store: str
    start: int
    days: int
    after: int


def first_promotion(spec: Scenario) -> PromotionWindow | None:
    """The scenario's first promotion event (the days after = its ``pull_forward_days``), or None."""
    for ev in spec.events:
        if ev.type == "promotion":
            after = int(getattr(ev, "pull_forward_days", 30)) or 30
            return PromotionWindow(str(getattr(ev, "store")), int(ev.start), int(ev.days), after)  # noqa: B009
    return None


def promotion_decomposition(
    promo: pd.DataFrame, reference: pd.DataFrame, window: PromotionWindow
) -> dict[str, float]:
    """Decompose a promotion's bump against the same town without it (same seed and days).

    ``promo`` and ``reference``: ``stores``-like tables (``day``, ``store``,
    ``purchases``, ``returns``). The counts are
    :func:`cxsim.experiments.promotions.promotion_components` (the one decomposition,
    also shown by ``compare`` and the report, in kept purchases, net of returns):
    extra = the promoting store's units on the promotion's days minus the
    reference's; switching = what its rivals lost on those days; acceleration = the
    category's shortfall over ``window.after`` days after the promotion; expansion =
    the rest. Shares are of the extra units (NaN when there are none); the
    post-promotion dip is the acceleration over the reference's kept purchases of those days.
    """
    from cxsim.experiments.promotions import promotion_components

    c = promotion_components(promo, reference, window.store, window.start, window.days, window.after)
    first, last = window.start + window.days, window.start + window.days + window.after - 1
    last = min(last, int(promo["day"].max()), int(reference["day"].max()))
    after = reference[(reference["day"] >= first) & (reference["day"] <= last)]
    base_after = float((after["purchases"] - after["returns"]).sum())
    extra = c["bump"]
    ok = extra > 0
    return {
        "promotion_extra": extra,
        "promotion_switching_share": c["switching"] / extra if ok else math.nan,
        "promotion_acceleration_share": c["acceleration"] / extra if ok else math.nan,
        "promotion_expansion_share": c["expansion"] / extra if ok else math.nan,
        "promotion_post_dip": c["acceleration"] / base_after if base_after > 0 else math.nan,
    }


# =========================================================================== double jeopardy


def rank_correlation(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Spearman's rank correlation (average ranks for ties; NaN when a side is constant)."""
    from scipy.stats import rankdata

    ra, rb = rankdata(np.asarray(a, dtype=float)), rankdata(np.asarray(b, dtype=float))
    if len(ra) < 2 or np.ptp(ra) == 0 or np.ptp(rb) == 0:
        return math.nan
    return float(np.corrcoef(ra, rb)[0, 1])


def store_buyers(purchases: pd.DataFrame, shoppers: int) -> pd.DataFrame:
    """Per store: purchases, buyers, market share, penetration and purchases per buyer.

    ``purchases`` has one row per purchase with ``shopper`` and ``store`` (the run's
    purchases table, already cut to the window). Penetration is buyers / ``shoppers``.
    """
    counts = purchases.groupby("store", sort=True)["shopper"].agg(["size", "nunique"])
    counts.columns = ["purchases", "buyers"]
    total = float(counts["purchases"].sum())
    counts["market_share"] = counts["purchases"] / total if total else math.nan
    counts["penetration"] = counts["buyers"] / shoppers
    counts["purchases_per_buyer"] = counts["purchases"] / counts["buyers"]
    return counts


def double_jeopardy(table: pd.DataFrame) -> dict[str, float]:
    """Double jeopardy measures from :func:`store_buyers` (stores with at least one buyer)."""
    t = table[table["buyers"] > 0]
    if len(t) < 2:
        return dict.fromkeys(PURCHASE_MEASURES, math.nan)
    pen, ppb = t["penetration"].to_numpy(float), t["purchases_per_buyer"].to_numpy(float)
    return {
        "dj_rank_penetration": rank_correlation(t["market_share"], pen),
        "dj_rank_frequency": rank_correlation(t["market_share"], ppb),
        "dj_penetration_ratio": float(pen.max() / pen.min()),
        "dj_frequency_ratio": float(ppb.max() / ppb.min()),
    }


def purchase_measures(
    purchases: pd.DataFrame, shoppers: int, last_day: int, window_days: int
) -> dict[str, float]:
    """Double jeopardy over the run's summary window (the last ``window_days`` days)."""
    window = purchases[purchases["day"] > last_day - window_days]
    return double_jeopardy(store_buyers(window, shoppers))
