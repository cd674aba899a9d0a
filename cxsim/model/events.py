"""The calendar: lockdowns, promotions, recessions, delivery disruptions, store entries, changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cxsim.model import scenario as sc
from cxsim.model.log import LogEntry


@dataclass
class DayConditions:
    """What the calendar imposes on one day."""

    walk_in_open: bool = True
    pickup_open: bool = True
    economy: float = 1.0
    need_factor: float = 1.0
    price_sensitivity: float = 1.0
    budget: float = 0.0
    """Tightness of household budgets (0 in normal times, the severity in a recession): raises
    the utility of the outside option, not buying in town now (``behaviour.choice.outside_budget``)."""
    fixed_cost_relief: float = 0.0
    """Share of standing costs relieved for stores whose floor a lockdown shuts (the largest
    ``fixed_cost_relief`` of the lockdowns in force)."""
    delivery_extra_days: float = 0.0
    reliability_factor: float = 1.0
    discounts: dict[str, float] = field(default_factory=dict)
    online_discounts: dict[str, float] = field(default_factory=dict)
    pull_forward: list[sc.Promotion] = field(default_factory=list)
    active: list[str] = field(default_factory=list)
    """Names of the span events in force (``lockdown``, ``promotion:giant``...)."""
    once: list[sc.StoreEntry | sc.SetAttribute] = field(default_factory=list)
    """One-day events that take effect today."""


def _in_force(ev: sc.Lockdown | sc.Promotion | sc.Recession | sc.DeliveryDisruption, day: int) -> bool:
    return ev.start <= day < ev.start + ev.days


def conditions(events: list[sc.Event], day: int) -> DayConditions:
    """Combine every event in force on ``day`` into the day's conditions.

    - ``lockdown``: shop floors shut to walk-ins and visits, except ``essential``
      stores'; ``curbside`` stores hand orders over at the kerb if ``pickup`` allows
      (the calendar phase turns this into each store's open floor and counter); the
      digital habit that online orders build meanwhile persists afterwards.
    - ``promotion``: the store's discount; it reaches shoppers whose need is due soon
      (:mod:`cxsim.rules.promotions`).
    - ``recession``: economy ``1 - severity``; budgets tighten (``budget`` +=
      severity: more shoppers defer or buy out of town, the outside option of the
      choice) and price matters more (``1 + severity``); needs arise as usual.
    - ``delivery_disruption``: slower, less reliable deliveries.
    - ``store_entry`` and ``set``: happen once, on ``start``.
    """
    c = DayConditions()
    for ev in events:
        if isinstance(ev, sc.StoreEntry | sc.SetAttribute):
            if ev.start == day:
                c.once.append(ev)
            continue
        if not _in_force(ev, day):
            continue
        if isinstance(ev, sc.Lockdown):
            c.walk_in_open = False
            c.pickup_open = c.pickup_open and ev.pickup
            c.fixed_cost_relief = max(c.fixed_cost_relief, ev.fixed_cost_relief)
            c.active.append("lockdown")
        elif isinstance(ev, sc.Promotion):
            target = c.online_discounts if ev.online_only else c.discounts
            target[ev.store] = max(target.get(ev.store, 0.0), ev.discount)
            c.pull_forward.append(ev)
            c.active.append(f"promotion:{ev.store}")
        elif isinstance(ev, sc.Recession):
            c.economy *= 1.0 - ev.severity
            c.budget += ev.severity
            c.price_sensitivity *= 1.0 + ev.severity
            c.active.append("recession")
        elif isinstance(ev, sc.DeliveryDisruption):
            c.delivery_extra_days += ev.extra_days
            c.reliability_factor *= ev.reliability_factor
            c.active.append("delivery_disruption")
    return c


def _span_fields(ev: sc.Lockdown | sc.Promotion | sc.Recession | sc.DeliveryDisruption) -> dict[str, Any]:
    return ev.model_dump(mode="json")


def log_entries(events: list[sc.Event], day: int) -> list[LogEntry]:
    """Log entries for the calendar of ``day``: one-day events first, then span events starting or ending."""
    out = [
        once_entry(ev, day)
        for ev in events
        if isinstance(ev, sc.StoreEntry | sc.SetAttribute) and ev.start == day
    ]
    for ev in events:
        if isinstance(ev, sc.StoreEntry | sc.SetAttribute):
            continue
        store = ev.store if isinstance(ev, sc.Promotion) else None
        if ev.start == day:
            out.append(LogEntry(day, "event_start", store, _span_fields(ev)))
        elif ev.start + ev.days == day:
            out.append(LogEntry(day, "event_end", store, _span_fields(ev)))
    return out


def once_entry(ev: sc.StoreEntry | sc.SetAttribute, day: int) -> LogEntry:
    """The log entry of a one-day event (a store entry or an attribute change)."""
    if isinstance(ev, sc.StoreEntry):
        return LogEntry(day, "store_entry", ev.store, {"type": ev.type, "start": ev.start})
    return LogEntry(
        day,
        "set",
        ev.store,
        {"type": ev.type, "start": ev.start, "attribute": ev.attribute, "value": ev.value},
    )
