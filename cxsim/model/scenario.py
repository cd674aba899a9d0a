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

Old behaviour keys: ``[behaviour]`` is a table of groups (``[behaviour.research]
visit = -0.45``, :mod:`cxsim.model.behaviour`). The flat keys of files written
before the groups (``research_visit = -0.45``) are still accepted, silently, in
files (each file's table is nested as it is read, so a child's old key and its
parent's new one merge correctly) and in overrides (``--set
behaviour.research_visit=-0.5`` sets ``behaviour.research.visit``); the resolved
scenario (``cxsim show``) always uses the groups. Near-misses of either spelling
get a "did you mean" hint.

Units: days for time, kilometres for distance, a price *index* for prices
(1.0 is the town's reference price for the category), and 0..1 for qualities.
A store's fixed costs, cash, credit limit, capacity, online channel cost and staff
hours are given **per 1,000 shoppers** in the town, so that its economics do not
depend on how many shoppers are simulated;
per-order costs (delivery, returns, after-sales) are per order, in currency units.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, ValidationError

from cxsim.core import config
from cxsim.core.config import Seed, StrictModel, parse_override
from cxsim.core.errors import ScenarioError, did_you_mean
from cxsim.model.behaviour import LEGACY_KEYS, Behaviour, canonical_path, nest_legacy
from cxsim.model.library import find_scenario_file, scenario_names, scenarios_dir
from cxsim.model.scenario_bounds import (
    MAX_CAPACITY,
    MAX_DAYS,
    MAX_DELIVERY_DAYS,
    MAX_EVENTS,
    MAX_MONEY,
    MAX_PRICE,
    MAX_SEGMENTS,
    MAX_SHOPPERS,
    MAX_STORES,
    MAX_TOWN_KM,
    MAX_WARMUP_DAYS,
    MAX_WEIGHT,
    check_memory,
)
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
    "canonical_path",
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
Weight = Annotated[float, Field(ge=0.0, le=MAX_WEIGHT)]
Km = Annotated[float, Field(gt=0.0, le=MAX_TOWN_KM)]
Coordinate = Annotated[float, Field(ge=0.0, le=MAX_TOWN_KM)]
Money = Annotated[float, Field(ge=0.0, le=MAX_MONEY)]
Days = Annotated[int, Field(ge=1, le=MAX_DAYS)]
MAX_HOURS = 1_000.0
"""Staff hours a day per 1,000 shoppers (a bound against typos, far above any shop)."""
StoreKind = Literal["physical", "online", "omnichannel"]
StrategyName = Literal["static", "price_match", "invest_service", "invest_personalization", "open_online"]


class Town(StrictModel):
    """The town map and its shoppers."""

    shoppers: Annotated[int, Field(ge=1, le=MAX_SHOPPERS)] = 10_000
    """Shoppers in town; also bounded by the memory of the machine (:func:`check_memory`)."""
    size_km: Km = 12.0
    centre_share: Unit = 0.6
    """Share of homes clustered around the town centre (the rest spread evenly)."""
    centre_spread_km: Km = 2.5
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
    price: Weight = 1.0
    service: Weight = 1.0
    personalization: Weight = 1.0
    convenience: Weight = 1.0
    reputation: Weight = 1.0
    loyalty: Weight = 1.0
    savvy: Unit = 0.5
    """Mean digital savviness (0..1)."""
    recreational: Unit = 0.3
    """Share of members who shop for pleasure (the rest are task-oriented)."""
    need_interval_days: Annotated[float, Field(gt=0.0, le=MAX_DAYS)] = 60.0
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
    ticket: Annotated[float, Field(gt=0.0, le=MAX_MONEY)] = 80.0
    """Average ticket at price index 1.0, in currency units."""


class Store(StrictModel):
    """A retailer: its channels, its customer experience and its economics."""

    kind: StoreKind
    label: str | None = None
    x: Coordinate = 6.0
    """Kilometres from the town's west edge, 0..town.size_km."""
    y: Coordinate = 6.0
    """Kilometres from the town's south edge, 0..town.size_km."""
    open: bool = True
    price: Annotated[float, Field(gt=0.0, le=MAX_PRICE)] = 1.0
    service_quality: Unit = 0.6
    target_service: Unit | None = None
    service_adjust_rate: Unit = 0.01
    """Daily rate at which service quality moves toward its target (culture)."""
    service_consistency: Unit = 0.6
    personalization: Unit = 0.3
    atmosphere: Unit = 0.5
    capacity: Annotated[float, Field(gt=0.0, le=MAX_CAPACITY)] = 40.0
    """Walk-in purchases a day per 1,000 shoppers before the store feels crowded."""
    delivery_days: Annotated[float, Field(ge=0.0, le=MAX_DELIVERY_DAYS)] = 2.0
    delivery_reliability: Unit = 0.92
    delivery_capacity: Annotated[float, Field(gt=0.0, le=MAX_CAPACITY)] | None = None
    """Home deliveries a day per 1,000 shoppers the store can dispatch; orders beyond it wait
    in a backlog and arrive late (``None``: unlimited)."""
    essential: bool = False
    """Its shop floor stays open through a lockdown (walk-ins and research visits)."""
    curbside: bool = False
    """During a lockdown that allows pick-up it hands orders (phone or online) over at the kerb,
    even without click-and-collect; without it a closed shop floor hands over nothing."""
    return_leniency: Unit = 0.5
    cross_channel_returns: bool = False
    after_sales: Unit = 0.5
    bopis: bool = False
    channel_consistency: Unit = 1.0
    online_price_gap: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    """How far the online price lies below the shelf price (a fraction; 0: one price everywhere)."""
    margin: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.35
    fixed_cost: Money = 7.0
    """Rent and overheads per day per 1,000 shoppers (staff of the experience: the running costs below)."""
    wage: Money = 22.0
    """Loaded cost of one staff hour (wage plus employer costs), currency units."""
    service_hours: Annotated[float, Field(ge=0.0, le=MAX_HOURS)] = 2.0
    """Advisor hours a day per 1,000 shoppers at service 1 (running cost ∝ the service target)."""
    personalization_hours: Annotated[float, Field(ge=0.0, le=MAX_HOURS)] = 0.5
    """Clienteling and customer-data hours a day per 1,000 shoppers at personalization 1."""
    after_sales_hours: Annotated[float, Field(ge=0.0, le=MAX_HOURS)] = 0.5
    """Help-desk and technician hours a day per 1,000 shoppers at after-sales capability 1."""
    capacity_hours: Annotated[float, Field(ge=0.0, le=MAX_HOURS)] = 0.02
    """Till and stock hours a day per unit of capacity (shop floors only)."""
    visit_minutes: Annotated[float, Field(ge=0.0, le=1_440.0)] = 10.0
    """Advisor minutes a research visit takes at service 1 (∝ service)."""
    delivery_cost: Money = 6.0
    return_cost: Money = 8.0
    after_sales_cost: Money = 10.0
    cash: Annotated[float, Field(ge=-MAX_MONEY, le=MAX_MONEY)] = 20_000.0
    credit_limit: Money = 5_000.0
    """Overdraft per 1,000 shoppers: a store whose cash falls below minus this closes."""
    exit_horizon_days: Annotated[int, Field(ge=0, le=MAX_DAYS)] = 90
    """Days of expected profit the owner looks ahead: it exits when cash + horizon × expected < 0."""
    profit_memory_days: Days = 60
    """Memory of the expected daily profit (an exponentially weighted mean of trading days)."""
    strategy: StrategyName = "static"
    strategy_every: Days = 30
    strategy_step: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05
    online_channel_cost: Money = 20.0
    """Extra fixed cost per day per 1,000 shoppers of the online channel that ``open_online`` opens."""

    removed_keys: ClassVar[dict[str, str]] = {
        "strategy_cost": "since 0.3.0 an investment's cost is the running cost of the attribute it "
        "raises (service_hours, personalization_hours, wage); open_online adds online_channel_cost",
    }


class Scenario(StrictModel):
    """A complete, validated what-if scenario."""

    name: str = "baseline"
    description: str = ""
    question: str = ""
    extends: str | None = None
    seed: Seed = 42
    days: Days = 365
    summary_window_days: Days = 365
    collect_every: Days = 1
    """Collect the daily tables every k days (the last day is always collected)."""
    collect_purchases: bool = False
    collect_reviews: bool = False
    """Keep the ``reviews`` table (one row per review)."""
    warmup_days: Annotated[int, Field(ge=0, le=MAX_WARMUP_DAYS)] = 730
    """Days simulated before day 1 (no events, no accounts, no data) so that beliefs, loyalty and
    habits reach their steady state (two years: the drift check of ``cxsim validate``)."""
    town: Town = Field(default_factory=Town)
    category: Category = Field(default_factory=Category)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    segments: Annotated[dict[str, Segment], Field(max_length=MAX_SEGMENTS)] = Field(
        default_factory=lambda: _defaults("segments", Segment)
    )
    stores: Annotated[dict[str, Store], Field(max_length=MAX_STORES)] = Field(
        default_factory=lambda: _defaults("stores", Store)
    )
    events: Annotated[list[Event], Field(max_length=MAX_EVENTS)] = Field(default_factory=list)

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

_DICT_VALUES: dict[str, type[StrictModel]] = {"stores": Store, "segments": Segment}


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
    data = config.read_toml(path, "a scenario file", error=ScenarioError)
    behaviour = data.get("behaviour")
    if isinstance(behaviour, dict):
        data["behaviour"] = nest_legacy(behaviour)
    return data


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


_OLD_KEYS = {"behaviour": list(LEGACY_KEYS)}


def apply_override(data: dict[str, Any], text: str) -> dict[str, Any]:
    """Apply one ``--set PATH=VALUE`` override to raw scenario data (old behaviour keys accepted)."""
    path, sep, value = text.partition("=")
    new = canonical_path(path.strip()) if sep else path
    if new != path.strip():
        try:
            return config.apply_override(data, f"{new}={value}", Scenario, error=ScenarioError)
        except ScenarioError as exc:
            raise ScenarioError(f"--set {text}", exc.key, exc.expected, exc.found, exc.hint) from None
    return config.apply_override(data, text, Scenario, extra_keys=_OLD_KEYS, error=ScenarioError)


def _expected(exc: ValidationError) -> str:
    return config.expected_of(exc)


def _removed_note(attribute: str) -> str | None:
    note = Store.removed_keys.get(attribute)
    return None if note is None else f"{attribute!r} was removed: {note}"


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
                    _removed_note(ev.attribute) or did_you_mean(ev.attribute, settable),
                )
            try:
                s.stores[ev.store].model_copy().__setattr__(ev.attribute, ev.value)
            except ValidationError as exc:
                raise ScenarioError(source, f"events.{i}.value", _expected(exc), ev.value) from None
            if ev.attribute in ("x", "y") and float(ev.value) > s.town.size_km:
                raise ScenarioError(
                    source,
                    f"events.{i}.value",
                    f"a coordinate within the town (0..town.size_km = {s.town.size_km:g} km)",
                    ev.value,
                )
    if not any(st.open for st in s.stores.values()):
        raise ScenarioError(source, "stores.*.open", "at least one store open on day 1", False)
    for name, st in s.stores.items():
        for axis in ("x", "y"):
            if getattr(st, axis) > s.town.size_km:
                raise ScenarioError(
                    source,
                    f"stores.{name}.{axis}",
                    f"a coordinate within the town (0..town.size_km = {s.town.size_km:g} km)",
                    getattr(st, axis),
                )
    check_memory(s.town.shoppers, len(s.stores), s.town.social_degree, source)


def validate(data: dict[str, Any], source: str) -> Scenario:
    """Validate raw scenario data into a :class:`Scenario`."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise config.translate_validation_error(
            source, data, exc, Scenario, extra_keys=_OLD_KEYS, error=ScenarioError
        ) from None
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
