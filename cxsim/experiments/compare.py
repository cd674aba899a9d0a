"""``cxsim compare``: several scenarios, replicated, side by side with 95% confidence intervals.

Replication ``r`` of every scenario runs with the same seed (common random
numbers, Law 2015, *Simulation Modeling and Analysis*, ch. 11): scenarios that
share a town start from the same shoppers and the same warm-up, so the
difference between two scenarios in one replication is mostly the effect of
what the scenarios change, not chance. The difference against the reference
(the first scenario, or ``--reference NAME``) is therefore estimated from the
paired differences, whose interval is much narrower than the two separate
intervals suggest.

A scenario of a comparison may be a variant written inline,
``[NAME=]SCENARIO[+PATH=VALUE...]`` (:mod:`.variants`); ``--set`` overrides apply
to every scenario, and the table says so. Besides the headline table, each
replication counts where customers switch between stores over the summary
window (:mod:`.switching`). Numbers are formatted for people by
:mod:`.compare_format` (one precision per unit of the metric registry).

Store NPS of the comparison (``store_summary``) is the mean over the summary
window of each day's trailing NPS (the registry's ``store_summary`` table names
that window); the town's NPS (``nps`` of ``summary``) is pooled over the
window's answers. Each label has this one definition wherever it is shown.

Seeds are derived from one root seed (``--seed``) with numpy's
:class:`~numpy.random.SeedSequence` and recorded in ``compare.json``; results
do not depend on the number of worker processes.
"""

from __future__ import annotations

import functools
import json
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
from cxsim.experiments.compare_format import format_diff, format_half, format_value, significant
from cxsim.experiments.compare_table import HEADLINE, STORE_METRICS, comparison_table, windowed_label
from cxsim.experiments.promotions import comparison_promotions
from cxsim.experiments.provenance import provenance
from cxsim.experiments.results import run_model
from cxsim.experiments.runner import Backend, Replication, run_replications
from cxsim.experiments.switching import (
    SWITCHING_COLUMNS,
    switching_balance,
    switching_summary,
    switching_table,
)
from cxsim.experiments.variants import Variant, pick_reference, resolve_variants
from cxsim.model.journeys import journey_table
from cxsim.model.log import LogEntry, log_from_records, sentence
from cxsim.model.metrics import store_summary  # re-exported: the one per-store summary
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
    "load_variants",
    "log_entries",
    "mean_ci",
    "resolve_labels",
    "run_comparison",
    "significant",
    "store_summary",
    "windowed_label",
]

DEFAULT_SEED = 20_251_111
"""Root seed of the replications when ``--seed`` is not given."""

# ----------------------------------------------------------------------------- statistics


def derive_seeds(root: int, reps: int) -> list[int]:
    """One seed per replication, derived from ``root`` (numpy SeedSequence, 31-bit ints)."""
    state = np.random.SeedSequence(root).generate_state(reps, dtype=np.uint32)
    return [int(s) >> 1 for s in state]


# ----------------------------------------------------------------------------- one run


