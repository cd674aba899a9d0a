"""The scenario schema: typed, validated defaults for a whole simulated town.

A scenario is a TOML file under ``scenarios/``. It may ``extends`` another
scenario (by name or path) and override single values; on the command line
``--set stores.corner_shop.service_quality=0.9`` overrides one value by its
dotted path. Everything is validated by pydantic on load; every failure is an
:class:`~cxsim.core.errors.ScenarioError` naming the file, the key path, what was
expected and what was found.

Units: days for time, kilometres for distance, a price *index* for prices
(1.0 is the town's reference price for the category), and 0..1 for qualities.
A store's fixed costs, cash and capacity are given **per 1,000 shoppers** in the
town, so that its economics do not depend on how many shoppers are simulated;
per-order costs (delivery, returns, after-sales) are per order, in currency units.
"""

from __future__ import annotations

import math
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cxsim.core.errors import ScenarioError, did_you_mean

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Pos = Annotated[float, Field(gt=0.0)]
StoreKind = Literal["physical", "online", "omnichannel"]
StrategyName = Literal["static", "price_match", "invest_service", "invest_personalization", "open_online"]


class _Strict(BaseModel):
    """Base: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Town(_Strict):
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


class Segment(_Strict):
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


def _default_segments() -> dict[str, Segment]:
    return {
        "bargain_hunter": Segment(
            share=0.22,
            price=2.0,
            service=0.6,
            personalization=0.5,
            convenience=0.8,
            reputation=0.9,
            loyalty=0.5,
            savvy=0.65,
            recreational=0.35,
            need_interval_days=60,
        ),
        "convenience_seeker": Segment(
            share=0.23,
            price=0.8,
            service=0.7,
            personalization=0.6,
            convenience=1.8,
            reputation=0.8,
            loyalty=0.9,
            savvy=0.55,
            recreational=0.1,
            need_interval_days=55,
        ),
        "experience_seeker": Segment(
            share=0.18,
            price=0.6,
            service=1.8,
            personalization=1.6,
            convenience=0.7,
            reputation=1.1,
            loyalty=1.0,
            savvy=0.45,
            recreational=0.7,
            need_interval_days=50,
        ),
        "loyal_local": Segment(
            share=0.17,
            price=0.7,
            service=1.3,
            personalization=1.2,
            convenience=1.0,
            reputation=0.7,
            loyalty=1.8,
            savvy=0.25,
            recreational=0.3,
            need_interval_days=65,
        ),
        "digital_native": Segment(
            share=0.20,
            price=1.2,
            service=0.7,
            personalization=1.0,
            convenience=1.4,
            reputation=1.3,
            loyalty=0.6,
            savvy=0.9,
            recreational=0.3,
            need_interval_days=55,
        ),
    }


class Category(_Strict):
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


class Behaviour(_Strict):
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


class Store(_Strict):
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


class _Event(_Strict):
    start: Annotated[int, Field(ge=1)]


class _SpanEvent(_Event):
    days: Annotated[int, Field(ge=1)]


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
    pull_forward_days: Annotated[int, Field(ge=0)] = 30
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
    extra_days: NonNeg = 3.0
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
    value: float | int | bool | str


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


def _default_stores() -> dict[str, Store]:
    return {
        "corner_shop": Store(
            kind="physical",
            label="Corner Shop",
            x=5.0,
            y=6.5,
            price=1.08,
            service_quality=0.82,
            service_consistency=0.75,
            personalization=0.6,
            atmosphere=0.7,
            capacity=6.0,
            after_sales=0.75,
            return_leniency=0.4,
            margin=0.38,
            fixed_cost=107.0,
            cash=12_000.0,
        ),
        "boutique": Store(
            kind="physical",
            label="Boutique",
            x=7.2,
            y=5.4,
            price=1.12,
            service_quality=0.85,
            service_consistency=0.8,
            personalization=0.7,
            atmosphere=0.85,
            capacity=5.0,
            after_sales=0.7,
            return_leniency=0.4,
            margin=0.40,
            fixed_cost=110.0,
            cash=12_000.0,
        ),
        "chain": Store(
            kind="physical",
            label="MegaChain",
            x=8.5,
            y=8.5,
            price=1.0,
            service_quality=0.55,
            service_consistency=0.55,
            personalization=0.2,
            atmosphere=0.5,
            capacity=30.0,
            after_sales=0.55,
            return_leniency=0.6,
            margin=0.30,
            fixed_cost=69.0,
            cash=60_000.0,
        ),
        "omni": Store(
            kind="omnichannel",
            label="OmniMart",
            x=3.5,
            y=3.5,
            price=0.98,
            service_quality=0.6,
            service_consistency=0.65,
            personalization=0.45,
            atmosphere=0.55,
            capacity=20.0,
            delivery_days=2.0,
            delivery_reliability=0.93,
            return_leniency=0.65,
            cross_channel_returns=True,
            after_sales=0.6,
            bopis=True,
            channel_consistency=0.95,
            margin=0.30,
            fixed_cost=93.0,
            cash=50_000.0,
        ),
        "giant": Store(
            kind="online",
            label="OnlineGiant",
            price=0.90,
            service_quality=0.5,
            service_consistency=0.9,
            personalization=0.5,
            atmosphere=0.0,
            capacity=1e6,
            delivery_days=2.0,
            delivery_reliability=0.94,
            return_leniency=0.8,
            after_sales=0.35,
            margin=0.30,
            fixed_cost=5.0,
            cash=200_000.0,
        ),
    }


class Scenario(_Strict):
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
    segments: dict[str, Segment] = Field(default_factory=_default_segments)
    stores: dict[str, Store] = Field(default_factory=_default_stores)
    events: list[Event] = Field(default_factory=list)

    def store_names(self) -> list[str]:
        """Store names in the order of the model's store index."""
        return list(self.stores)

    def to_toml_dict(self) -> dict[str, Any]:
        """The resolved scenario as plain data (for provenance and ``cxsim show``)."""
        return self.model_dump(mode="json", exclude_none=True)


