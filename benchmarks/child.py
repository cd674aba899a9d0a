"""One measurement in a fresh process, so that its peak memory is its own.

    .venv/bin/python -m benchmarks.child '{"kind": "full", "shoppers": 100000, "days": 365}'

Prints one JSON line with the result. Kinds:

- ``full``: the full model (every mechanism, baseline scenario) through the
  same steps as :func:`cxsim.run`: town and warm-up, the days, the tables.
  Times the data collection (today's metrics row with the loyalty statistics
  over all shoppers, Mesa's ``DataCollector``, building the tables) and reads
  the peak RSS.
  ``"stores": k`` gives the town k stores (the baseline five, then more chains).
- ``mesa``: the per-agent Mesa core against the vectorized core
  (:mod:`benchmarks.mesa_core`).
- ``ensemble``: B towns in one ensemble, or a single run (:mod:`benchmarks.ensemble`).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

import numpy as np

from benchmarks.profile import PHASES

STATS = "row_max_mean_and_column_means"
"""The daily loyalty statistics' function in :mod:`cxsim.model.cxmodel` (timed as part of the collection)."""


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _current_rss_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        import os

        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # pragma: no cover - not Linux
        return float("nan")


def town_spec(shoppers: int, days: int, seed: int, stores: int = 5, collect_every: int = 1) -> Any:
    """The baseline scenario with ``shoppers`` and ``stores`` (beyond five: more physical chains)."""
    from cxsim.model.scenario import load_raw, load_scenario, validate

    data, path = load_raw("baseline")
    data.setdefault("name", path.stem)
    if stores < len(data["stores"]):  # keep the chain, the online giant, the omnichannel store, ...
        keep = ["chain", "giant", "omni", "corner_shop", "boutique"][:stores]
        data["stores"] = {k: v for k, v in data["stores"].items() if k in keep}
    rng = np.random.default_rng(99)
    base = dict(data["stores"]["chain"])
    base.pop("label", None)
    for k in range(max(stores - len(data["stores"]), 0)):
        x, y = rng.uniform(1.0, 11.0, 2)
        data["stores"][f"chain_{k + 2}"] = {
            **base,
            "x": float(x),
            "y": float(y),
            "price": float(rng.uniform(0.95, 1.1)),
            "service_quality": float(rng.uniform(0.4, 0.8)),
        }
    spec = validate(data, f"{path} with {stores} stores")
    overrides = [f"town.shoppers={shoppers}", f"collect_every={collect_every}"]
    return load_scenario(spec, overrides, days=days, seed=seed)


def full(shoppers: int, days: int, seed: int = 1, stores: int = 5, collect_every: int = 1) -> dict[str, Any]:
    """Measure one full-model run (see the module docstring)."""
    import cxsim.model.cxmodel as cm
    import cxsim.model.phases as dp

    methods = {name: getattr(dp, name) for name in PHASES}
    stats = getattr(cm, STATS, None)
    try:
        return _full(shoppers, days, seed, stores, collect_every)
    finally:
        for name, fn in methods.items():
            setattr(dp, name, fn)
        if stats is not None:
            setattr(cm, STATS, stats)


def _full(shoppers: int, days: int, seed: int, stores: int, collect_every: int) -> dict[str, Any]:
    import cxsim.model.cxmodel as cm
    import cxsim.model.phases as dp
    from cxsim.model.cxmodel import CXModel

    spec = town_spec(shoppers, days, seed, stores, collect_every)
    rss_before = _current_rss_mb()
    timers = {"record": 0.0, "collect": 0.0, "tables": 0.0}
    parts = {"loyalty_stats": 0.0}

    def timed(name: str, fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                (parts if name in parts else timers)[name] += time.perf_counter() - t

        return wrapper

    stats = getattr(cm, STATS, None)  # the loyalty statistics, where this version of cxsim has them
    if stats is not None:
        setattr(cm, STATS, timed("loyalty_stats", stats))
    phases = dict.fromkeys(PHASES, 0.0)

    def phase(name: str, fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                phases[name] += time.perf_counter() - t

        return wrapper

    for name in PHASES:  # the phases of the day, warm-up included
        setattr(dp, name, phase(name, getattr(dp, name)))
    c0 = time.process_time()
    t0 = time.perf_counter()
    model = CXModel(spec)
    t1 = time.perf_counter()
    model.record_day = timed("record", model.record_day)  # type: ignore[method-assign]
    model.datacollector.collect = timed("collect", model.datacollector.collect)  # type: ignore[method-assign]
    model.run()
    t2 = time.perf_counter()
    t = time.perf_counter()
    ts, st, summary = model.timeseries(), model.store_table(), model.summary()
    timers["tables"] = time.perf_counter() - t
    t3 = time.perf_counter()
    cpu = time.process_time() - c0
    total = t3 - t0
    collection = sum(timers.values())
    return {
        "kind": "full",
        "shoppers": shoppers,
        "days": days,
        "warmup_days": spec.warmup_days,
        "stores": len(spec.stores),
        "init_s": t1 - t0,
        "run_s": t2 - t1,
        "total_s": total,
        "shopper_days_per_s": shoppers * days / total,
        "cpu_s": cpu,
        "cpu_shopper_days_per_s": shoppers * days / cpu,
        "sim_shopper_days_per_s": shoppers * (days + spec.warmup_days) / (t2 - t0),
        "cpu_sim_shopper_days_per_s": shoppers * (days + spec.warmup_days) / cpu,
        "collection_s": collection,
        "collection_share": collection / total,
        "collection_share_recorded": collection / (t3 - t1),
        "collection_parts_s": {**timers, **parts},
        "phases_s": phases,
        "peak_rss_mb": _peak_rss_mb(),
        "rss_before_model_mb": rss_before,
        "shopper_array_mb": model.shoppers.nbytes() / 2**20,
        "bytes_per_shopper": model.shoppers.nbytes() / shoppers,
        "purchases": int(summary["purchases"]),
        "rows": [len(ts), len(st)],
    }


def mesa(shoppers: int, days: int, repeats: int = 1) -> dict[str, Any]:
    """The per-agent Mesa core vs the vectorized core."""
    from benchmarks.mesa_core import compare

    out = compare(shoppers, days, repeats)
    out["kind"] = "mesa"
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def main() -> None:
    task = json.loads(sys.argv[1])
    kind = task.pop("kind")
    from benchmarks.ensemble import measure

    result = {"full": full, "mesa": mesa, "ensemble": measure}[kind](**task)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
