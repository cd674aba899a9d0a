"""The scenario schema: typed, validated defaults for a whole simulated town.

A scenario is a TOML file in the scenario library (:mod:`cxsim.model.library`:
the built-in scenarios in ``cxsim/data/scenarios`` with the user's folders
layered over them). It may ``extends`` another scenario (by name or path) and
override single values; on the command line ``--set
stores.corner_shop.service_quality=0.9`` overrides one value by its dotted path.
Files are read, merged and overridden by :mod:`cxsim.core.config`; everything is
validated by pydantic on load; every failure is a
:class:`~cxsim.core.errors.ScenarioError` naming the file, the key path, what was
expected and what was found. The default town (segments and stores of a scenario
that defines none) is data: ``cxsim/data/defaults.toml``.

Units: days for time, kilometres for distance, a price *index* for prices
(1.0 is the town's reference price for the category), and 0..1 for qualities.
A store's fixed costs, cash and capacity are given **per 1,000 shoppers** in the
town, so that its economics do not depend on how many shoppers are simulated;
per-order costs (delivery, returns, after-sales) are per order, in currency units.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from cxsim.core import config
from cxsim.core.config import StrictModel, parse_override
from cxsim.core.errors import ScenarioError, did_you_mean
from cxsim.model.library import find_scenario_file, scenario_names, scenarios_dir
from cxsim.model.scenario_events import (
    EVENT_TYPES,
    DeliveryDisruption,
    Event,
    Lockdown,
    Promotion,
    Recession,
    SetAttribute,
    StoreEntry,
)

__all__ = [
    "EVENT_TYPES",
    "Behaviour",
    "Category",
    "DeliveryDisruption",
    "Event",
    "Lockdown",
    "Promotion",
    "Recession",
    "Scenario",
    "Segment",
    "SetAttribute",
    "Store",
    "StoreEntry",
    "Town",
    "apply_override",
    "check_consistency",
    "deep_merge",
    "find_scenario_file",
    "load_raw",
    "load_scenario",
    "parse_override",
    "scenario_names",
    "scenarios_dir",
    "validate",
]

deep_merge = config.deep_merge

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Pos = Annotated[float, Field(gt=0.0)]
StoreKind = Literal["physical", "online", "omnichannel"]
StrategyName = Literal["static", "price_match", "invest_service", "invest_personalization", "open_online"]


class Town(StrictModel):
    """The town map and its shoppers."""

    shoppers: Annotated[int, Field(ge=1, le=50_000_000)] = 10_000
    size_km: Pos = 12.0
    centre_share: Unit = 0.6
    """Share of homes clustered around the town centre (the rest spread evenly)."""
    centre_spread_km: Pos = 2.5
    social_degree: Annotated[int, Field(ge=0, le=64)] = 8
    """Acquaintances each shopper talks to (word of mouth); most live nearby, see social_rewire."""
    social_rewire: Unit = 0.2
    """Share of acquaintances drawn from anywhere in town (small-world shortcuts)."""


class Segment(StrictModel):
    """A shopper segment: what its members weigh and how they shop.

    Weights multiply the choice coefficients of :class:`Behaviour`; 1.0 is the
    town's average shopper.
    """

    share: Unit
    price: NonNeg = 1.0
    service: NonNeg = 1.0
    personalization: NonNeg = 1.0
    convenience: NonNeg = 1.0
    reputation: NonNeg = 1.0
    loyalty: NonNeg = 1.0
    savvy: Unit = 0.5
    """Mean digital savviness (0..1)."""
    recreational: Unit = 0.3
    """Share of members who shop for pleasure (the rest are task-oriented)."""
    need_interval_days: Pos = 60.0
    """Mean days between two needs in the category."""


class Category(StrictModel):
    """The product category of the scenario."""

    name: str = "consumer electronics and home goods"
    touch_feel: Unit = 0.55
    """How much the product gains from being seen and touched before purchase."""
    base_return_rate: Unit = 0.07
    """Probability a product that fits is returned anyway (changed mind, defect)."""
    misfit_unseen: Unit = 0.30
    """Extra misfit probability of a product bought unseen, at touch_feel = 1
    (unseen misfit = misfit_seen + touch_feel x misfit_unseen)."""
    misfit_seen: Unit = 0.04
    """Probability a product inspected before purchase does not fit."""
    misfit_return: Unit = 0.70
    """Probability a misfit is returned under a neutral return policy."""
    after_sales_need: Unit = 0.12
    """Probability a purchase needs after-sales care (installation, repair, advice)."""
    urgency: Unit = 0.4
    """How much waiting for delivery hurts (0: not at all, 1: needed today)."""
    ticket: Pos = 80.0
    """Average ticket at price index 1.0, in currency units."""


class Behaviour(StrictModel):
    """Coefficients of the shoppers' decision rules (see docs/ODD.md, submodels)."""

    # research channel (zero moment of truth)
    research_none: float = 0.6
    research_habit: float = 2.0
    research_online: float = -1.3
    research_online_savvy: float = 3.0
    research_visit: float = -0.45
    research_visit_touch: float = 1.5
    research_visit_recreational: float = 0.8
    research_visit_km: NonNeg = 0.25
    # choice (utility coefficients)
    price: NonNeg = 10.0
    """Utility lost per unit of price index (10% dearer = -1 for an average shopper)."""
    price_awareness: Unit = 0.5
    """Share of an unresearched alternative's price difference the shopper perceives."""
    service: NonNeg = 2.0
    personalization: NonNeg = 2.0
    convenience: NonNeg = 1.0
    travel_per_km: NonNeg = 0.30
    crowding: NonNeg = 0.8
    delivery_per_day: NonNeg = 0.35
    delivery_hassle: NonNeg = 1.5
    pickup_hassle: NonNeg = 2.0
    loyalty: NonNeg = 2.5
    reputation: NonNeg = 2.0
    unseen_risk: NonNeg = 2.0
    """Utility lost buying a product unseen, at touch_feel = 1."""
    return_ease: NonNeg = 0.5
    """Utility of an easy return policy for products bought unseen."""
    walk_out_effort: NonNeg = 1.0
    """Utility of buying in the store one is standing in, over leaving it."""
    digital_habit: NonNeg = 1.0
    """Utility of ordering online for a shopper with a full digital habit."""
    no_purchase: float = -4.0
    """Utility of postponing the purchase altogether."""
    # experience and satisfaction
    experience_base: float = 0.85
    experience_service: NonNeg = 0.30
    experience_personalization: NonNeg = 0.20
    experience_atmosphere: NonNeg = 0.10
    experience_crowding: NonNeg = 0.15
    crowding_optimum: Pos = 0.6
    """Crowding (walk-ins per capacity) that recreational shoppers enjoy most."""
    experience_value: NonNeg = 0.5
    experience_late_per_day: NonNeg = 0.06
    experience_misfit: NonNeg = 0.15
    experience_return_hassle: NonNeg = 0.12
    experience_after_sales: NonNeg = 0.35
    experience_inconsistency: NonNeg = 0.25
    service_noise: NonNeg = 0.25
    """Spread of the realized service around its quality, at zero consistency."""
    mood_noise: NonNeg = 0.08
    disconfirmation: NonNeg = 0.8
    """Weight of disconfirmation (experience minus expectation) in satisfaction."""
    expectation_rate: Unit = 0.25
    # loyalty, avoidance, personalization
    loyalty_gain: NonNeg = 0.5
    loyalty_loss: NonNeg = 1.2
    """Loss per unit of negative disconfirmation (> gain: negativity bias)."""
    loyalty_repeat: NonNeg = 0.12
    """Loyalty gained by a purchase itself (habit of returning)."""
    loyalty_decay: Unit = 0.0025
    """Daily fading of loyalty without visits."""
    avoid_threshold: float = -0.30
    """Disconfirmation below which a shopper avoids the store."""
    avoid_days: Annotated[int, Field(ge=0)] = 120
    familiarity_gain: Unit = 0.25
    familiarity_decay: Unit = 0.003
    # sharing
    recommend_noise: NonNeg = 0.7
    review_base: Unit = 0.02
    review_extremity: Unit = 0.35
    review_rate: Unit = 0.05
    """Weight of one review in the store's public rating."""
    wom_positive: Unit = 0.30
    """Probability that a promoter tells acquaintances."""
    wom_negative: Unit = 0.30
    """Probability that a detractor tells acquaintances."""
    wom_reach: Annotated[int, Field(ge=0, le=64)] = 3
    wom_weight: Unit = 0.15
    wom_negative_weight: Unit = 0.25
    research_reputation_weight: Unit = 0.5
    # digital habit
    habit_gain: Unit = 0.15
    habit_decay: Unit = 0.002
    # promotions
    impulse_return: Unit = 0.10
    """Extra return probability of a purchase pulled forward by a promotion and bought
    at the promoting store (an impulse buy; not at stores the shopper went to instead)."""
    nps_window_days: Annotated[int, Field(ge=1)] = 30


