"""The model's log: typed entries of what happened on a day (events, entries, closures, strategies).

The model records *what* happened, not how to say it: each :class:`LogEntry`
has a ``kind`` and the facts of the happening in ``data``. The plain sentence of an
entry (:func:`sentence`, the wording of the saved ``log.json``) and the
``log.json`` records are defined here; every other wording (reports, the
classroom panel) is in :mod:`cxsim.analysis.narration`, which re-exports these.

Kinds and their ``data``:

- ``event_start``: a span event (lockdown, promotion, recession, delivery
  disruption) begins; ``data`` holds the event's fields (``type``, ``start``,
  ``days`` and the type's own fields such as ``discount`` or ``pickup``).
- ``event_end``: the same event ends (same ``data``).
- ``store_entry``: a store opens its doors; ``data`` holds ``type`` and ``start``.
- ``set``: a store attribute changes; ``data`` holds ``attribute`` and ``value``
  (and ``type``, ``start``).
- ``closure``: a store gave up for good (its cash and expected profit, docs/ODD.md
  §7.12) and closed; ``data["customers"]`` is how
  many shoppers had bought there last and now look for a new store.
- ``strategy``: a store's strategy rule acted; ``data`` holds ``strategy`` (its
  name), ``attribute`` and ``value`` (the new value).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

KINDS: Final = ("event_start", "event_end", "store_entry", "set", "closure", "strategy")
"""Every kind of log entry."""


@dataclass(frozen=True)
class LogEntry:
    """One thing that happened on a day of the simulation.

    Attributes:
        day: simulated day (1 = first day after the warm-up).
        kind: one of :data:`KINDS`.
        store: name (not label) of the store concerned, ``None`` for town-wide events.
        data: the facts of the happening (see the module docstring), plain JSON values.
    """

    day: int
    kind: str
    store: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown log entry kind {self.kind!r}; expected one of {', '.join(KINDS)}")


# ---------------------------------------------------------------- plain sentences


def labels_from_scenario(scenario: Mapping[str, Any]) -> dict[str, str]:
    """Display label of each store by name, from a scenario as plain data (``RunResult.scenario``)."""
    stores: Mapping[str, Mapping[str, Any]] = scenario.get("stores", {})
    return {name: (st.get("label") or name) for name, st in stores.items()}


def sentence(entry: LogEntry, labels: Mapping[str, str]) -> str:
    """One log entry as the plain sentence of the model's log.

    ``labels`` maps store names to display labels (``model.store_labels``).
    """
    d = entry.data
    label = labels.get(entry.store, entry.store) if entry.store is not None else ""
    if entry.kind in ("event_start", "event_end"):
        name = str(d["type"]).replace("_", " ")
        who = f" at {label}" if d["type"] == "promotion" else ""
        if entry.kind == "event_start":
            return f"{name}{who} begins ({d['days']} days)"
        return f"{name}{who} ends"
    if entry.kind == "store_entry":
        return f"{label} opens its doors"
    if entry.kind == "set":
        return f"{label}: {d['attribute']} set to {d['value']}"
    if entry.kind == "closure":
        return f"{label} closed: {d['customers']} customers look for a new store"
    if entry.kind == "strategy":
        return _strategy_sentence(label, d)
    raise ValueError(f"cannot narrate a log entry of kind {entry.kind!r}")


STRATEGY_SENTENCES: dict[str, str] = {
    "price_match": "{label} cuts its price index to {value:.2f}",
    "invest_service": "{label} invests in service (target {value:.2f})",
    "invest_personalization": "{label} invests in personalization ({value:.2f})",
    "open_online": "{label} opens an online channel with pick-up in store",
}
"""The log's sentence for each strategy move (``{label}``, ``{value}``); other moves get a generic one."""


def _strategy_sentence(label: str, d: Mapping[str, Any]) -> str:
    strategy, value = d["strategy"], d.get("value")
    template = STRATEGY_SENTENCES.get(strategy)
    if template is None:
        return f"{label}: {d.get('attribute')} set to {value} ({strategy})"
    return template.format(label=label, value=value)


# ------------------------------------------------------------------- log.json records


def log_records(entries: Iterable[LogEntry], labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """The log as the records of ``log.json``: ``day``, ``kind``, ``store``, ``data`` and ``text``.

    ``message`` repeats ``text`` for readers of the earlier format.
    """
    out = []
    for e in entries:
        text = sentence(e, labels)
        out.append(
            {"day": e.day, "kind": e.kind, "store": e.store, "data": e.data, "text": text, "message": text}
        )
    return out


def log_from_records(records: Iterable[Any]) -> list[LogEntry]:
    """Read the log back from :func:`log_records` output.

    Old files hold ``{"day", "message"}`` records or ``[day, text]`` pairs
    without types: those become entries of their best-guess kind with the
    sentence kept in ``data["text"]``; :func:`sentence` is then not available
    for them, but :func:`entry_text` is.
    """
    out = []
    for r in records:
        if isinstance(r, Mapping) and "kind" in r:
            out.append(LogEntry(int(r["day"]), str(r["kind"]), r.get("store"), dict(r.get("data") or {})))
            continue
        if isinstance(r, Mapping):
            day, text = r["day"], r.get("text", r.get("message", ""))
        else:
            day, text = r[0], r[1]
        out.append(LogEntry(int(day), _guess_kind(str(text)), None, {"text": str(text)}))
    return out


def _guess_kind(text: str) -> str:
    if " closed: " in text:
        return "closure"
    if text.endswith(" opens its doors"):
        return "store_entry"
    if text.endswith(" ends") or " begins (" in text:
        return "event_end" if text.endswith(" ends") else "event_start"
    if " set to " in text:
        return "set"
    return "strategy"


def entry_text(entry: LogEntry, labels: Mapping[str, str]) -> str:
    """The sentence of an entry, also for entries read from an old untyped ``log.json``."""
    if "text" in entry.data:
        return str(entry.data["text"])
    return sentence(entry, labels)
