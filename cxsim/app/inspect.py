"""Click to inspect: one shopper's journey, one store's panel, as plain data (no Solara here).

A click on the map (a shopper's dot or a store's marker) comes back from the
browser as a :class:`Selection`; :func:`shopper_card` and :func:`store_card`
read the session under its lock and return plain dicts that the page renders.

- A shopper: who they are, their recent purchases (day, store, how they
  researched, which store they visited, how it was fulfilled, satisfaction,
  returned), and per store what :meth:`cxsim.model.shoppers.Shopper.as_dict`
  exposes: every per-store mapping of numbers (loyalty, expectation,
  familiarity, reputation...) in one table, and every per-store mapping of
  attributes (the beliefs of issue 12: ``{store: {attribute: (mean, sd)}}``)
  in another, so that what the model adds appears without a change here.
- A store: kind, status, market share, NPS, public rating (and the number of
  reviews when the store agent counts them), price, service, cash, and its
  strategy moves and other happenings from the typed log (in the words of
  :mod:`cxsim.analysis.narration`).

Values from the browser are checked here: an index outside the town or an
unknown store gives ``None`` (nothing shown), never an exception.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from cxsim.app.palette import CHANNEL_NAMES, RESEARCH_NAMES
from cxsim.app.session import SHARE_WINDOW, Session, store_status
from cxsim.rules.choice import FULFILMENTS

RECENT_PURCHASES = 8
"""How many of a shopper's latest purchases the journey lists."""
PER_STORE_LABELS = {
    "loyalty": "loyalty",
    "expectation": "expectation",
    "reputation": "reputation",
    "familiarity": "familiarity",
}
"""Column titles of the per-store table; other per-store mappings use their own name."""


@dataclass(frozen=True)
class Selection:
    """What was clicked: ``kind`` is ``shopper`` (``key`` its index) or ``store`` (``key`` its label)."""

    kind: str
    key: str


def parse_selection(text: str | None) -> Selection | None:
    """The widget's ``selected`` JSON (``{"kind": ..., "key": ...}``); ``None`` for anything else."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except (ValueError, TypeError):
        return None
    if not isinstance(data, dict):
        return None
    kind, key = data.get("kind"), data.get("key")
    if kind not in ("shopper", "store") or not isinstance(key, str | int) or isinstance(key, bool):
        return None
    return Selection(str(kind), str(key))


def _num(x: Any, digits: int = 2) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return round(v, digits) if math.isfinite(v) else None


def shopper_card(sess: Session, index: str | int) -> dict[str, Any] | None:
    """One shopper's journey: who, recent purchases, and per-store loyalty and beliefs."""
    try:
        i = int(index)
    except (TypeError, ValueError):
        return None
    with sess.lock:
        m = sess.model
        if not 0 <= i < m.shoppers.n:
            return None
        info = m.shopper(i).as_dict()
        labels = dict(zip(m.store_names, sess.labels, strict=True))
        purchases: list[dict[str, Any]] = []
        for day, p in reversed(sess.history.purchases):
            hits = (p.shopper == i).nonzero()[0]
            for k in hits[::-1]:
                visited = int(p.visited[k])
                purchases.append(
                    {
                        "day": day,
                        "store": sess.labels[int(p.store[k])],
                        "research": RESEARCH_NAMES[int(p.research[k])],
                        "visited": sess.labels[visited] if visited >= 0 else "",
                        "fulfilment": CHANNEL_NAMES[int(p.fulfilment[k])],
                        "satisfaction": _num(p.satisfaction[k]),
                        "returned": bool(p.returned[k]),
                    }
                )
            if len(purchases) >= RECENT_PURCHASES:
                break
        day = sess.day
    per_store: dict[str, dict[str, float]] = {}
    for key, value in info.items():
        numbers = (
            isinstance(value, dict) and value and all(isinstance(v, int | float) for v in value.values())
        )
        if numbers and value not in per_store.values():  # one column for two names of one belief
            per_store[key] = value
    beliefs_columns, beliefs_rows = belief_table(info, labels)
    rows = [
        {
            "store": labels.get(name, name),
            **{
                PER_STORE_LABELS.get(key, key.replace("_", " ")): _num(values.get(name))
                for key, values in per_store.items()
            },
        }
        for name in labels
    ]
    segment = str(info.get("segment", "")).replace("_", " ")
    style = "shops for pleasure" if info.get("recreational") else "task-oriented"
    last = info.get("last_store")
    how = info.get("last_fulfilment")
    how_words = CHANNEL_NAMES[FULFILMENTS.index(how)] if how in FULFILMENTS else how
    return {
        "id": i,
        "title": f"Shopper {i}",
        "who": f"{segment}, {style}, digital savviness {float(info.get('savvy', 0.0)):.2f}",
        "last": (
            f"last bought at {labels.get(str(last), last)} ({how_words})" if last else "no purchase yet"
        ),
        "avoids": [labels.get(n, n) for n in info.get("avoids", [])],
        "purchases": purchases[:RECENT_PURCHASES],
        "per_store": rows,
        "columns": ["store", *[PER_STORE_LABELS.get(k, k.replace("_", " ")) for k in per_store]],
        "belief_columns": beliefs_columns,
        "beliefs": beliefs_rows,
        "day": day,
    }


