"""The one classification of customer journeys: research → fulfilment → outcome.

A purchase's journey is how the shopper researched it (``none``: out of habit,
``online``, ``visit``: inspected in a store), how it was fulfilled (walk-in,
home delivery, pick-up in store) and how it ended:

- ``satisfied``: kept, and the shopper would recommend the store or is neutral
  (likelihood to recommend 7-10);
- ``disappointed``: kept, but the shopper is a detractor (0-6, Reichheld 2003);
- ``returned``: sent back;
- ``avoids store``: so disappointed that the shopper now avoids the store for a while.

Two journeys have names in the omnichannel literature (Verhoef, Neslin and
Vroomen 2007; Flavián, Gurrea and Orús 2016): **showrooming**, a store visit
for research and then home delivery (*competitive* when bought from another
retailer than the one visited), and **webrooming**, online research and then a
purchase in a shop.

Pure functions on the arrays of a day's purchases (codes as in
:mod:`cxsim.rules.research` and :mod:`cxsim.rules.choice`) or on the tidy
``purchases`` table; compare, figures and the app all classify with these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cxsim.rules.choice import DELIVERY, FULFILMENTS, WALK_IN
from cxsim.rules.research import CHANNELS, ONLINE, VISIT
from cxsim.rules.word_of_mouth import promoters_detractors

if TYPE_CHECKING:
    from cxsim.model.metrics import DayPurchases

RESEARCH: tuple[str, ...] = CHANNELS
"""Research channels, by code: ``none``, ``online``, ``visit``."""
FULFILMENT: tuple[str, ...] = FULFILMENTS
"""Fulfilments, by code: ``walk_in``, ``delivery``, ``pickup``."""
OUTCOMES: tuple[str, ...] = ("satisfied", "disappointed", "returned", "avoids store")
"""Outcomes, by code (see the module docstring)."""
SATISFIED, DISAPPOINTED, RETURNED, AVOIDS = range(4)
CELLS = len(RESEARCH) * len(FULFILMENT) * len(OUTCOMES)
"""Number of journey cells (3 research × 3 fulfilment × 4 outcomes = 36)."""
KINDS = ("showrooming", "webrooming", "other journeys")
"""Named journeys of a research → fulfilment pair (:func:`journey_kind`)."""


def showroomed(research: np.ndarray, fulfilment: np.ndarray) -> np.ndarray:
    """Showrooming: a store visit for research, then home delivery."""
    out: np.ndarray = (np.asarray(research) == VISIT) & (np.asarray(fulfilment) == DELIVERY)
    return out


def competitive_showroomed(
    research: np.ndarray, fulfilment: np.ndarray, visited: np.ndarray, store: np.ndarray
) -> np.ndarray:
    """Showrooming that ends with another retailer than the store visited."""
    out: np.ndarray = showroomed(research, fulfilment) & (np.asarray(visited) != np.asarray(store))
    return out


def webroomed(research: np.ndarray, fulfilment: np.ndarray) -> np.ndarray:
    """Webrooming: online research, then a purchase in a shop (walk-in)."""
    out: np.ndarray = (np.asarray(research) == ONLINE) & (np.asarray(fulfilment) == WALK_IN)
    return out


def journey_kind(research: int, fulfilment: int) -> str:
    """``showrooming``, ``webrooming`` or ``other journeys`` for one research → fulfilment pair."""
    if research == VISIT and fulfilment == DELIVERY:
        return KINDS[0]
    if research == ONLINE and fulfilment == WALK_IN:
        return KINDS[1]
    return KINDS[2]


def outcome_codes(
    returned: np.ndarray, recommend: np.ndarray, avoids: np.ndarray | None = None
) -> np.ndarray:
    """Outcome code of each purchase (index into :data:`OUTCOMES`).

    Args:
        returned: whether the purchase was sent back.
        recommend: likelihood to recommend, 0-10.
        avoids: whether the shopper now avoids the store (``None``: not recorded, never).
    """
    _, detractor = promoters_detractors(np.asarray(recommend))
    code = np.where(np.asarray(returned, dtype=bool), RETURNED, np.where(detractor, DISAPPOINTED, SATISFIED))
    if avoids is not None:
        code = np.where(np.asarray(avoids, dtype=bool), AVOIDS, code)
    return code.astype(np.int64)


def journey_codes(
    research: np.ndarray,
    fulfilment: np.ndarray,
    returned: np.ndarray,
    recommend: np.ndarray,
    avoids: np.ndarray | None = None,
) -> np.ndarray:
    """Cell of each purchase among the :data:`CELLS` journeys: ``(research·3 + fulfilment)·4 + outcome``."""
    pair = np.asarray(research, dtype=np.int64) * len(FULFILMENT) + np.asarray(fulfilment, dtype=np.int64)
    out: np.ndarray = pair * len(OUTCOMES) + outcome_codes(returned, recommend, avoids)
    return out


def journey_counts(p: DayPurchases) -> np.ndarray:
    """Purchases in each of the :data:`CELLS` journey cells, from a day's purchases."""
    codes = journey_codes(p.research, p.fulfilment, p.returned, p.ltr, p.churned)
    return np.bincount(codes, minlength=CELLS)[:CELLS].astype(np.int64)