class Store(StrictModel):
    """A retailer: its channels, its customer experience and its economics."""

    kind: StoreKind
    label: str | None = None
    x: float = 6.0
    y: float = 6.0
    open: bool = True
    price: Pos = 1.0
    service_quality: Unit = 0.6
    target_service: Unit | None = None
    service_adjust_rate: Unit = 0.01
    """Daily rate at which service quality moves toward its target (culture)."""
    service_consistency: Unit = 0.6
    personalization: Unit = 0.3
    atmosphere: Unit = 0.5
    capacity: Pos = 40.0
    """Walk-in purchases a day per 1,000 shoppers before the store feels crowded."""
    delivery_days: NonNeg = 2.0
    delivery_reliability: Unit = 0.92
    return_leniency: Unit = 0.5
    cross_channel_returns: bool = False
    after_sales: Unit = 0.5
    bopis: bool = False
    channel_consistency: Unit = 1.0
    margin: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.35
    fixed_cost: NonNeg = 60.0
    delivery_cost: NonNeg = 6.0
    return_cost: NonNeg = 8.0
    after_sales_cost: NonNeg = 10.0
    cash: float = 20_000.0
    strategy: StrategyName = "static"
    strategy_every: Annotated[int, Field(ge=1)] = 30
    strategy_step: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05
    strategy_cost: NonNeg = 4.0
    """Extra fixed cost per day per step of investment (staff, systems)."""


