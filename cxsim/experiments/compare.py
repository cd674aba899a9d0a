"""``cxsim compare``: several scenarios, replicated, side by side with 95% confidence intervals.

Replication ``r`` of every scenario runs with the same seed (common random
numbers, Law 2015, *Simulation Modeling and Analysis*, ch. 11): scenarios that
share a town start from the same shoppers and the same warm-up, so the
difference between two scenarios in one replication is mostly the effect of
what the scenarios change, not chance. The difference against the first
scenario is therefore estimated from the paired differences, whose interval is
much narrower than the two separate intervals suggest.

Seeds are derived from one root seed (``--seed``) with numpy's
:class:`~numpy.random.SeedSequence` and recorded in ``compare.json``; results
do not depend on the number of worker processes.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim.core.errors import InputError
from cxsim.core.io import atomic_write_json, output_dir
from cxsim.core.stats import mean_ci
from cxsim.experiments.provenance import provenance
from cxsim.experiments.runner import Backend, Replication, run_replications
from cxsim.model.cxmodel import CXModel
from cxsim.model.journeys import CELLS, journey_counts, journey_table
from cxsim.model.log import sentence
from cxsim.model.registry import Metric, metric
from cxsim.model.scenario import Scenario, load_scenario

__all__ = [
    "DEFAULT_SEED",
    "HEADLINE",
    "STORE_METRICS",
    "Comparison",
    "comparison_table",
    "derive_seeds",
    "format_diff",
    "format_half",
    "format_value",
    "load_comparison",
    "mean_ci",
    "resolve_labels",
    "run_comparison",
    "significant",
    "store_summary",
]

DEFAULT_SEED = 20_251_111
"""Root seed of the replications when ``--seed`` is not given."""

HEADLINE: tuple[Metric, ...] = tuple(
    metric(name, "summary")
    for name in (
        "online_share",
        "share_delivery",
        "share_pickup",
        "showrooming_rate",
        "webrooming_rate",
        "share_shoppers_showroomed",
        "share_shoppers_webroomed",
        "return_rate",
        "mean_satisfaction",
        "nps",
        "churn_events",
        "purchases",
        "revenue",
        "stores_closed",
    )
)
"""Headline metrics of the comparison table (names, labels and units from the metric registry)."""
STORE_METRICS: tuple[Metric, ...] = tuple(metric(name, "stores") for name in ("market_share", "nps", "cash"))
"""Per-store metrics of the comparison table (market share and NPS over the window, final cash)."""


# ----------------------------------------------------------------------------- statistics


def derive_seeds(root: int, reps: int) -> list[int]:
    """One seed per replication, derived from ``root`` (numpy SeedSequence, 31-bit ints)."""
    state = np.random.SeedSequence(root).generate_state(reps, dtype=np.uint32)
    return [int(s) >> 1 for s in state]


# ----------------------------------------------------------------------------- one run


def store_summary(stores: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """Per store over the last ``window_days`` days: market share, mean NPS, final cash, open."""
    last_day = int(stores["day"].max())
    recent = stores[stores["day"] > last_day - window_days]
    total = recent["purchases"].sum()
    final = stores[stores["day"] == last_day].set_index("store")
    rows = []
    for name, g in recent.groupby("store", sort=False):
        nps = g["nps"].to_numpy(dtype=float)
        rows.append(
            {
                "store": name,
                "label": str(final.loc[name, "label"]),
                "kind": str(final.loc[name, "kind"]),
                "market_share": float(g["purchases"].sum() / total) if total else 0.0,
                "nps": float(np.nanmean(nps)) if np.isfinite(nps).any() else math.nan,
                "cash": float(final.loc[name, "cash"]),
                "is_open": bool(final.loc[name, "is_open"]),
            }
        )
    return pd.DataFrame(rows)


def collect_replication(spec: Scenario, *, label: str, rep: int) -> dict[str, Any]:
    """Run one replication of one scenario (``spec`` carries its seed); tables tagged by scenario and rep.

    The journey flow (research channel, fulfilment, outcome) is counted from the
    model's daily purchases over the summary window, without keeping them.
    """
    model = CXModel(spec)
    first = spec.days - spec.summary_window_days
    counts = np.zeros(CELLS, dtype=np.int64)
    while model.running:
        model.step()
        if model.day > first and len(model.today):
            counts += journey_counts(model.today)
    tag = {"scenario": label, "rep": rep}
    summary = {**tag, **model.summary(), "seed": int(spec.seed)}
    summary["scenario"] = label
    stores = model.store_table()
    window = int(summary["window_days"])
    return {
        "summary": summary,
        "timeseries": model.timeseries().assign(**tag),
        "stores": stores.assign(**tag),
        "store_summary": store_summary(stores, window).assign(**tag),
        "journeys": journey_table(counts).assign(**tag),
        "log": pd.DataFrame(
            [{"day": e.day, "message": sentence(e, model.store_labels)} for e in model.log],
            columns=["day", "message"],
        ).assign(**tag),
    }


# ----------------------------------------------------------------------------- a comparison


@dataclass
class Comparison:
    """All replications of several scenarios, and their comparison table."""

    scenarios: list[str]
    replications: pd.DataFrame
    store_summary: pd.DataFrame
    timeseries: pd.DataFrame
    stores: pd.DataFrame
    journeys: pd.DataFrame
    log: pd.DataFrame
    table: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    TABLES = ("replications", "store_summary", "timeseries", "stores", "journeys", "log")

    def write(self, folder: Path) -> None:
        """Write the tables, ``comparison.csv``/``.parquet`` and ``compare.json`` into ``folder``."""
        self.table.to_csv(folder / "comparison.csv", index=False)
        self.table.to_parquet(folder / "comparison.parquet", index=False)
        for name in self.TABLES:
            getattr(self, name).to_parquet(folder / f"{name}.parquet", index=False)
        atomic_write_json(folder / "compare.json", self.meta)

    def save(
        self, out: str | Path, *, also: Callable[[Path], None] | None = None, overwrite: bool = False
    ) -> Path:
        """Write the tables to ``out`` atomically; ``also`` adds files to the staged folder first.

        ``cxsim compare`` passes an ``also`` that draws the figures and writes
        ``report.html`` (the analysis layer), so that everything appears at once.
        ``out`` follows the output-folder rule of :mod:`cxsim.core.io`.
        """
        out = Path(out)
        with output_dir(out, "compare", overwrite=overwrite) as tmp:
            self.write(tmp)
            if also is not None:
                also(tmp)
        return out


def comparison_table(
    replications: pd.DataFrame, stores: pd.DataFrame, scenarios: list[str], level: float = 0.95
) -> pd.DataFrame:
    """Mean and CI per scenario of each headline metric, and the paired difference against the first.

    Store metrics are rows ``market_share · <store>`` etc.; a store absent from
    a scenario has no row for it.
    """
    rows: list[dict[str, Any]] = []
    first = scenarios[0]

    def add(m: Metric, name: str, label: str, values: pd.DataFrame, store: str | None) -> None:
        wide = values.pivot_table(index="rep", columns="scenario", values="value", aggfunc="first")
        for scen in scenarios:
            if scen not in wide:
                continue
            mean, lo, hi, sd, n = mean_ci(wide[scen].to_numpy(), level)
            row: dict[str, Any] = {
                "metric": name,
                "label": label,
                "store": store,
                "unit": m.unit,
                "scenario": scen,
                "n": n,
                "mean": mean,
                "sd": sd,
                "ci_low": lo,
                "ci_high": hi,
                "baseline": first,
                "diff": math.nan,
                "diff_ci_low": math.nan,
                "diff_ci_high": math.nan,
            }
            if scen != first and first in wide:
                d = (wide[scen] - wide[first]).to_numpy()
                dm, dlo, dhi, _, _ = mean_ci(d, level)
                row.update(diff=dm, diff_ci_low=dlo, diff_ci_high=dhi)
            rows.append(row)

    for m in HEADLINE:
        if m.name not in replications:
            continue
        values = replications[["scenario", "rep", m.name]].rename(columns={m.name: "value"})
        add(m, m.name, m.label, values, None)
    order = list(dict.fromkeys(stores["store"]))
    labels = stores.drop_duplicates("store").set_index("store")["label"]
    for m in STORE_METRICS:
        for store in order:
            sub = stores[stores["store"] == store]
            values = sub[["scenario", "rep", m.name]].rename(columns={m.name: "value"})
            add(m, f"{m.name}:{store}", f"{m.label} · {labels[store]}", values, store)
    return pd.DataFrame(rows)


def resolve_labels(names: Sequence[str]) -> list[str]:
    """Short, distinct labels for scenario names or paths (the file stem for paths)."""
    labels = [Path(n).stem if n.endswith(".toml") else n for n in names]
    if len(set(labels)) != len(labels):
        dup = next(x for x in labels if labels.count(x) > 1)
        raise InputError("compare", "SCENARIOS", "distinct scenarios", f"{dup!r} twice")
    return labels


def run_comparison(
    names: Sequence[str],
    *,
    reps: int = 10,
    days: int | None = None,
    seed: int = DEFAULT_SEED,
    workers: int = 1,
    overrides: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
    backend: Backend | None = None,
) -> Comparison:
    """Run ``reps`` replications of each scenario and compare them with the first.

    Args:
        names: scenario names (under ``scenarios/``) or paths; the first is the reference.
        reps: replications per scenario (replication ``r`` uses the same seed in every scenario).
        days: horizon for all scenarios (defaults to each scenario's own).
        seed: root seed from which the replications' seeds are derived.
        workers: parallel processes (1 runs in this process).
        overrides: ``PATH=VALUE`` strings applied to every scenario.
        progress: called with 1 after each finished run (a progress bar's tick).
        backend: an open executor to run on instead (e.g. a Dask cluster, see
            :func:`~cxsim.experiments.runner.open_executor`); results are the same.
    """
    if len(names) < 1:
        raise InputError("compare", "SCENARIOS", "at least one scenario name", "none")
    if reps < 1:
        raise InputError("compare", "--reps", "at least 1 replication", reps)
    labels = resolve_labels(names)
    specs = [load_scenario(n, list(overrides), days=days) for n in names]
    seeds = derive_seeds(seed, reps)
    jobs = [
        Replication(spec, s, functools.partial(collect_replication, label=label, rep=r), key=(label, r))
        for r, s in enumerate(seeds)
        for spec, label in zip(specs, labels, strict=True)
    ]
    started = datetime.now(UTC)
    results = run_replications(
        jobs, workers=workers if workers > 1 else 0, backend=backend, progress=progress
    )
    finished = datetime.now(UTC)

    def frame(key: str) -> pd.DataFrame:
        parts = [r[key] for r in results if len(r[key])]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    replications = pd.DataFrame([r["summary"] for r in results])
    front = ["scenario", "rep", "seed"]
    replications = replications[front + [c for c in replications.columns if c not in front]]
    stores_sum = frame("store_summary")
    table = comparison_table(replications, stores_sum, labels)
    prov = provenance(None, started, finished)
    meta = {
        "scenarios": labels,
        "sources": list(names),
        "reference": labels[0],
        "reps": reps,
        "days": {label: spec.days for label, spec in zip(labels, specs, strict=True)},
        "shoppers": {label: spec.town.shoppers for label, spec in zip(labels, specs, strict=True)},
        "root_seed": seed,
        "seeds": seeds,
        "common_random_numbers": True,
        "confidence_level": 0.95,
        "workers": workers,
        "overrides": list(overrides),
        "resolved": {label: spec.to_toml_dict() for label, spec in zip(labels, specs, strict=True)},
        "provenance": prov,
    }
    return Comparison(
        scenarios=labels,
        replications=replications,
        store_summary=stores_sum,
        timeseries=frame("timeseries"),
        stores=frame("stores"),
        journeys=frame("journeys"),
        log=frame("log"),
        table=table,
        meta=meta,
    )


def load_comparison(folder: str | Path) -> Comparison:
    """Read a folder written by ``cxsim compare``."""
    folder = Path(folder)
    meta_file = folder / "compare.json"
    if not meta_file.is_file():
        raise InputError(str(folder), "", "a folder written by `cxsim compare`", "no compare.json")
    meta = json.loads(meta_file.read_text())
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in Comparison.TABLES}
    return Comparison(
        scenarios=list(meta["scenarios"]),
        table=pd.read_parquet(folder / "comparison.parquet"),
        meta=meta,
        **tables,
    )


# ----------------------------------------------------------------------------- printing


_DISPLAY: dict[str, tuple[float, str]] = {
    "share": (100.0, ".1f"),
    "score": (1.0, ".1f"),
    "ratio": (1.0, ".3f"),
    "money": (1e-3, ",.0f"),
}
"""Scale and number format of each unit (shares in %, money in thousands); counts: see :func:`_number`."""
_AFTER_VALUE = {"share": "%", "money": "k"}


def _number(x: float, unit: str, sign: str = "", ref: float | None = None) -> str:
    """``x`` scaled and formatted for its unit; counts get a decimal below 100 (judged on ``ref``)."""
    scale, fmt = _DISPLAY.get(unit, (1.0, ",.0f" if abs(x if ref is None else ref) >= 100 else ",.1f"))
    return format(x * scale, sign + fmt)


def format_value(value: float, unit: str) -> str:
    """A metric value for people: shares in %, money in thousands, counts with separators."""
    if value != value:  # NaN
        return "–"
    return _number(value, unit, "+" if unit == "score" else "") + _AFTER_VALUE.get(unit, "")


def format_half(half: float, unit: str) -> str:
    """The half-width of an interval, in the unit's display form (without sign)."""
    if half != half:
        return ""
    return "±" + _number(half, unit) + ("k" if unit == "money" else "")


def format_diff(diff: float, lo: float, hi: float, unit: str) -> str:
    """A difference with its interval: ``+6.7 pp [+6.3, +7.1]``."""
    if diff != diff:
        return ""
    text = _number(diff, unit, "+") + {"share": " pp", "money": "k"}.get(unit, "")
    if lo == lo:
        text += f" [{_number(lo, unit, '+', diff)}, {_number(hi, unit, '+', diff)}]"
    return text


def significant(row: pd.Series | dict[str, Any]) -> bool:
    """Whether the difference's interval excludes zero."""
    lo, hi = row["diff_ci_low"], row["diff_ci_high"]
    return bool(lo == lo and hi == hi and (lo > 0 or hi < 0))
