"""The typed model log and its narration: one wording per kind, and the log.json round trip."""

from __future__ import annotations

import json

import pytest

from cxsim.analysis import narration
from cxsim.model.cxmodel import CXModel
from cxsim.model.log import KINDS, LogEntry

LABELS = {"giant": "OnlineGiant", "corner_shop": "Corner Shop"}
PROMO = {"type": "promotion", "start": 5, "days": 3, "store": "giant", "discount": 0.2, "online_only": True}
ENTRIES = [
    LogEntry(5, "event_start", "giant", PROMO),
    LogEntry(8, "event_end", "giant", PROMO),
    LogEntry(9, "store_entry", "giant", {"type": "store_entry", "start": 9}),
    LogEntry(10, "set", "corner_shop", {"type": "set", "start": 10, "attribute": "price", "value": 0.9}),
    LogEntry(
        30, "strategy", "corner_shop", {"strategy": "price_match", "attribute": "price", "value": 0.951}
    ),
    LogEntry(40, "closure", "corner_shop", {"customers": 12}),
]


def test_plain_sentences_keep_the_wording_of_the_log() -> None:
    assert narration.sentences(ENTRIES, LABELS) == [
        (5, "promotion at OnlineGiant begins (3 days)"),
        (8, "promotion at OnlineGiant ends"),
        (9, "OnlineGiant opens its doors"),
        (10, "Corner Shop: price set to 0.9"),
        (30, "Corner Shop cuts its price index to 0.95"),
        (40, "Corner Shop closed: 12 customers look for a new store"),
    ]


def test_classroom_happenings_from_typed_entries() -> None:
    kinds = [(h.kind, h.store, h.event) for h in narration.happenings(ENTRIES, LABELS)]
    assert kinds == [
        ("event_start", "OnlineGiant", "promotion"),
        ("event_end", "OnlineGiant", "promotion"),
        ("entry", "OnlineGiant", "store_entry"),
        ("change", "Corner Shop", "set"),
        ("strategy", "Corner Shop", None),
        ("closure", "Corner Shop", None),
    ]
    closure = narration.happening(ENTRIES[-1], LABELS)
    assert closure.customers == 12
    assert (
        closure.headline
        == "Day 40: Corner Shop closed — it expected to run out of money: 12 customers looked for a new store"
    )
    assert narration.happening(ENTRIES[0], LABELS).text.startswith(
        "OnlineGiant runs a 20% online sale for 3 days"
    )


def test_log_records_round_trip_and_old_files() -> None:
    records = narration.log_records(ENTRIES, LABELS)
    assert records[-1]["text"] == "Corner Shop closed: 12 customers look for a new store"
    assert narration.log_from_records(records) == ENTRIES
    old = narration.log_from_records(
        [{"day": 3, "message": "Boutique closed: 4 customers look for a new store"}]
    )
    assert old[0].kind == "closure" and narration.sentences(old, {}) == [(3, old[0].data["text"])]
    assert narration.log_from_records([[7, "lockdown ends"]])[0].kind == "event_end"


def test_unknown_kinds_are_refused() -> None:
    with pytest.raises(ValueError):
        LogEntry(1, "rumour", None, {})


@pytest.mark.parametrize(
    ("scenario", "days"), [("go_omnichannel", 35), ("singles_day", 320), ("giant_enters", 65)]
)
def test_a_run_log_survives_log_json(scenario: str, days: int) -> None:
    """Every entry a run logs is plain JSON data and reads back equal from log.json's records."""
    model = CXModel(scenario, days=days, overrides=["town.shoppers=300", "warmup_days=5"])
    model.run()
    assert model.log and {e.kind for e in model.log} <= set(KINDS)
    records = json.loads(json.dumps(narration.log_records(model.log, model.store_labels)))
    assert narration.log_from_records(records) == model.log