class Scenario(StrictModel):
    """A complete, validated what-if scenario."""

    name: str = "baseline"
    description: str = ""
    question: str = ""
    extends: str | None = None
    seed: Annotated[int, Field(ge=0)] = 42
    days: Annotated[int, Field(ge=1, le=36_500)] = 365
    summary_window_days: Annotated[int, Field(ge=1)] = 365
    collect_every: Annotated[int, Field(ge=1)] = 1
    """Collect the daily tables every k days (the last day is always collected)."""
    collect_purchases: bool = False
    warmup_days: Annotated[int, Field(ge=0, le=3650)] = 90
    """Days simulated before day 1 (no events, no accounts, no data) so habits settle."""
    town: Town = Field(default_factory=Town)
    category: Category = Field(default_factory=Category)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    segments: dict[str, Segment] = Field(default_factory=lambda: _defaults("segments", Segment))
    stores: dict[str, Store] = Field(default_factory=lambda: _defaults("stores", Store))
    events: list[Event] = Field(default_factory=list)

    def store_names(self) -> list[str]:
        """Store names in the order of the model's store index."""
        return list(self.stores)

    def to_toml_dict(self) -> dict[str, Any]:
        """The resolved scenario as plain data (for provenance and ``cxsim show``)."""
        return self.model_dump(mode="json", exclude_none=True)


# --------------------------------------------------------------------------- the default town


@functools.cache
def _default_data() -> dict[str, Any]:
    return config.read_toml(config.data_path("defaults.toml"), "the default town", error=ScenarioError)


def _defaults[M: StrictModel](table: str, model: type[M]) -> dict[str, M]:
    """The default town's ``segments`` or ``stores`` (from ``cxsim/data/defaults.toml``)."""
    return {name: model.model_validate(values) for name, values in _default_data()[table].items()}


# --------------------------------------------------------------------------- loading

_DICT_VALUES: dict[str, type[BaseModel]] = {"stores": Store, "segments": Segment}


def with_default_tables(data: dict[str, Any]) -> dict[str, Any]:
    """Spell out the default stores and segments of a root scenario that does not define its own.

    A root scenario (one without ``extends``) that defines ``stores`` gets
    exactly those stores; one that does not gets the schema's default town,
    written out so that scenarios extending it can change single values of it.
    """
    for key, model in _DICT_VALUES.items():
        if key not in data:
            data[key] = {k: v.model_dump(exclude_none=True) for k, v in _defaults(key, model).items()}
    return data


