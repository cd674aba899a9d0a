"""The shoppers' behaviour: the coefficient groups of the rules, composed into one table.

A scenario's ``[behaviour]`` table has one sub-table per group of rules; each
group is a frozen, validated object declared beside the rules that use it:

=================  =====================================================  ==============================
group              what it governs                                        declared in
=================  =====================================================  ==============================
``research``       how a shopper with a need gathers information          :mod:`cxsim.rules.research`
``choice``         utility of each (store, fulfilment) and of postponing  :mod:`cxsim.rules.choice`
``experience``     the experience's touchpoints and satisfaction          :mod:`cxsim.rules.experience`
``loyalty``        loyalty, avoidance, familiarity and digital habit       :mod:`cxsim.rules.loyalty`
``word_of_mouth``  recommendation, reviews, word of mouth and NPS          :mod:`cxsim.rules.word_of_mouth`
``fulfilment``     returns of impulse purchases                          :mod:`cxsim.rules.fulfilment`
``beliefs``        priors, signal noise and risk aversion of beliefs      :mod:`cxsim.rules.beliefs`
``promotions``     which shoppers a promotion reaches                     :mod:`cxsim.rules.promotions`
=================  =====================================================  ==============================

Scenario files and overrides written before the groups existed used flat,
prefixed keys (``research_visit``, ``wom_reach``...). :data:`LEGACY_KEYS` maps
every one to its dotted path in the groups (``research.visit``,
``word_of_mouth.reach``); :class:`Behaviour` accepts either form
(:func:`nest_legacy`), and :func:`canonical_path` translates a whole
``behaviour.…`` path; :meth:`Behaviour.legacy` reads a value by its old name.
One old name is now also a group name (``loyalty``, the choice weight of
loyalty, see :data:`SHADOWED`): as a number it still means the old key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

from pydantic import Field, model_validator

from cxsim.core.config import StrictModel
from cxsim.rules.beliefs import BeliefCoefficients
from cxsim.rules.choice import ChoiceCoefficients
from cxsim.rules.experience import ExperienceCoefficients
from cxsim.rules.fulfilment import FulfilmentCoefficients
from cxsim.rules.loyalty import LoyaltyCoefficients
from cxsim.rules.promotions import PromotionCoefficients
from cxsim.rules.research import ResearchCoefficients
from cxsim.rules.word_of_mouth import WordOfMouthCoefficients


def _legacy_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for name in ResearchCoefficients.model_fields:
        keys[f"research_{name}"] = f"research.{name}"
    for name in ChoiceCoefficients.model_fields:
        if name in _NEW_IN_0_2 or name in _NEW_CHOICE_IN_0_3:
            continue
        keys[name] = f"choice.{name}"
    for name in ExperienceCoefficients.model_fields:
        prefixed = name in ExperienceCoefficients.model_fields and name not in _EXPERIENCE_UNPREFIXED
        keys[f"experience_{name}" if prefixed else name] = f"experience.{name}"
    for name in LoyaltyCoefficients.model_fields:
        prefixed = name in ("gain", "loss", "repeat", "decay")
        keys[f"loyalty_{name}" if prefixed else name] = f"loyalty.{name}"
    for name in WordOfMouthCoefficients.model_fields:
        if name in _NEW_IN_0_2:
            continue
        prefixed = name in ("positive", "negative", "reach")
        keys[f"wom_{name}" if prefixed else name] = f"word_of_mouth.{name}"
    for name in FulfilmentCoefficients.model_fields:
        if name == "rebuy_days":  # new in 0.3.0: no flat key
            continue
        keys[name] = f"fulfilment.{name}"
    return keys


_NEW_IN_0_2 = ("neutral", "spread", "credibility", "retell", "hops", "decay", "anticipation")
"""Coefficients added with the beliefs (version 0.2.0): they have no flat key."""
_NEW_CHOICE_IN_0_3 = (
    "money",
    "value_of_time",
    "minutes_per_km",
    "crowding_minutes",
    "wait_per_day",
    "delivery_minutes",
    "pickup_minutes",
    "outside",
    "outside_budget",
    "lapse",
    "holding_per_day",
    "nest_physical",
    "nest_online",
    "nest_omnichannel",
)
"""Choice coefficients added with price in money, the outside option and the nests (0.3.0): no flat key."""
_EXPERIENCE_UNPREFIXED = (
    "crowding_optimum",
    "service_noise",
    "mood_noise",
    "disconfirmation",
    "expectation_rate",
)
LEGACY_KEYS: Final[dict[str, str]] = _legacy_keys()
"""Every flat key of the ``behaviour`` table before the groups (``research_visit``) -> its
dotted path inside ``behaviour`` (``research.visit``)."""
GROUPS: Final = (
    "research",
    "choice",
    "experience",
    "loyalty",
    "word_of_mouth",
    "fulfilment",
    "beliefs",
    "promotions",
)
"""The groups of :class:`Behaviour`, in order."""
SHADOWED: Final = tuple(k for k in LEGACY_KEYS if k in GROUPS)
"""Old flat keys that are now also group names (``loyalty``: the choice weight of loyalty).
As a number they still mean the old key; as a table, the group."""


def nest_legacy(table: Mapping[str, Any]) -> dict[str, Any]:
    """A ``behaviour`` table with its old flat keys moved into their groups.

    Group tables are kept; a flat key (a number, not a table) is written into
    its group over whatever the group table says. Unknown keys are left for
    validation to report.
    """
    out: dict[str, Any] = {}
    flat: list[tuple[str, Any]] = []
    for key, value in table.items():
        if key in LEGACY_KEYS and not (key in GROUPS and isinstance(value, Mapping)):
            flat.append((key, value))
        elif key in GROUPS and isinstance(value, Mapping):
            out[key] = dict(value)
        else:
            out[key] = value
    for key, value in flat:
        group, name = LEGACY_KEYS[key].split(".")
        target = out.setdefault(group, {})
        if isinstance(target, dict):
            target[name] = value
    return out


def canonical_path(path: str) -> str:
    """A dotted scenario path with an old flat behaviour key translated.

    ``behaviour.research_visit`` -> ``behaviour.research.visit``; any other path
    is returned unchanged.
    """
    parts = path.split(".")
    if len(parts) == 2 and parts[0] == "behaviour" and parts[1] in LEGACY_KEYS:
        return f"behaviour.{LEGACY_KEYS[parts[1]]}"
    return path


class Behaviour(StrictModel):
    """Coefficients of the shoppers' decision rules, by group (see docs/ODD.md, submodels)."""

    research: ResearchCoefficients = Field(default_factory=ResearchCoefficients)
    choice: ChoiceCoefficients = Field(default_factory=ChoiceCoefficients)
    experience: ExperienceCoefficients = Field(default_factory=ExperienceCoefficients)
    loyalty: LoyaltyCoefficients = Field(default_factory=LoyaltyCoefficients)
    word_of_mouth: WordOfMouthCoefficients = Field(default_factory=WordOfMouthCoefficients)
    fulfilment: FulfilmentCoefficients = Field(default_factory=FulfilmentCoefficients)
    beliefs: BeliefCoefficients = Field(default_factory=BeliefCoefficients)
    promotions: PromotionCoefficients = Field(default_factory=PromotionCoefficients)

    removed_keys: ClassVar[dict[str, str]] = {
        "review_rate": "since 0.2.0 a store's rating is the plain mean of its reviews' stars "
        "(see behaviour.beliefs.reviews_read and reviews_recent for what researchers read)",
        "research_reputation_weight": "since 0.2.0 reviews read online move beliefs by "
        "behaviour.beliefs.review_credibility",
        "wom_weight": "since 0.2.0 word of mouth moves hearers' beliefs by "
        "behaviour.word_of_mouth.credibility",
        "wom_negative_weight": "since 0.2.0 word of mouth moves hearers' beliefs by "
        "behaviour.word_of_mouth.credibility (negative stories weigh by their strength)",
        **ChoiceCoefficients.removed_keys,  # the flat keys of the choice coefficients removed in 0.3.0
    }

    @model_validator(mode="before")
    @classmethod
    def _accept_legacy_keys(cls, data: Any) -> Any:
        """Accept the flat keys of scenario files written before the groups."""
        return nest_legacy(data) if isinstance(data, Mapping) else data

    def legacy(self, key: str) -> Any:
        """The value of an old flat key (``research_visit``)."""
        group, name = LEGACY_KEYS[key].split(".")
        return getattr(getattr(self, group), name)

    def flat(self) -> dict[str, Any]:
        """Every coefficient by its old flat key, in the order of :data:`LEGACY_KEYS`."""
        return {key: self.legacy(key) for key in LEGACY_KEYS}