# --------------------------------------------------------------------------- loading


def scenarios_dir() -> Path:
    """Where named scenarios live: $CXSIM_SCENARIOS, ./scenarios, or the repository's."""
    env = os.environ.get("CXSIM_SCENARIOS")
    if env:
        return Path(env)
    local = Path.cwd() / "scenarios"
    if local.is_dir():
        return local
    return Path(__file__).resolve().parents[2] / "scenarios"


def scenario_names() -> list[str]:
    """Names of the scenarios shipped under :func:`scenarios_dir`."""
    return sorted(p.stem for p in scenarios_dir().glob("*.toml"))


def find_scenario_file(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """Resolve a scenario name (under ``scenarios/``) or a path to a file."""
    text = str(name_or_path)
    candidates = []
    if relative_to is not None:
        candidates.append(relative_to / text)
        if not text.endswith(".toml"):
            candidates.append(relative_to / f"{text}.toml")
    candidates.append(Path(text))
    if not text.endswith(".toml"):
        candidates.append(scenarios_dir() / f"{text}.toml")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    names = scenario_names()
    raise ScenarioError(
        text,
        "",
        f"a scenario name ({', '.join(names) or 'none found'}) or a path to a .toml file",
        hint=did_you_mean(Path(text).stem, names),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), "", "valid TOML", hint=str(exc)) from None
    except OSError as exc:
        raise ScenarioError(str(path), "", "a readable file", hint=exc.strerror) from None


def deep_merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Merge ``child`` into ``base``: tables merge key by key, other values replace."""
    out = dict(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def with_default_tables(data: dict[str, Any]) -> dict[str, Any]:
    """Spell out the default stores and segments of a root scenario that does not define its own.

    A root scenario (one without ``extends``) that defines ``stores`` gets
    exactly those stores; one that does not gets the schema's default town,
    written out so that scenarios extending it can change single values of it.
    """
    for key in _DICT_VALUES:
        if key not in data:
            defaults = Scenario.model_fields[key].default_factory()  # type: ignore[misc,call-arg]
            data[key] = {k: v.model_dump(exclude_none=True) for k, v in defaults.items()}
    return data


def load_raw(name_or_path: str | Path, _chain: tuple[Path, ...] = ()) -> tuple[dict, Path]:
    """Read a scenario file and everything it ``extends``, merged, unvalidated."""
    relative_to = _chain[-1].parent if _chain else None
    path = find_scenario_file(name_or_path, relative_to).resolve()
    if path in _chain:
        cycle = " -> ".join(p.stem for p in (*_chain, path))
        raise ScenarioError(str(_chain[-1]), "extends", "a chain of scenarios without a cycle", found=cycle)
    data = _read_toml(path)
    parent = data.get("extends")
    if parent is None:
        return with_default_tables(data), path
    if not isinstance(parent, str):
        raise ScenarioError(str(path), "extends", "a scenario name or path (string)", parent)
    base, _ = load_raw(parent, (*_chain, path))
    for inherited in ("name", "description", "question"):
        if inherited not in data:
            base.pop(inherited, None)
    return deep_merge(base, data), path


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse ``a.b.c=value``; the value is read as TOML, else kept as a string."""
    if "=" not in text:
        raise ScenarioError("--set", text, "PATH=VALUE, e.g. stores.giant.price=0.85", text)
    path, _, raw = text.partition("=")
    parts = [p for p in path.strip().split(".") if p]
    if not parts:
        raise ScenarioError("--set", text, "a dotted key path before '='", path)
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return parts, value


