"""Scenario events: the calendar of a scenario (``[[events]]``, told apart by ``type``).

Each event starts on day ``start``; span events last ``days``. What each event
does to the town is :mod:`cxsim.model.events`; this is only its schema.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from cxsim.core.config import StrictModel

MAX_DAYS = 36_500
"""An event starts and lasts at most a century (the horizon's bound)."""
Unit = Annotated[float, Field(ge=0.0, le=1.0)]


class _Event(StrictModel):
    start: Annotated[int, Field(ge=1, le=MAX_DAYS)]


class _SpanEvent(_Event):
    days: Annotated[int, Field(ge=1, le=MAX_DAYS)]


class Lockdown(_SpanEvent):
    """Walk-in shopping and store visits are restricted."""

    type: Literal["lockdown"] = "lockdown"
    pickup: bool = True
    """Whether click-and-collect stays allowed during the lockdown."""


class Promotion(_SpanEvent):
    """A store's discount; it pulls demand forward (Black Friday, Singles' Day)."""

    type: Literal["promotion"] = "promotion"
    store: str
    discount: Annotated[float, Field(ge=0.0, le=0.9)]
    online_only: bool = False
    pull_forward_days: Annotated[int, Field(ge=0, le=3_650)] = 30
    response: Unit = 0.5
    """Daily probability of buying early, per unit of price weight / 2: a bargain hunter
    (price weight 2) with a need due within the window buys early with probability
    ``response``; an average shopper (weight 1) with half of it."""


class Recession(_SpanEvent):
    """The economy shrinks: fewer needs, more price sensitivity, lower mood."""

    type: Literal["recession"] = "recession"
    severity: Unit = 0.3


class DeliveryDisruption(_SpanEvent):
    """A logistics crunch: deliveries slower and less reliable."""

    type: Literal["delivery_disruption"] = "delivery_disruption"
    extra_days: Annotated[float, Field(ge=0.0, le=365.0)] = 3.0
    reliability_factor: Unit = 0.6


class StoreEntry(_Event):
    """A store defined with ``open = false`` opens on ``start``."""

    type: Literal["store_entry"] = "store_entry"
    store: str


class SetAttribute(_Event):
    """Any store attribute takes a new value on ``start``."""

    type: Literal["set"] = "set"
    store: str
    attribute: str
    value: float | int | bool | Annotated[str, Field(max_length=200)]


Event = Annotated[
    Lockdown | Promotion | Recession | DeliveryDisruption | StoreEntry | SetAttribute,
    Field(discriminator="type"),
]
EVENT_TYPES: dict[str, type[_Event]] = {
    "lockdown": Lockdown,
    "promotion": Promotion,
    "recession": Recession,
    "delivery_disruption": DeliveryDisruption,
    "store_entry": StoreEntry,
    "set": SetAttribute,
}
