"""Narration: the one place where what happened in the model is put into words.

The model logs typed :class:`~cxsim.model.log.LogEntry` values; this module
turns them into

- plain one-line sentences (:func:`sentence`, :func:`sentences`), as the
  command line, the saved ``log.json`` and the reports show them (the plain
  sentence is implemented beside the entry type in :mod:`cxsim.model.log`, so
  that ``cxsim.experiments`` can write ``log.json`` without importing upward;
  it is re-exported here and has no other implementation);
- classroom headlines (:func:`happening`, :func:`happenings`): structured
  :class:`Happening` values with friendlier words for the app's panel;
- sentences about scenario events (:func:`event_start_text`,
  :func:`event_end_text`, :func:`event_short`, :func:`calendar_line`), which
  take an event as a scenario event object or as its fields (a mapping).

It also converts the log to and from the records of ``log.json``
(:func:`log_records`, :func:`log_from_records`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from cxsim.model.log import LogEntry
from cxsim.model.log import entry_text as entry_text
from cxsim.model.log import labels_from_scenario as labels_from_scenario
from cxsim.model.log import log_from_records as log_from_records
from cxsim.model.log import log_records as log_records
from cxsim.model.log import sentence as sentence

EventLike = Mapping[str, Any] | BaseModel
"""A scenario event: a :mod:`cxsim.model.scenario` event object or its fields as a mapping."""

ATTRIBUTE_WORDS = {
    "price": "price index",
    "service_quality": "service quality",
    "target_service": "service target",
    "personalization": "personalization",
    "atmosphere": "atmosphere",
    "delivery_days": "delivery time (days)",
    "delivery_reliability": "delivery reliability",
    "return_leniency": "return policy",
    "cross_channel_returns": "cross-channel returns",
    "after_sales": "after-sales care",
    "bopis": "pick-up in store",
    "channel_consistency": "channel consistency",
    "strategy": "strategy",
}
STRATEGY_WORDS = {
    "static": "keep doing what it does",
    "price_match": "match the cheapest online prices",
    "invest_service": "invest in service",
    "invest_personalization": "invest in personalization",
    "open_online": "open an online channel",
}


@dataclass(frozen=True)
class Happening:
    """Something that happened on a day, in plain words (the classroom panel's headline).

    ``kind`` is one of ``event_start``, ``event_end``, ``entry``, ``change``,
    ``closure``, ``strategy`` or ``other``; ``store`` names the store concerned
    (its label), if any.
    """

    day: int
    text: str
    kind: str
    store: str | None = None
    event: str | None = None
    """The event type for ``event_start``/``event_end`` (``lockdown``, ``promotion``...)."""
    customers: int | None = None
    """For a closure: how many customers looked for a new store."""

    @property
    def headline(self) -> str:
        """``Day N: text``."""
        return f"Day {self.day}: {self.text}"


# ------------------------------------------------------------------------ helpers


def _fields(ev: EventLike) -> Mapping[str, Any]:
    return ev.model_dump() if isinstance(ev, BaseModel) else ev


def _label(store: str | None, labels: Mapping[str, str]) -> str:
    if store is None:
        return "a store"
    return labels.get(store, store)


def _value_words(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# ---------------------------------------------------------------- plain sentences


def sentences(log: Iterable[LogEntry], labels: Mapping[str, str]) -> list[tuple[int, str]]:
    """The whole log as ``(day, sentence)`` pairs (also for entries read from an old ``log.json``)."""
    return [(e.day, entry_text(e, labels)) for e in log]


# ------------------------------------------------------------------ scenario events


def event_start_text(ev: EventLike, labels: Mapping[str, str]) -> str:
    """What a calendar event means, on the day it starts (classroom wording)."""
    e = _fields(ev)
    kind, store = e.get("type"), e.get("store")
    if kind == "lockdown":
        pickup = "pick-up at the kerb allowed" if e["pickup"] else "no pick-up either"
        return f"lockdown — stores closed to walk-ins except essential ones ({pickup}) for {e['days']} days"
    if kind == "promotion":
        where = "online " if e["online_only"] else ""
        length = "one day" if e["days"] == 1 else f"{e['days']} days"
        return (
            f"{_label(store, labels)} runs a {e['discount']:.0%} {where}sale for {length} — "
            "some shoppers buy earlier than they needed to"
        )
    if kind == "recession":
        return (
            f"recession for {e['days']} days — fewer purchases, shoppers watch prices more "
            "closely and are harder to please"
        )
    if kind == "delivery_disruption":
        return (
            f"delivery disruption for {e['days']} days — parcels take {e['extra_days']:g} days "
            "longer and arrive late more often"
        )
    if kind == "store_entry":
        return f"{_label(store, labels)} opens its doors"
    if kind == "set":
        label = _label(store, labels)
        if e["attribute"] == "strategy":
            plan = STRATEGY_WORDS.get(str(e["value"]), str(e["value"]).replace("_", " "))
            return f"{label} decides to {plan}"
        what = ATTRIBUTE_WORDS.get(e["attribute"], str(e["attribute"]).replace("_", " "))
        return f"{label} changes its {what} to {_value_words(e['value'])}"
    return str(kind or "event")


def event_end_text(ev: EventLike, labels: Mapping[str, str]) -> str:
    """What the end of a span event means (classroom wording)."""
    e = _fields(ev)
    kind = e.get("type")
    if kind == "lockdown":
        return "lockdown ends — stores open to walk-ins again"
    if kind == "promotion":
        return f"{_label(e.get('store'), labels)}'s sale ends"
    if kind == "recession":
        return "the recession ends — the economy recovers"
    if kind == "delivery_disruption":
        return "the delivery disruption ends — parcels arrive on time again"
    return f"{kind or 'event'} ends"


def event_span(ev: EventLike) -> tuple[int, int]:
    """First day and the day after the last day of an event (one-day events last one day)."""
    e = _fields(ev)
    return int(e["start"]), int(e["start"]) + int(e.get("days", 1))


def event_short(ev: EventLike, labels: Mapping[str, str]) -> str:
    """A short label for a band on a time axis."""
    e = _fields(ev)
    kind, store = e.get("type"), e.get("store")
    if kind == "promotion":
        return f"sale: {_label(store, labels)}"
    if kind == "store_entry":
        return f"{_label(store, labels)} opens"
    if kind == "set":
        what = ATTRIBUTE_WORDS.get(e["attribute"], str(e["attribute"]).replace("_", " "))
        return f"{_label(store, labels)}: {what}"
    return str(kind).replace("_", " ")


def calendar_line(ev: EventLike, labels: Mapping[str, str]) -> str:
    """One line in plain words for a scenario event with its days (the reports' wording)."""
    e = _fields(ev)
    kind = e.get("type")
    start = int(e.get("start", 1))
    store = labels.get(e.get("store", ""), e.get("store", ""))
    if "days" in e:
        when = f"days {start}–{start + int(e['days']) - 1}" if int(e["days"]) > 1 else f"day {start}"
    else:
        when = f"day {start}"
    if kind == "lockdown":
        what = "lockdown: shop floors closed except at essential stores" + (
            "; pick-up at the kerb allowed" if e.get("pickup", True) else ""
        )
    elif kind == "promotion":
        what = (
            f"promotion at {store}: {100 * float(e['discount']):.0f}% off"
            + (" online only" if e.get("online_only") else "")
            + f", pulling forward needs due within {e.get('pull_forward_days', 30)} days"
        )
    elif kind == "recession":
        what = f"recession (severity {e.get('severity', 0.3)})"
    elif kind == "delivery_disruption":
        what = (
            f"delivery disruption: +{e.get('extra_days', 3.0)} days, "
            f"on-time reliability ×{e.get('reliability_factor', 0.6)}"
        )
    elif kind == "store_entry":
        what = f"{store} enters the town"
    elif kind == "set":
        what = f"{store}: {e.get('attribute')} set to {e.get('value')}"
    else:
        what = str(kind)
    return f"{when}: {what}"


# ------------------------------------------------------------------ classroom words


def happening(entry: LogEntry, labels: Mapping[str, str]) -> Happening:
    """One log entry as a classroom :class:`Happening`."""
    d, day = entry.data, entry.day
    label = _label(entry.store, labels) if entry.store is not None else None
    if "text" in d:  # an untyped entry read from an old log.json
        return Happening(day, str(d["text"]), "other")
    if entry.kind == "event_start":
        return Happening(
            day, event_start_text(d, labels), "event_start", store=_promo(d, labels), event=d["type"]
        )
    if entry.kind == "event_end":
        return Happening(
            day, event_end_text(d, labels), "event_end", store=_promo(d, labels), event=d["type"]
        )
    if entry.kind == "closure":
        n = int(d["customers"])
        looked = "customer looked" if n == 1 else "customers looked"
        text = f"{label} closed — it expected to run out of money: {n} {looked} for a new store"
        return Happening(day, text, "closure", store=label, customers=n)
    if entry.kind == "strategy":
        return Happening(day, _strategy_headline(str(label), d), "strategy", store=label)
    if entry.kind == "store_entry":
        return Happening(day, f"{label} opens its doors", "entry", store=label, event="store_entry")
    if entry.kind == "set":
        ev = {"type": "set", "store": entry.store, **d}
        return Happening(day, event_start_text(ev, labels), "change", store=label, event="set")
    return Happening(day, sentence(entry, labels), "other")


def _promo(d: Mapping[str, Any], labels: Mapping[str, str]) -> str | None:
    return _label(d.get("store"), labels) if d.get("type") == "promotion" else None


STRATEGY_HEADLINES: dict[str, str] = {
    "price_match": "{label} cuts its prices to match online offers (price index now {value:.2f})",
    "invest_service": "{label} invests in staff training (service target now {value:.2f})",
    "invest_personalization": "{label} invests in knowing its customers (personalization now {value:.2f})",
    "open_online": "{label} opens an online shop with pick-up in store",
}
"""The classroom's headline for each strategy move (``{label}``, ``{value}``)."""


def _strategy_headline(label: str, d: Mapping[str, Any]) -> str:
    strategy, value = d["strategy"], d.get("value")
    template = STRATEGY_HEADLINES.get(strategy)
    if template is None:
        return f"{label} changes its {d.get('attribute')} to {_value_words(value)} ({strategy})"
    return template.format(label=label, value=value)


def happenings(log: Iterable[LogEntry], labels: Mapping[str, str]) -> list[Happening]:
    """The whole log as classroom happenings, in the order it happened."""
    return [happening(e, labels) for e in log]


# ------------------------------------------------------------------ a report's "what happened"


def what_happened(log: Iterable[LogEntry], labels: Mapping[str, str]) -> list[str]:
    """The log as the lines of a report's "what happened" section, in the order it happened.

    Each entry is ``day N: <headline>`` (:func:`happening`'s words); a store's repeated moves of one strategy
    (an investment step every 30 days) are one line: ``days 30–330: Corner Shop:
    invest in personalization, 11 moves (personalization 0.65 → 1.15)``.
    """
    entries = list(log)
    groups: dict[tuple[str | None, str], list[LogEntry]] = {}
    for e in entries:
        if e.kind == "strategy" and "text" not in e.data:
            groups.setdefault((e.store, str(e.data.get("strategy"))), []).append(e)
    lines: list[tuple[int, str]] = []
    for e in entries:
        key = (e.store, str(e.data.get("strategy")))
        group = groups.get(key) if e.kind == "strategy" else None
        if group is None or len(group) == 1:
            lines.append((e.day, f"day {e.day}: {happening(e, labels).text}"))
        elif group[0] is e:
            first, last = group[0], group[-1]
            strategy = str(first.data.get("strategy"))
            what = STRATEGY_WORDS.get(strategy, strategy.replace("_", " "))
            text = f"{_label(first.store, labels)}: {what}, {len(group)} moves"
            values = [g.data.get("value") for g in group]
            if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                attribute = ATTRIBUTE_WORDS.get(str(first.data.get("attribute")), "value")
                text += f" ({attribute} {_value_words(values[0])} → {_value_words(values[-1])})"
            lines.append((first.day, f"days {first.day}–{last.day}: {text}"))
    return [text for _, text in sorted(lines, key=lambda x: x[0])]