def _read(path: Path) -> dict[str, Any]:
    return config.read_toml(path, "a scenario file", error=ScenarioError)


def load_raw(name_or_path: str | Path) -> tuple[dict[str, Any], Path]:
    """Read a scenario file and everything it ``extends``, merged, unvalidated."""
    path = find_scenario_file(name_or_path).resolve()
    data = config.resolve_extends(
        path,
        find_scenario_file,
        read=_read,
        root=with_default_tables,
        own_keys=("name", "description", "question"),
        noun="scenarios",
        error=ScenarioError,
    )
    return data, path


def apply_override(data: dict[str, Any], text: str) -> dict[str, Any]:
    """Apply one ``--set PATH=VALUE`` override to raw scenario data."""
    return config.apply_override(data, text, Scenario, error=ScenarioError)


def _expected(exc: ValidationError) -> str:
    return config.expected_of(exc)


def check_consistency(s: Scenario, source: str) -> None:
    """Checks that span several keys: shares, store references, the horizon."""
    total = sum(seg.share for seg in s.segments.values())
    if not s.segments:
        raise ScenarioError(source, "segments", "at least one segment", "none")
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ScenarioError(source, "segments.*.share", "shares that sum to 1", round(total, 6))
    if not s.stores:
        raise ScenarioError(source, "stores", "at least one store", "none")
    names = list(s.stores)
    for i, ev in enumerate(s.events):
        if ev.start > s.days:
            raise ScenarioError(
                source, f"events.{i}.start", f"a day within the horizon (1..{s.days})", ev.start
            )
        store = getattr(ev, "store", None)
        if store is not None and store not in s.stores:
            raise ScenarioError(
                source,
                f"events.{i}.store",
                f"a store of this scenario ({', '.join(names)})",
                store,
                did_you_mean(store, names),
            )
        if isinstance(ev, StoreEntry) and s.stores[ev.store].open:
            raise ScenarioError(
                source,
                f"stores.{ev.store}.open",
                f"false, since events.{i} makes the store enter on day {ev.start}",
                True,
            )
        if isinstance(ev, SetAttribute):
            settable = [f for f in Store.model_fields if f not in ("kind", "label", "open")]
            if ev.attribute not in settable:
                raise ScenarioError(
                    source,
                    f"events.{i}.attribute",
                    "a store attribute that can change",
                    ev.attribute,
                    did_you_mean(ev.attribute, settable),
                )
            try:
                s.stores[ev.store].model_copy().__setattr__(ev.attribute, ev.value)
            except ValidationError as exc:
                raise ScenarioError(source, f"events.{i}.value", _expected(exc), ev.value) from None
    if not any(st.open for st in s.stores.values()):
        raise ScenarioError(source, "stores.*.open", "at least one store open on day 1", False)


def validate(data: dict[str, Any], source: str) -> Scenario:
    """Validate raw scenario data into a :class:`Scenario`."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise config.translate_validation_error(source, data, exc, Scenario, error=ScenarioError) from None
    check_consistency(scenario, source)
    return scenario


def load_scenario(
    name_or_path: str | Path | Scenario,
    overrides: list[str] | tuple[str, ...] = (),
    *,
    days: int | None = None,
    seed: int | None = None,
) -> Scenario:
    """Load, merge, override and validate a scenario.

    Args:
        name_or_path: a scenario name of the library (:mod:`cxsim.model.library`),
            a path to a TOML file, or an already loaded :class:`Scenario`.
        overrides: ``PATH=VALUE`` strings, applied in order.
        days: replaces the scenario's horizon.
        seed: replaces the scenario's seed.
    """
    if isinstance(name_or_path, Scenario):
        data, source = name_or_path.model_dump(mode="python"), name_or_path.name
    else:
        data, path = load_raw(name_or_path)
        data.setdefault("name", path.stem)
        source = str(path)
    for text in overrides:
        data = apply_override(data, text)
    if days is not None:
        data["days"] = days
    if seed is not None:
        data["seed"] = seed
    if overrides:
        source += " (with --set " + ", ".join(overrides) + ")"
    return validate(data, source)
