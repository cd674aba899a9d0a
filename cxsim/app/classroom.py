"""Classroom narration: what a scenario is about and what just happened, in plain words.

Pure functions on a :class:`~cxsim.model.scenario.Scenario`, the model's typed
``log`` (:class:`~cxsim.model.log.LogEntry`) and a day's numbers, so that the app's
classroom panel (``cxsim.app.page``) stays a thin view and every sentence can be
tested. Nothing here imports Solara.

- :func:`scenario_story`: the scenario in a few sentences: the question, the
  stores of the town and the calendar of events.
- :func:`happenings`: the model's log turned into headlines (built by
  :mod:`cxsim.analysis.narration`, which words every event) such as
  "Day 60: lockdown — stores closed to walk-ins except essential ones" or "Corner Shop
  closed — it expected to run out of money: 212 customers looked for a new store".
- :func:`day_summary`: one day's purchases in a sentence.
- :func:`discussion_questions`: one or two questions for the class, chosen
  from what just happened, the scenario's own question and its events.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cxsim.analysis import narration
from cxsim.analysis.narration import ATTRIBUTE_WORDS as ATTRIBUTE_WORDS
from cxsim.analysis.narration import STRATEGY_WORDS as STRATEGY_WORDS
from cxsim.analysis.narration import Happening as Happening
from cxsim.analysis.narration import event_end_text as event_end_text
from cxsim.analysis.narration import event_short as event_short
from cxsim.analysis.narration import event_span as event_span
from cxsim.analysis.narration import event_start_text as event_start_text
from cxsim.model import scenario as sc
from cxsim.model.log import LogEntry

KIND_WORDS = {
    "physical": "a shop you walk into",
    "online": "sells only online and delivers to the door",
    "omnichannel": "a shop that also sells online",
}
RECENT_DAYS = 30
"""A happening this recent drives the discussion question."""


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

_SHOPPERS = re.compile(r"\b\d[\d,]*(?= shoppers\b)")


def running_count(text: str, shoppers: int) -> str:
    """``text`` with every "N shoppers" saying the running town's count.

    A preset's description is written for its own size ("A town of 10,000
    shoppers"), while the app runs 1,000 unless told otherwise: the panel
    says what is running.
    """
    return _SHOPPERS.sub(f"{int(shoppers):,}", text)


def scenario_story(spec: sc.Scenario) -> ScenarioStory:
    """What a scenario is about, for the classroom panel."""
    labels = labels_of(spec)
    stores = [store_line(labels[name], st) for name, st in spec.stores.items()]
    about = running_count(spec.description.strip(), spec.town.shoppers) or (
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


def happening(entry: LogEntry, spec: sc.Scenario) -> Happening:
    """One entry of the model's log in plain words."""
    return narration.happening(entry, labels_of(spec))


def happenings(log: Iterable[LogEntry], spec: sc.Scenario) -> list[Happening]:
    """The whole log in plain words, in the order it happened."""
    return narration.happenings(log, labels_of(spec))


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