def _belief_text(value: Any) -> str | None:
    """A belief as text: ``0.72 ± 0.10`` for a (mean, sd) pair, ``0.72`` for a number."""
    if isinstance(value, list | tuple) and len(value) == 2:
        m, sd = _num(value[0]), _num(value[1])
        if m is None:
            return None
        return f"{m:.2f}" if sd is None else f"{m:.2f} ± {sd:.2f}"
    m = _num(value)
    return None if m is None else f"{m:.2f}"


def belief_table(info: dict[str, Any], labels: dict[str, str]) -> tuple[list[str], list[dict[str, Any]]]:
    """Per-store beliefs about each attribute of the experience, from ``Shopper.as_dict()``.

    Reads every entry shaped ``{store: {attribute: (mean, sd) or number}}`` (the
    model's ``beliefs``, issue 12); returns the table's columns and rows (one per
    store), or nothing when the model has no such beliefs.
    """
    for value in info.values():
        if not isinstance(value, dict) or not value:
            continue
        inner = list(value.values())
        if not all(isinstance(x, dict) and x for x in inner):
            continue
        attributes = list(inner[0])
        rows = [
            {
                "store": labels.get(name, name),
                **{a.replace("_", " "): _belief_text(per.get(a)) for a in attributes},
            }
            for name, per in value.items()
        ]
        return ["store", *[a.replace("_", " ") for a in attributes]], rows
    return [], []


def store_card(sess: Session, label: str) -> dict[str, Any] | None:
    """One store's panel: share, NPS, rating and reviews, cash, and what it did (from the typed log)."""
    with sess.lock:
        stores = {s.label: s for s in sess.model.stores}
        s = stores.get(str(label))
        if s is None:
            return None
        share = float(sess.market_shares()[s.index])
        nps = _num(sess.history.nps[s.index], 0)
        reviews = getattr(s, "review_count", None)
        rating = float(s.rating)
        if reviews is None:  # a model without review counts rates 0..1
            stars = f"{5 * rating:.1f} of 5 stars"
        else:  # mean stars 1-5 of the reviews so far, NaN before the first
            stars = f"{rating:.1f} of 5 stars" if math.isfinite(rating) else "no reviews yet"
        moves = [h for h in sess.happenings if h.store == s.label]
        status = store_status(s)
        facts = [
            ("kind", s.kind),
            ("status", status),
            (f"market share (last {SHARE_WINDOW} days)", f"{share:.0%}"),
            ("NPS (rolling)", "—" if nps is None else f"{nps:+.0f}"),
            ("public rating", stars),
            ("reviews", "not counted per store" if reviews is None else f"{int(reviews):,}"),
            ("price index", f"{float(s.price):.2f}"),
            ("service quality", f"{float(s.service_quality):.2f}"),
            ("personalization", f"{float(s.personalization):.2f}"),
            ("cash", f"{float(s.cash):,.0f}"),
        ]
    return {
        "title": s.label,
        "facts": facts,
        "moves": [h.headline for h in moves][-10:],
        "strategy": [h.headline for h in moves if h.kind == "strategy"][-10:],
    }
