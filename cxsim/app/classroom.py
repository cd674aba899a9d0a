"""Classroom narration: what a scenario is about and what just happened, in plain words.

Pure functions on a :class:`~cxsim.model.scenario.Scenario`, the model's ``log``
of ``(day, message)`` pairs and a day's numbers, so that the app's
classroom panel (``cxsim.app.page``) stays a thin view and every sentence can be
tested. Nothing here imports Solara.

- :func:`scenario_story`: the scenario in a few sentences: the question, the
  stores of the town and the calendar of events.
- :func:`happenings`: the model's log turned into headlines such as
  "Day 60: lockdown — stores closed to walk-ins" or "Corner Shop closed:
  212 customers looked for a new store".
- :func:`day_summary`: one day's purchases in a sentence.
- :func:`discussion_questions`: one or two questions for the class, chosen
  from what just happened, the scenario's own question and its events.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cxsim.model import scenario as sc

KIND_WORDS = {
    "physical": "a shop you walk into",
    "online": "sells only online and delivers to the door",
    "omnichannel": "a shop that also sells online",
}
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
RECENT_DAYS = 30
"""A happening this recent drives the discussion question."""


@dataclass(frozen=True)
class Happening:
    """Something that happened on a day, in plain words.

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


@dataclass(frozen=True)
class ScenarioStory:
    """A scenario explained for a class."""

    title: str
    about: str
    question: str
    stores: list[str]
    calendar: list[str]


# ------------------------------------------------------------------ words for values


def pretty_name(name: str) -> str:
    """``pandemic`` -> ``Pandemic``, ``giant_enters`` -> ``Giant enters``."""
    text = name.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def quality_word(value: float) -> str:
    """A 0..1 quality in one word."""
    if value >= 0.8:
        return "excellent"
    if value >= 0.65:
        return "good"
    if value >= 0.45:
        return "average"
    if value >= 0.25:
        return "basic"
    return "poor"


def price_words(price: float) -> str:
    """A price index relative to the town's reference price 1.0."""
    diff = price - 1.0
    if abs(diff) < 0.005:
        return "reference prices"
    return f"prices {abs(diff):.0%} {'above' if diff > 0 else 'below'} the town's reference"


def store_line(label: str, store: sc.Store) -> str:
    """One sentence about a store: what it is, its prices and its service."""
    kind = KIND_WORDS.get(store.kind, store.kind)
    if store.kind == "omnichannel" and store.bopis:
        kind += ", with pick-up in store"
    parts = [price_words(store.price)]
    if store.kind != "online":
        parts.append(f"{quality_word(store.service_quality)} service")
    if store.personalization >= 0.6:
        parts.append("knows its customers well")
    if store.kind != "physical":
        days = store.delivery_days
        parts.append(f"delivers in {days:g} day{'s' if days != 1 else ''}")
    text = f"{label}: {kind}; " + ", ".join(parts)
    if not store.open:
        text += " (not open yet)"
    return text


# ------------------------------------------------------------------------- events


def _store_label(store: str | None, labels: Mapping[str, str]) -> str:
    if store is None:
        return "a store"
    return labels.get(store, store)


def event_start_text(ev: Any, labels: Mapping[str, str]) -> str:
    """What a calendar event means, on the day it starts."""
    if isinstance(ev, sc.Lockdown):
        pickup = "pick-up in store still allowed" if ev.pickup else "no pick-up in store either"
        return f"lockdown — stores closed to walk-ins ({pickup}) for {ev.days} days"
    if isinstance(ev, sc.Promotion):
        where = "online " if ev.online_only else ""
        length = "one day" if ev.days == 1 else f"{ev.days} days"
        return (
            f"{_store_label(ev.store, labels)} runs a {ev.discount:.0%} {where}sale for {length} — "
            "some shoppers buy earlier than they needed to"
        )
    if isinstance(ev, sc.Recession):
        return (
            f"recession for {ev.days} days — fewer purchases, shoppers watch prices more "
            "closely and are harder to please"
        )
    if isinstance(ev, sc.DeliveryDisruption):
        return (
            f"delivery disruption for {ev.days} days — parcels take {ev.extra_days:g} days "
            "longer and arrive late more often"
        )
    if isinstance(ev, sc.StoreEntry):
        return f"{_store_label(ev.store, labels)} opens its doors"
    if isinstance(ev, sc.SetAttribute):
        label = _store_label(ev.store, labels)
        if ev.attribute == "strategy":
            plan = STRATEGY_WORDS.get(str(ev.value), str(ev.value).replace("_", " "))
            return f"{label} decides to {plan}"
        what = ATTRIBUTE_WORDS.get(ev.attribute, ev.attribute.replace("_", " "))
        return f"{label} changes its {what} to {_value_words(ev.value)}"
    return str(getattr(ev, "type", "event"))


