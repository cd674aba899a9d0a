"""The stores' cached arrays always equal a fresh gathering of the stores' attributes.

:class:`cxsim.model.stores.StoreCache` gathers a store attribute again only when
a store marks it stale (a new value set on the agent). These tests run every
built-in scenario and the golden scenario with every event type and strategy,
and after every phase of every day (warm-up included) compare the cached
arrays, bit for bit and dtype for dtype, with :meth:`StoreArrays.from_stores`,
:func:`store_costs` and a fresh gathering of each column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import cxsim.model.phases as day_phases
from cxsim import scenario_names
from cxsim.model.cxmodel import CXModel
from cxsim.model.phases.state import DayState
from cxsim.model.scenario import load_scenario
from cxsim.model.stores import COLUMNS, StoreArrays, _column, store_costs

EVENTS = str(Path(__file__).resolve().parents[1] / "golden" / "events.toml")
PHASES = (
    "calendar",
    "needs",
    "research",
    "choice",
    "fulfilment",
    "experience",
    "sharing",
    "stores",
    "collection",
)


def _same(a: np.ndarray, b: np.ndarray, what: str) -> None:
    assert a.dtype == b.dtype, what
    assert a.shape == b.shape, what
    assert a.tobytes() == b.tobytes(), f"{what}: cached {a!r}, fresh {b!r}"


def check(m: CXModel, where: str) -> None:
    """Every cached array equals the stores' attributes gathered now."""
    cached, fresh = m.store_cache.arrays(m.stores), StoreArrays.from_stores(m.stores)
    for f in fields(StoreArrays):
        _same(getattr(cached, f.name), getattr(fresh, f.name), f"{where}: {f.name}")
    visits, relief = np.arange(len(m.stores), dtype=np.int64), np.full(len(m.stores), 0.25)
    cc, fc = m.store_cache.costs(m.stores, visits, relief), store_costs(m.stores, visits, relief)
    for f in fields(fc):
        _same(getattr(cc, f.name), getattr(fc, f.name), f"{where}: costs.{f.name}")
    for name, col in COLUMNS.items():
        _same(m.store_cache.column(m.stores, name), _column(m.stores, col.get, col.dtype), f"{where}: {name}")


def _checked(name: str, fn: Callable[[CXModel, DayState], None], seen: list[int]) -> Callable[..., None]:
    def phase(m: CXModel, d: DayState) -> None:
        fn(m, d)
        if name == "calendar":  # the day's snapshot is the stores as they stand this morning
            fresh = StoreArrays.from_stores(m.stores)
            for f in fields(StoreArrays):
                _same(getattr(d.stores, f.name), getattr(fresh, f.name), f"day {d.day} snapshot: {f.name}")
        check(m, f"day {d.day} after {name}")
        seen[0] += 1

    return phase


def run_checked(monkeypatch: pytest.MonkeyPatch, scenario: str, overrides: list[str], **kw: Any) -> int:
    seen = [0]
    for name in PHASES:
        monkeypatch.setattr(day_phases, name, _checked(name, getattr(day_phases, name), seen))
    model = CXModel(load_scenario(scenario, overrides, **kw))
    model.run()
    return seen[0]


def test_cache_follows_every_change_with_every_event_and_strategy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The golden scenario with every event type, strategy rule, an entry and a closure."""
    assert run_checked(monkeypatch, EVENTS, [], days=150, seed=2024) > 150 * len(PHASES)


@pytest.mark.slow
@pytest.mark.parametrize("name", scenario_names())
def test_cache_follows_every_change_in_builtin_scenarios(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Every built-in scenario over its whole horizon, small."""
    assert run_checked(monkeypatch, name, ["town.shoppers=300"], seed=7) > 0


def test_any_new_value_marks_stale_and_arrays_are_read_only() -> None:
    """Attributes set from outside the day (the app's levers) are seen; same values are not news."""
    m = CXModel("baseline", days=5, overrides=["town.shoppers=200"])
    check(m, "start")
    s = m.stores[0]
    for attr, value in (("kind", "omnichannel"), ("bopis", True), ("price", 0.5), ("discount", -0.0)):
        setattr(s, attr, value)
        check(m, f"after {attr}={value!r}")
    s.rating = float("nan")
    check(m, "after rating=nan")
    s.rating = float("nan")
    assert not s._stale  # NaN again is no change
    s.discount = 0.0  # -0.0 -> 0.0 is a change of bits
    assert "price" in s._stale
    check(m, "after discount 0.0")
    with pytest.raises(ValueError, match="read-only"):
        m.store_cache.column(m.stores, "price")[0] = 1.0
