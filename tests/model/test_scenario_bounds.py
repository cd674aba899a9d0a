"""Scenarios perturbed within their declared bounds run and give finite tables; the memory estimate holds.

The hypothesis test draws a few numeric fields of a scenario (town, category, a
store, a segment, the behaviour coefficients, the horizon's windows), each from
its own declared bounds (pydantic ``ge``/``gt``/``le``/``lt``, narrowed only
where the test keeps runs small: shoppers, days, warm-up), runs a small town for
a few days and finds no infinity in any table, and no NaN except the documented
"no observations" ones: a mean satisfaction of a day (or window) without
purchases, an NPS without answers, a store's rating before its first review,
return rates of a channel nobody used, a word-of-mouth ratio without negative
word of mouth (:mod:`cxsim.model.metrics`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from cxsim.experiments.results import run
from cxsim.model import scenario_bounds
from cxsim.model.cxmodel import CXModel
from cxsim.model.scenario import Category, Scenario, Segment, Store, Town, load_scenario
from cxsim.rules.coefficients import MAX_COEFFICIENT, MAX_WHOLE_COEFFICIENT

SMALL = {"town.shoppers": (100, 300), "days": (1, 12), "warmup_days": (0, 8)}
"""Fields whose range the test narrows so that each run takes well under a second."""
NARROW = {"town.size_km": (12.0, 1000.0)}
"""Fields narrowed so that the baseline's stores stay in town (they lie within 12 km)."""
SKIP = {"segments.bargain_hunter.share", "stores.giant.x", "stores.giant.y", "seed"}
"""Shares must sum to 1 and coordinates lie within the town: drawn separately or not at all."""


def bounds(info: Any, whole: bool) -> tuple[float, float]:
    """The declared (low, high) of a field, open bounds nudged inside, the coefficient limits as a default."""
    limit = MAX_WHOLE_COEFFICIENT if whole else MAX_COEFFICIENT
    low, high = -float(limit), float(limit)
    for m in info.metadata:
        if getattr(m, "ge", None) is not None:
            low = max(low, m.ge)
        if getattr(m, "gt", None) is not None:
            low = max(low, m.gt + (1 if whole else 1e-6))
        if getattr(m, "le", None) is not None:
            high = min(high, m.le)
        if getattr(m, "lt", None) is not None:
            high = min(high, m.lt - (1 if whole else 1e-6))
    return low, high


def numeric_fields(model: type[BaseModel], prefix: str) -> dict[str, tuple[bool, float, float]]:
    """Dotted path -> (whole number?, low, high) of every int or float field of ``model``."""
    out: dict[str, tuple[bool, float, float]] = {}
    for name, info in model.model_fields.items():
        ann = info.annotation
        if ann in (int, float):
            out[f"{prefix}{name}"] = (ann is int, *bounds(info, ann is int))
        elif isinstance(ann, type) and issubclass(ann, BaseModel):
            out.update(numeric_fields(ann, f"{prefix}{name}."))
    return out


FIELDS: dict[str, tuple[bool, float, float]] = {
    **{k: v for k, v in numeric_fields(Scenario, "").items() if not k.startswith(("town.", "category."))},
    **numeric_fields(Town, "town."),
    **numeric_fields(Category, "category."),
    **numeric_fields(Store, "stores.giant."),
    **numeric_fields(Segment, "segments.bargain_hunter."),
}
for key, (low, high) in SMALL.items():
    FIELDS[key] = (True, low, high)
for key, (lo, hi) in NARROW.items():
    FIELDS[key] = (False, lo, hi)
for key in SKIP:
    FIELDS.pop(key, None)
NAMES = sorted(FIELDS)
NO_OBSERVATIONS: dict[str, str | None] = {
    "mean_satisfaction": "purchases",
    "wom_ratio": "wom_negative",
    "rating": "review_count",
    "nps": None,
    "return_rate_walk_in": None,
    "return_rate_delivery": None,
    "return_rate_pickup": None,
    "talk_share_promoters": None,
    "talk_share_detractors": None,
}
"""Columns that are NaN where nothing was observed, and the count that is then 0 (None: not in the table)."""


@st.composite
def perturbation(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    out: dict[str, Any] = {}
    for key in keys:
        whole, low, high = FIELDS[key]
        if whole:
            out[key] = draw(st.integers(math.ceil(low), int(high)))
        else:
            out[key] = draw(st.floats(low, high, allow_nan=False, allow_infinity=False))
    return out


def test_every_numeric_field_is_bounded() -> None:
    assert len(FIELDS) > 80
    for key, (_, low, high) in FIELDS.items():
        assert math.isfinite(low) and math.isfinite(high) and low <= high, key


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(perturbation())
def test_perturbed_scenarios_give_finite_tables(values: dict[str, Any]) -> None:
    base = ["town.shoppers=150", "warmup_days=3", "collect_purchases=true"]
    sets = [f"{k}={v!r}" for k, v in values.items()]
    spec = load_scenario("baseline", [*base, *sets], days=int(values.get("days", 8)))
    result = run(spec)
    for name in ("timeseries", "stores", "summary", "purchases"):
        table = getattr(result, name)
        numbers = table.select_dtypes("number")
        for column in numbers:
            x = numbers[column].to_numpy(dtype=float)
            assert not np.isinf(x).any(), (name, column, values)
            if np.isnan(x).any():
                assert column in NO_OBSERVATIONS, (name, column, values)
                empty = NO_OBSERVATIONS[column]
                if empty is not None:
                    assert (table.loc[np.isnan(x), empty] == 0).all(), (name, column, values)


def test_memory_estimate_covers_the_shopper_arrays() -> None:
    """The bytes per shopper of scenario_bounds are at least what ShopperArrays hold."""
    for stores, degree in ((5, 8), (2, 0)):
        spec = load_scenario("baseline", ["town.shoppers=500", f"town.social_degree={degree}"], days=1)
        spec = spec.model_copy(update={"stores": dict(list(spec.stores.items())[:stores])})
        model = CXModel(spec)
        per = model.shoppers.nbytes() / 500
        assert scenario_bounds.shopper_bytes(stores, degree) >= per, (stores, degree, per)
