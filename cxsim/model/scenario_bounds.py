"""The bounds of a scenario: the largest values a run can execute, and the memory a town needs.

Every number of a scenario is finite (:class:`~cxsim.core.config.StrictModel`
rejects NaN and +-inf) and bounded, so that a file that loads is a file that
runs: the bounds are checked at load, before anything runs or is written.

Why these bounds:

- days (horizon, windows, ``collect_every``, event starts and spans, strategy
  reviews, need intervals): at most :data:`MAX_DAYS`, a century (the horizon's
  old bound); warm-up at most :data:`MAX_WARMUP_DAYS`, ten years;
- a town at most :data:`MAX_TOWN_KM` km across (a metropolitan area is ~100 km;
  beyond, distances and travel utilities lose meaning); store coordinates lie in
  the town, ``0..town.size_km`` (:func:`cxsim.model.scenario.check_consistency`);
- at most :data:`MAX_STORES` stores (shoppers keep a store index as int16) and
  :data:`MAX_SEGMENTS` segments (int8), :data:`MAX_EVENTS` events;
- prices at most :data:`MAX_PRICE` times the reference price, segment weights at
  most :data:`MAX_WEIGHT` times the average shopper's, delivery at most
  :data:`MAX_DELIVERY_DAYS` days, capacity at most :data:`MAX_CAPACITY`
  purchases a day per 1,000 shoppers, money (costs, cash, ticket) at most
  :data:`MAX_MONEY` in magnitude (far beyond any retailer, far below float overflow);
- shoppers at most :data:`MAX_SHOPPERS`, and no more than the machine's memory
  holds (:func:`check_memory`, with the estimate in the message).
"""

from __future__ import annotations

import os

from cxsim.core.errors import ScenarioError

MAX_DAYS = 36_500
MAX_WARMUP_DAYS = 3_650
MAX_TOWN_KM = 1_000.0
MAX_STORES = 1_000
MAX_SEGMENTS = 100
MAX_EVENTS = 10_000
MAX_PRICE = 100.0
MAX_WEIGHT = 100.0
MAX_DELIVERY_DAYS = 365.0
MAX_CAPACITY = 1_000_000.0
MAX_MONEY = 1e12
MAX_SHOPPERS = 50_000_000

BYTES_PER_SHOPPER = 75
"""Bytes of :class:`~cxsim.model.shoppers.ShopperArrays` per shopper, store-independent columns
(home 2 x float32, weights 6 x float32, savvy, habit, need interval float32, next need and three
last-day columns int32, impulse and last store int16, segment, recreational, last fulfilment 1 byte)."""
BYTES_PER_ACQUAINTANCE = 4
"""int32 per acquaintance (``town.social_degree`` per shopper)."""
BYTES_PER_SHOPPER_STORE = 88
"""Per shopper and store: distance, loyalty, familiarity (float32), avoid-until (int32) and the
beliefs (9 attributes x mean and variance, float32)."""
WORKING_FACTOR = 3.0
"""Peak memory of a run over its shopper arrays: the day's temporaries (utilities of every
alternative, the word of mouth), the town's creation and the tables. Measured peak RSS growth
is ~2.3 x the arrays (0.2.0 model, baseline, 5 days, 100,000 vs 400,000 shoppers: 1,236 bytes
per shopper for 539 bytes of arrays); 3 leaves room."""


def shopper_bytes(stores: int, social_degree: int) -> int:
    """Bytes the shopper arrays hold per shopper (see :data:`BYTES_PER_SHOPPER`)."""
    return BYTES_PER_SHOPPER + BYTES_PER_ACQUAINTANCE * social_degree + BYTES_PER_SHOPPER_STORE * stores


def machine_memory() -> int | None:
    """Physical memory of this machine in bytes (None where the OS does not say)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB"


def check_memory(shoppers: int, stores: int, social_degree: int, source: str) -> None:
    """Refuse a town whose run would not fit in this machine's memory (estimate in the message)."""
    memory = machine_memory()
    if memory is None:
        return
    per = shopper_bytes(stores, social_degree) * WORKING_FACTOR
    need = shoppers * per
    if need <= memory:
        return
    most = int(memory // per)
    raise ScenarioError(
        source,
        "town.shoppers",
        f"at most {most:,} shoppers with {stores} stores on this machine",
        shoppers,
        f"about {per:,.0f} bytes each: {_gb(need)} needed, {_gb(memory)} of memory",
    )
