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
    """Shop floors close to walk-ins and visits, except at ``essential`` stores."""

    type: Literal["lockdown"] = "lockdown"
    pickup: bool = True
    """Whether stores with ``curbside`` may hand orders over at the kerb during the lockdown
    (a closed shop floor's click-and-collect counter closes with it)."""
    fixed_cost_relief: Unit = 0.5
    """Share of the standing costs (fixed and running) of a store whose shop floor is shut that
    public support and deferrals relieve (UK furlough scheme: 80% of furloughed wages; business
    rates holiday; US Paycheck Protection Program: about 8 weeks of payroll)."""


class Promotion(_SpanEvent):
    """A store's discount (Black Friday, Singles' Day); it pulls demand forward to that store.

    Each day of the promotion, a shopper whose next need falls within
    ``pull_forward_days`` is *reached* (notices the deal and considers buying now,
    at this store) with a probability that grows with the discount and with its
    weight on price (:func:`cxsim.rules.promotions.reach_probability`); a reached
    shopper then buys here now or waits for its need's day (docs/ODD.md, promotions).
    """

    type: Literal["promotion"] = "promotion"
    store: str
    discount: Annotated[float, Field(ge=0.0, le=0.9)]
    """Price cut, 0..0.9 (0.30: 30% off); 0 reaches nobody."""
    online_only: bool = False
    pull_forward_days: Annotated[int, Field(ge=0, le=3_650)] = 30
    """Needs due within this many days after today can be pulled forward."""
    response: Unit = 0.5
    """The promotion's reach scale: the largest daily probability that it reaches a shopper
    with a need in the window (its advertising and salience). A shopper of price weight
    ``w`` is reached with ``response × (1 − exp(−w × discount / behaviour.promotions.depth))``:
    at the default depth 0.20, 30% off reaches an average shopper (w = 1) with 0.78 × ``response``."""


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