def pair_counts(research: np.ndarray, fulfilment: np.ndarray) -> np.ndarray:
    """Purchases by research channel (rows) and fulfilment (columns), ``(3, 3)``."""
    k = len(FULFILMENT)
    pair = np.asarray(research, dtype=np.int64) * k + np.asarray(fulfilment, dtype=np.int64)
    return np.bincount(pair, minlength=k * k)[: k * k].reshape(len(RESEARCH), k).astype(np.int64)


def journey_table(counts: np.ndarray) -> pd.DataFrame:
    """The journey cells as a tidy table: ``research``, ``fulfilment``, ``outcome``, ``purchases``."""
    idx = np.arange(CELLS)
    n_out, n_ful = len(OUTCOMES), len(FULFILMENT)
    return pd.DataFrame(
        {
            "research": np.array(RESEARCH, dtype=object)[idx // (n_out * n_ful)],
            "fulfilment": np.array(FULFILMENT, dtype=object)[(idx // n_out) % n_ful],
            "outcome": np.array(OUTCOMES, dtype=object)[idx % n_out],
            "purchases": np.asarray(counts, dtype=np.int64),
        }
    )


def purchases_journeys(purchases: pd.DataFrame) -> pd.DataFrame:
    """The journey table of a ``purchases`` table (names, not codes; ``recommend`` 0-10).

    The table does not record avoidance, so no purchase is ``avoids store``
    unless it has an ``avoids`` column.
    """
    research = pd.Categorical(purchases["research"], categories=RESEARCH).codes
    fulfilment = pd.Categorical(purchases["fulfilment"], categories=FULFILMENT).codes
    avoids = purchases["avoids"].to_numpy() if "avoids" in purchases else None
    codes = journey_codes(
        research, fulfilment, purchases["returned"].to_numpy(), purchases["recommend"].to_numpy(), avoids
    )
    return journey_table(np.bincount(codes, minlength=CELLS)[:CELLS])


def switch_counts(previous: np.ndarray, store: np.ndarray, n_stores: int) -> np.ndarray:
    """Purchases by (previous store, store), ``(S, S)``; first purchases (previous -1) are left out."""
    prev = np.asarray(previous, dtype=np.int64)
    keep = prev >= 0
    pair = prev[keep] * n_stores + np.asarray(store, dtype=np.int64)[keep]
    out: np.ndarray = np.bincount(pair, minlength=n_stores * n_stores)[: n_stores * n_stores]
    return out.reshape(n_stores, n_stores)


class WindowFlows:
    """Journeys by store and purchases by (previous store, store), over the days after ``first_day``.

    What ``cxsim compare`` reports over the summary window (its journey and switching
    tables), counted as each day's purchases are recorded: the same for a town alone
    and for a town of an ensemble (:mod:`cxsim.model.ensemble`).
    """

    def __init__(self, n_stores: int, first_day: int) -> None:
        self.first_day = first_day
        self.journeys = np.zeros((n_stores, CELLS), dtype=np.int64)
        """Purchases by store and journey cell (:func:`journey_codes`)."""
        self.switches = np.zeros((n_stores, n_stores), dtype=np.int64)
        """Purchases by previous store (rows) and store (columns)."""

    def add(self, day: int, p: DayPurchases) -> None:
        """Count day ``day``'s purchases if the day is in the window."""
        if day <= self.first_day or not len(p):
            return
        n = self.switches.shape[0]
        cell = journey_codes(p.research, p.fulfilment, p.returned, p.ltr, p.churned)
        flat = np.bincount(p.store.astype(np.int64) * CELLS + cell, minlength=n * CELLS)
        self.journeys += flat[: n * CELLS].reshape(n, CELLS)
        self.switches += switch_counts(p.previous_store, p.store, n)