def event_end_text(ev: Any, labels: Mapping[str, str]) -> str:
    """What the end of a span event means."""
    if isinstance(ev, sc.Lockdown):
        return "lockdown ends — stores open to walk-ins again"
    if isinstance(ev, sc.Promotion):
        return f"{_store_label(ev.store, labels)}'s sale ends"
    if isinstance(ev, sc.Recession):
        return "the recession ends — the economy recovers"
    if isinstance(ev, sc.DeliveryDisruption):
        return "the delivery disruption ends — parcels arrive on time again"
    return f"{getattr(ev, 'type', 'event')} ends"


STRATEGY_WORDS = {
    "static": "keep doing what it does",
    "price_match": "match the cheapest online prices",
    "invest_service": "invest in service",
    "invest_personalization": "invest in personalization",
    "open_online": "open an online channel",
}


def _value_words(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def event_span(ev: Any) -> tuple[int, int]:
    """First day and the day after the last day of an event (one-day events last one day)."""
    return int(ev.start), int(ev.start) + int(getattr(ev, "days", 1))


def event_short(ev: Any, labels: Mapping[str, str]) -> str:
    """A short label for a band on a time axis."""
    if isinstance(ev, sc.Promotion):
        return f"sale: {_store_label(ev.store, labels)}"
    if isinstance(ev, sc.StoreEntry):
        return f"{_store_label(ev.store, labels)} opens"
    if isinstance(ev, sc.SetAttribute):
        what = ATTRIBUTE_WORDS.get(ev.attribute, ev.attribute.replace("_", " "))
        return f"{_store_label(ev.store, labels)}: {what}"
    return str(ev.type).replace("_", " ")


def calendar_lines(spec: sc.Scenario) -> list[str]:
    """The scenario's calendar, one line per event, in day order."""
    labels = labels_of(spec)
    lines = []
    for ev in sorted(spec.events, key=lambda e: e.start):
        start, end = event_span(ev)
        when = f"Day {start}" if end - start <= 1 else f"Days {start}–{end - 1}"
        lines.append(f"{when}: {event_start_text(ev, labels)}")
    return lines


def labels_of(spec: sc.Scenario) -> dict[str, str]:
    """Display label of each store of a scenario, by name."""
    return {name: (st.label or name) for name, st in spec.stores.items()}


# -------------------------------------------------------------------------- story


def scenario_story(spec: sc.Scenario) -> ScenarioStory:
    """What a scenario is about, for the classroom panel."""
    labels = labels_of(spec)
    stores = [store_line(labels[name], st) for name, st in spec.stores.items()]
    about = spec.description.strip() or (
        f"A town with {len(spec.stores)} stores competing for shoppers "
        f"({', '.join(labels.values())}), with nothing special on the calendar."
    )
    question = spec.question.strip() or "How do shoppers split between shops and online, and why?"
    return ScenarioStory(
        title=pretty_name(spec.name),
        about=about,
        question=question,
        stores=stores,
        calendar=calendar_lines(spec),
    )


# ----------------------------------------------------------------- the model's log

_SPAN = re.compile(r"^(?P<type>[a-z ]+?)(?: at (?P<who>.+))? (?P<what>begins|ends)(?: \(\d+ days\))?$")
_CLOSED = re.compile(r"^(?P<who>.+) closed: (?P<n>\d+) customers? looks? for a new store$")
_STRATEGY = [
    (
        re.compile(r"^(?P<who>.+) cuts its price index to (?P<v>[\d.]+)$"),
        "{who} cuts its prices to match online offers (price index now {v})",
    ),
    (
        re.compile(r"^(?P<who>.+) invests in service \(target (?P<v>[\d.]+)\)$"),
        "{who} invests in staff training (service target now {v})",
    ),
    (
        re.compile(r"^(?P<who>.+) invests in personalization \((?P<v>[\d.]+)\)$"),
        "{who} invests in knowing its customers (personalization now {v})",
    ),
    (
        re.compile(r"^(?P<who>.+) opens an online channel with pick-up in store$"),
        "{who} opens an online shop with pick-up in store",
    ),
]
_OPENS = re.compile(r"^(?P<who>.+) opens its doors$")


def _find_span_event(spec: sc.Scenario, day: int, etype: str, who: str | None, ending: bool) -> Any:
    labels = labels_of(spec)
    for ev in spec.events:
        if isinstance(ev, sc.StoreEntry | sc.SetAttribute) or ev.type.replace("_", " ") != etype:
            continue
        if who is not None and labels.get(getattr(ev, "store", ""), None) != who:
            continue
        start, end = event_span(ev)
        if (end if ending else start) == day:
            return ev
    return None


def describe_log_entry(day: int, message: str, spec: sc.Scenario) -> Happening:
    """Turn one ``(day, message)`` of the model's log into plain words."""
    labels = labels_of(spec)
    m = _SPAN.match(message)
    if m:
        ending = m["what"] == "ends"
        ev = _find_span_event(spec, day, m["type"], m["who"], ending)
        if ev is not None:
            text = event_end_text(ev, labels) if ending else event_start_text(ev, labels)
            return Happening(
                day,
                text,
                "event_end" if ending else "event_start",
                store=_store_label(ev.store, labels) if isinstance(ev, sc.Promotion) else None,
                event=ev.type,
            )
    m = _CLOSED.match(message)
    if m:
        n = int(m["n"])
        text = (
            f"{m['who']} closed — it ran out of cash: {n} customer"
            f"{' looked' if n == 1 else 's looked'} for a new store"
        )
        return Happening(day, text, "closure", store=m["who"], customers=n)
    for pattern, template in _STRATEGY:
        m = pattern.match(message)
        if m:
            return Happening(day, template.format(**m.groupdict()), "strategy", store=m["who"])
    m = _OPENS.match(message)
    if m:
        return Happening(day, f"{m['who']} opens its doors", "entry", store=m["who"], event="store_entry")
    for ev in spec.events:
        if isinstance(ev, sc.SetAttribute) and ev.start == day:
            label = _store_label(ev.store, labels)
            if message.startswith(f"{label}: {ev.attribute}"):
                return Happening(day, event_start_text(ev, labels), "change", store=label, event="set")
    return Happening(day, message, "other")


def happenings(log: Iterable[tuple[int, str]], spec: sc.Scenario) -> list[Happening]:
    """The whole log in plain words, in the order it happened."""
    return [describe_log_entry(int(day), str(msg), spec) for day, msg in log]


# ------------------------------------------------------------------ the day in words


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def day_summary(day: int, counts: Mapping[str, int], active_events: Sequence[str] = ()) -> str:
    """One day's purchases in a sentence.

    ``counts`` holds ``purchases``, ``walk_in``, ``delivery``, ``pickup``,
    ``showroomed`` and ``webroomed`` (missing keys count as 0).
    """
    n = int(counts.get("purchases", 0))
    if day <= 0:
        return "Day 0: the town is ready. Press Step to simulate one day, or Play."
    if n == 0:
        text = f"Day {day}: nobody bought anything"
    else:
        parts = [
            f"{int(counts.get('walk_in', 0)):,} walked into a shop",
            f"{int(counts.get('delivery', 0)):,} ordered for delivery",
        ]
        if counts.get("pickup", 0):
            parts.append(f"{int(counts['pickup']):,} picked up in store")
        text = f"Day {day}: {_count(n, 'purchase')} — " + ", ".join(parts)
        extra = []
        if counts.get("showroomed", 0):
            extra.append(f"{_count(int(counts['showroomed']), 'shopper')} showroomed")
        if counts.get("webroomed", 0):
            extra.append(f"{_count(int(counts['webroomed']), 'shopper')} webroomed")
        if extra:
            text += "; " + " and ".join(extra)
    if active_events:
        text += f" (in force: {', '.join(a.replace('_', ' ') for a in active_events)})"
    return text + "."


# -------------------------------------------------------------------- discussion

GENERAL_QUESTIONS = (
    "Why do some shoppers look at a product in a shop and then buy it online (showrooming)? "
    "Who pays for that visit?",
    "What could a small shop do to keep its customers without cutting its prices?",
)
EVENT_QUESTIONS = {
    "lockdown": "When the shops reopen, do shoppers go back? Why might some of them stay online?",
    "promotion": "Did the sale win new customers, or only move purchases earlier? "
    "Look at the purchases in the weeks after it.",
    "recession": "In a recession, which matters more to shoppers: price or service? "
    "Which stores suffer most?",
    "delivery_disruption": "Deliveries are slow: who gains — the shops nearby, or the store with pick-up?",
    "store_entry": "How does a newcomer win customers in a town where shoppers are loyal to their shops?",
    "set": "A store changed how it competes. Did its customers notice, and how quickly?",
}


def _recent_question(h: Happening) -> str | None:
    if h.kind == "closure":
        n = f"{h.customers:,} " if h.customers is not None else ""
        return (
            f"{h.store} has closed. Where will its {n}customers go, and will they be as happy there? "
            "Watch market share and NPS."
        )
    if h.kind == "event_start" and h.event == "lockdown":
        return "Shops are closed to walk-ins. Which stores can still serve their customers, and how?"
    if h.kind == "event_end" and h.event == "lockdown":
        return EVENT_QUESTIONS["lockdown"]
    if h.kind == "event_start" and h.event == "promotion":
        return f"{h.store} is on sale. Will these shoppers come back when prices are normal again?"
    if h.kind == "event_end" and h.event == "promotion":
        return EVENT_QUESTIONS["promotion"]
    if h.kind == "event_start" and h.event == "delivery_disruption":
        return EVENT_QUESTIONS["delivery_disruption"]
    if h.kind == "event_start" and h.event == "recession":
        return EVENT_QUESTIONS["recession"]
    if h.kind == "entry":
        return f"{h.store} has just opened. Whose customers will it take first, and why?"
    if h.kind == "strategy" and "prices" in h.text:
        return f"{h.store} cut its prices. Will that win customers back, or only earn it less on every sale?"
    if h.kind == "strategy":
        return f"{h.store} is investing in customer experience. How long before shoppers notice?"
    return None


def discussion_questions(
    spec: sc.Scenario,
    recent: Sequence[Happening] = (),
    day: int = 0,
    lever_notes: Sequence[str] = (),
    limit: int = 2,
) -> list[str]:
    """One or two questions for the class.

    The most recent happening of the last :data:`RECENT_DAYS` days comes
    first (a closure, a lockdown starting...), then the scenario's own
    question, then a question about its first event, then general ones.
    """
    out: list[str] = []
    for h in sorted(recent, key=lambda h: h.day, reverse=True):
        if day - h.day > RECENT_DAYS:
            break
        q = _recent_question(h)
        if q:
            out.append(q)
            break
    if spec.question.strip():
        out.append(spec.question.strip())
    for ev in sorted(spec.events, key=lambda e: e.start):
        q = EVENT_QUESTIONS.get(ev.type)
        if q:
            out.append(q)
            break
    if lever_notes:
        out.append("You changed the town's levers. Which change matters most to shoppers — and why?")
    out.extend(GENERAL_QUESTIONS)
    unique: list[str] = []
    for q in out:
        if q not in unique:
            unique.append(q)
    return unique[:limit]


# ----------------------------------------------------------------------- levers


def lever_note(name: str, preset: Any, chosen: Any) -> str:
    """Plain words for one lever moved away from the preset's value."""
    if name == "online_price_advantage":
        return f"online stores {chosen:.0%} cheaper than the reference price (preset: {preset:.0%})"
    if name == "service":
        return f"in-store service quality {chosen:.2f} on average (preset: {preset:.2f})"
    if name == "personalization":
        return f"shops' personalization {chosen:.2f} on average (preset: {preset:.2f})"
    if name == "delivery_days":
        return f"delivery in {chosen:g} days on average (preset: {preset:g})"
    if name == "bopis":
        return f"pick-up in store {'on' if chosen else 'off'} (preset: {'on' if preset else 'off'})"
    if name == "shoppers":
        return f"{chosen:,} shoppers"
    if name == "seed":
        return f"random seed {chosen} (preset: {preset})"
    return f"{name.replace('_', ' ')} {chosen} (preset: {preset})"