def collect_replication(spec: Scenario, *, label: str, rep: int) -> dict[str, Any]:
    """Run one replication of one scenario (``spec`` carries its seed); tables tagged by scenario and rep.

    The journey flow (research channel, fulfilment, outcome) and the switching
    between stores are the model's counts over the summary window
    (:class:`~cxsim.model.journeys.WindowFlows`), kept as each day's purchases are
    recorded: the run may share an ensemble with others (``batchable``); so is each
    store's summary (:meth:`~cxsim.model.cxmodel.CXModel.store_summary`), from every day
    of the window whatever ``collect_every`` is.
    """
    model, _, _ = run_model(spec)
    counts = model.flows.journeys  # journeys by store
    tag = {"scenario": label, "rep": rep}
    summary = {**tag, **model.summary(), "seed": int(spec.seed)}
    summary["scenario"] = label
    return {
        "summary": summary,
        "timeseries": model.timeseries().assign(**tag),
        "stores": model.store_table().assign(**tag),
        "store_summary": model.store_summary().assign(**tag),
        "journeys": journey_table(counts.sum(axis=0)).assign(**tag),
        "store_journeys": pd.concat(
            [journey_table(counts[s.index]).assign(store=s.name, **tag) for s in model.stores],
            ignore_index=True,
        ),
        "switching": switching_table(model.store_names, model.flows.switches, **tag),
        "log": pd.DataFrame(
            [
                {
                    "day": e.day,
                    "kind": e.kind,
                    "store": e.store,
                    "data": json.dumps(e.data),
                    "message": sentence(e, model.store_labels),
                }
                for e in model.log
            ],
            columns=["day", "kind", "store", "data", "message"],
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
    switching: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(SWITCHING_COLUMNS)))
    """Purchases by (previous store, store) over the summary window, per replication."""

    store_journeys: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The journey cells by store (``store`` column), per replication."""

    TABLES = (
        "replications",
        "store_summary",
        "timeseries",
        "stores",
        "journeys",
        "log",
        "switching",
        "store_journeys",
    )

    @property
    def reference(self) -> str:
        """The scenario the differences are taken against."""
        return str(self.meta.get("reference") or self.scenarios[0])

    def _store_labels(self) -> dict[str, str]:
        if not len(self.stores):
            return {}
        return dict(self.stores.drop_duplicates("store")[["store", "label"]].to_numpy())

    def switching_flows(self) -> pd.DataFrame:
        """Store-to-store flows over the summary window: mean and 95% CI over replications."""
        level = float(self.meta.get("confidence_level", 0.95))
        return switching_summary(self.switching, self._store_labels(), level)

    def switching_balance(self) -> pd.DataFrame:
        """Per store: customers lost to and won from rivals, and the net, with 95% CIs."""
        level = float(self.meta.get("confidence_level", 0.95))
        return switching_balance(self.switching, self._store_labels(), level)

    def promotion_decomposition(self) -> pd.DataFrame:
        """Where the bump of each promotion a scenario adds to the reference came from (:mod:`.promotions`).

        Empty unless a scenario differs from the reference only by promotions it
        adds (:func:`~cxsim.experiments.promotions.added_promotions`).
        """
        level = float(self.meta.get("confidence_level", 0.95))
        return comparison_promotions(self.stores, self.meta, level)

    def write(self, folder: Path) -> None:
        """Write the tables, ``comparison.csv``/``.parquet`` and ``compare.json`` into ``folder``.

        With a promotion to decompose, also ``promotion_decomposition.csv``.
        """
        self.table.to_csv(folder / "comparison.csv", index=False)
        promotions = self.promotion_decomposition()
        if len(promotions):
            promotions.to_csv(folder / "promotion_decomposition.csv", index=False)
        self.table.to_parquet(folder / "comparison.parquet", index=False)
        flows = self.switching_flows()
        flows.to_csv(folder / "switching_flows.csv", index=False)
        flows.to_parquet(folder / "switching_flows.parquet", index=False)
        self.switching_balance().to_csv(folder / "switching_balance.csv", index=False)
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


def resolve_labels(names: Sequence[str], variants: Sequence[str] = ()) -> list[str]:
    """Short, distinct display names of the compared variants (the file stem for paths).

    ``names`` and ``variants`` are written as :mod:`.variants` describes
    (``[NAME=]SCENARIO[+PATH=VALUE...]``).
    """
    return [v.name for v in resolve_variants(names, variants)]


def load_variants(
    variants: Sequence[Variant], overrides: Sequence[str] = (), days: int | None = None
) -> list[Scenario]:
    """Each variant's scenario: ``overrides`` (every scenario's ``--set``) first, then its own."""
    return [load_scenario(v.scenario, [*overrides, *v.overrides], days=days) for v in variants]


def run_comparison(
    names: Sequence[str],
    *,
    variants: Sequence[str] = (),
    reference: str | None = None,
    reps: int = 10,
    days: int | None = None,
    seed: int = DEFAULT_SEED,
    workers: int = 1,
    overrides: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
    backend: Backend | None = None,
) -> Comparison:
    """Run ``reps`` replications of each scenario and compare them with the reference.

    Args:
        names: scenario names or paths, or inline variants ``[NAME=]SCENARIO[+PATH=VALUE...]``.
        variants: more variants (``--variant``), after ``names``.
        reference: the name the differences are taken against (default: the first).
        reps: replications per scenario (replication ``r`` uses the same seed in every scenario).
        days: horizon for all scenarios (defaults to each scenario's own).
        seed: root seed from which the replications' seeds are derived.
        workers: parallel processes (1 runs in this process).
        overrides: ``PATH=VALUE`` strings applied to every scenario (before a variant's own).
        progress: called with 1 after each finished run (a progress bar's tick).
        backend: an open executor to run on instead (e.g. a Dask cluster, see
            :func:`~cxsim.experiments.runner.open_executor`); results are the same.
    """
    if reps < 1:
        raise InputError("compare", "--reps", "at least 1 replication", reps)
    parsed = resolve_variants(names, variants)
    labels = [v.name for v in parsed]
    ref = pick_reference(labels, reference)
    specs = load_variants(parsed, overrides, days)
    seeds = derive_seeds(seed, reps)
    jobs = [
        Replication(
            spec,
            s,
            functools.partial(collect_replication, label=label, rep=r),
            key=(label, r),
            batchable=True,
        )
        for spec, label in zip(specs, labels, strict=True)  # a scenario's replications together: batches
        for r, s in enumerate(seeds)
    ]
    started = datetime.now(UTC)
    by_scenario = run_replications(
        jobs, workers=workers if workers > 1 else 0, backend=backend, progress=progress
    )
    finished = datetime.now(UTC)
    k = len(seeds)  # the tables list replication 0 of every scenario, then replication 1, ...
    results = [by_scenario[i * k + r] for r in range(k) for i in range(len(specs))]

    def frame(key: str) -> pd.DataFrame:
        parts = [r[key] for r in results if len(r[key])]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    replications = pd.DataFrame([r["summary"] for r in results])
    front = ["scenario", "rep", "seed"]
    replications = replications[front + [c for c in replications.columns if c not in front]]
    stores_sum = frame("store_summary")
    table = comparison_table(replications, stores_sum, labels, reference=ref)
    prov = provenance(None, started, finished)
    meta = {
        "scenarios": labels,
        "sources": [v.scenario for v in parsed],
        "variants": {v.name: {"scenario": v.scenario, "overrides": list(v.overrides)} for v in parsed},
        "reference": ref,
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
        switching=frame("switching"),
        store_journeys=frame("store_journeys"),
    )


def log_entries(log: pd.DataFrame) -> list[LogEntry]:
    """Typed log entries of a ``log`` table (one scenario's replication), also of earlier folders.

    Folders written before the log had ``kind`` and ``data`` columns give entries
    that keep their sentence (:func:`cxsim.model.log.log_from_records`).
    """
    if "kind" in log and "data" in log:
        return [
            LogEntry(
                int(r.day),
                str(r.kind),
                r.store if isinstance(r.store, str) else None,
                json.loads(str(r.data)),
            )
            for r in log.itertuples(index=False)
        ]
    return log_from_records(log[["day", "message"]].to_dict("records"))


def load_comparison(folder: str | Path) -> Comparison:
    """Read a folder written by ``cxsim compare``."""
    folder = Path(folder)
    meta_file = folder / "compare.json"
    if not meta_file.is_file():
        raise InputError(str(folder), "", "a folder written by `cxsim compare`", "no compare.json")
    meta = json.loads(meta_file.read_text())
    tables = {
        name: pd.read_parquet(folder / f"{name}.parquet")
        for name in Comparison.TABLES
        if (folder / f"{name}.parquet").is_file()  # folders of earlier versions lack switching
    }
    return Comparison(
        scenarios=list(meta["scenarios"]),
        table=pd.read_parquet(folder / "comparison.parquet"),
        meta=meta,
        **tables,
    )
