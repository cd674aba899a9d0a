"""The calendar: lockdowns, promotions, recessions, delivery disruptions, store entries, changes."""

from __future__ import annotations

from dataclasses import dataclass, field

from cxsim.model import scenario as sc


@dataclass
class DayConditions:
    """What the calendar imposes on one day."""

    walk_in_open: bool = True
    pickup_open: bool = True
    economy: float = 1.0
    need_factor: float = 1.0
    price_sensitivity: float = 1.0
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


def conditions(events: list, day: int) -> DayConditions:
    """Combine every event in force on ``day`` into the day's conditions.

    - ``lockdown``: no walk-in and no store visits (pick-up optional); the
      digital habit that online orders build meanwhile persists afterwards.
    - ``promotion``: the store's discount, and demand pulled forward.
    - ``recession``: economy ``1 - severity``; needs arise less often (factor
      ``1 - severity/2``), price matters more (``1 + severity``).
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
            c.active.append("lockdown")
        elif isinstance(ev, sc.Promotion):
            target = c.online_discounts if ev.online_only else c.discounts
            target[ev.store] = max(target.get(ev.store, 0.0), ev.discount)
            c.pull_forward.append(ev)
            c.active.append(f"promotion:{ev.store}")
        elif isinstance(ev, sc.Recession):
            c.economy *= 1.0 - ev.severity
            c.need_factor *= 1.0 - 0.5 * ev.severity
            c.price_sensitivity *= 1.0 + ev.severity
            c.active.append("recession")
        elif isinstance(ev, sc.DeliveryDisruption):
            c.delivery_extra_days += ev.extra_days
            c.reliability_factor *= ev.reliability_factor
            c.active.append("delivery_disruption")
    return c


def describe(ev: sc.StoreEntry | sc.SetAttribute, label: str) -> str:
    """Plain words for a one-day event (for logs and the classroom panel)."""
    if isinstance(ev, sc.StoreEntry):
        return f"{label} opens its doors"
    return f"{label}: {ev.attribute} set to {ev.value}"


def span_messages(events: list, day: int, labels: dict[str, str]) -> list[str]:
    """Plain words for span events that start or end on ``day``."""
    out = []
    for ev in events:
        if isinstance(ev, sc.StoreEntry | sc.SetAttribute):
            continue
        name = ev.type.replace("_", " ")
        who = f" at {labels.get(ev.store, ev.store)}" if isinstance(ev, sc.Promotion) else ""
        if ev.start == day:
            out.append(f"{name}{who} begins ({ev.days} days)")
        elif ev.start + ev.days == day:
            out.append(f"{name}{who} ends")
    return out