def _schema_at(parts: list[str], data: dict[str, Any]) -> tuple[type[BaseModel] | None, str]:
    """The pydantic model that holds the last key of ``parts`` (None for free dicts)."""
    cls: type[BaseModel] | None = Scenario
    kind = "model"
    for i, part in enumerate(parts[:-1]):
        if kind == "dict":
            cls, kind = _DICT_VALUES[parts[i - 1]], "model"
            continue
        if kind == "list":
            idx = int(part) if part.isdigit() else -1
            events = data.get("events", [])
            etype = events[idx].get("type") if 0 <= idx < len(events) else None
            cls, kind = EVENT_TYPES.get(str(etype)), "model"
            if cls is None:
                return None, "model"
            continue
        assert cls is not None
        if part in _DICT_VALUES and cls is Scenario:
            kind = "dict"
        elif part == "events" and cls is Scenario:
            kind = "list"
        else:
            field = cls.model_fields.get(part)
            ann = field.annotation if field else None
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                cls = ann
            else:
                return None, "model"
    return cls, kind


_DICT_VALUES: dict[str, type[BaseModel]] = {"stores": Store, "segments": Segment}


def apply_override(data: dict[str, Any], text: str) -> dict[str, Any]:
    """Apply one ``--set PATH=VALUE`` override to raw scenario data."""
    parts, value = parse_override(text)
    cls, kind = _schema_at(parts, data)
    key = parts[-1]
    if kind == "model" and cls is not None and key not in cls.model_fields:
        raise ScenarioError(
            f"--set {text}",
            ".".join(parts),
            f"a key of {cls.__name__.lower()}",
            key,
            did_you_mean(key, cls.model_fields),
        )
    if kind == "dict" and parts[-2] in _DICT_VALUES:
        raise ScenarioError(f"--set {text}", ".".join(parts), f"a key inside {parts[-2]}.{key}", value)
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError(
                    f"--set {text}",
                    ".".join(parts[: i + 1]),
                    f"an index below {len(node)}",
                    part,
                )
            node = node[int(part)]
            continue
        if part not in node or not isinstance(node[part], dict | list):
            known = list(node) if isinstance(node, dict) else []
            if parts[i - 1 : i] == ["stores"] or parts[i - 1 : i] == ["segments"]:
                raise ScenarioError(
                    f"--set {text}",
                    ".".join(parts[: i + 1]),
                    f"one of {', '.join(known)}",
                    part,
                    did_you_mean(part, known),
                )
            node[part] = {}
        node = node[part]
    node[key] = value
    return data


def _loc_to_path(loc: tuple[Any, ...]) -> tuple[str, list[str]]:
    parts: list[str] = []
    for i, item in enumerate(loc):
        if i >= 2 and loc[0] == "events" and i == 2 and item in EVENT_TYPES:
            continue
        parts.append(str(item))
    return ".".join(parts), parts


def _validation_error(source: str, data: dict[str, Any], exc: ValidationError) -> ScenarioError:
    err = exc.errors()[0]
    key, parts = _loc_to_path(tuple(err["loc"]))
    if err["type"] == "extra_forbidden":
        cls, _kind = _schema_at(parts, data)
        allowed = list(cls.model_fields) if cls is not None else []
        return ScenarioError(
            source,
            key,
            f"a known key of {cls.__name__.lower() if cls else 'this table'}",
            parts[-1],
            did_you_mean(parts[-1], allowed) or "unknown key",
        )
    if err["type"] == "union_tag_invalid":
        return ScenarioError(
            source,
            key + ".type",
            f"an event type ({', '.join(EVENT_TYPES)})",
            err.get("ctx", {}).get("tag"),
            did_you_mean(str(err.get("ctx", {}).get("tag")), EVENT_TYPES),
        )
    found = err.get("input")
    if err["type"] == "missing":
        found = "nothing"
    return ScenarioError(source, key, _expected(err), found)


def _expected(err: Any) -> str:
    msg = str(err["msg"])
    prefix = "Input should be "
    if msg.startswith(prefix):
        return msg[len(prefix) :]
    if err["type"] == "missing":
        return "a value (this key is required)"
    return msg[0].lower() + msg[1:]


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
                msg = _expected(exc.errors()[0])
                raise ScenarioError(source, f"events.{i}.value", msg, ev.value) from None
    if not any(st.open for st in s.stores.values()):
        raise ScenarioError(source, "stores.*.open", "at least one store open on day 1", False)


def validate(data: dict[str, Any], source: str) -> Scenario:
    """Validate raw scenario data into a :class:`Scenario`."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(source, data, exc) from None
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
        name_or_path: a scenario name under ``scenarios/``, a path to a TOML
            file, or an already loaded :class:`Scenario`.
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
