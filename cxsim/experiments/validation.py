"""Pattern-oriented validation: does the model reproduce the published patterns.

Pattern-oriented modelling (Grimm et al. 2005, Science 310:987) asks one set of
parameters to reproduce several observed patterns at once. The patterns are data
(``cxsim/data/patterns.toml``; a researcher adds or replaces some with ``--patterns``):
each names a scenario, a metric of a run and a target band or comparison.
``cxsim validate`` runs every scenario with replications, reports the mean with
a 95% confidence interval, the band, pass or fail and the source, and writes the
table and one figure per pattern.

Metrics are written in a tiny expression language that is parsed, never
evaluated as Python: numbers, ``+ - * /``, parentheses, summary column names
(and derived measures: price elasticities from paired price runs, a promotion's
decomposition, double jeopardy; :mod:`cxsim.experiments.validation_measures`),
a few built-in window functions of timeseries columns (:data:`FUNCTIONS`), and
at most one top-level comparison ``>`` or ``<``.

Pass rules (docs/VALIDATION.md): a band check passes when the mean over
replications lies in ``[low, high]``; a comparison passes when the lower bound of
the 95% t-interval of the difference (left minus right for ``>``) is above 0. A
pattern passes when all its checks pass.

The metric language is :mod:`cxsim.experiments.validation_language`, the
patterns file :mod:`cxsim.experiments.validation_patterns`; this module runs
the scenarios and checks the patterns. Figures are drawn by
:mod:`cxsim.analysis.validation_figures`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim.core.errors import InputError
from cxsim.core.io import atomic_write_json, atomic_write_text, output_dir
from cxsim.core.stats import mean_ci
from cxsim.experiments.provenance import command_line, cxsim_version, git_commit, git_dirty, machine
from cxsim.experiments.runner import Backend
from cxsim.experiments.validation_drift import Drift, drift_passed, write_drift
from cxsim.experiments.validation_language import Col, Observation, first_lockdown, walk
from cxsim.experiments.validation_measures import (
    ELASTICITY_MEASURES,
    ELASTICITY_STEP,
    PURCHASE_MEASURES,
    Elasticities,
    elasticities,
    elasticity_markdown,
    elasticity_table,
    first_promotion,
    mark_store_band,
    price_variants,
    promotion_decomposition,
    store_band,
    window_purchases,
)
from cxsim.experiments.validation_patterns import Check, Pattern, accepted, check_pattern
from cxsim.experiments.validation_patterns import band_distance as band_distance  # re-exported: old place
from cxsim.experiments.validation_patterns import format_value as format_value
from cxsim.experiments.validation_patterns import markdown_table as markdown_table
from cxsim.experiments.validation_runs import Job, default_workers, run_jobs
from cxsim.model.scenario import Scenario, find_scenario_file, load_scenario

# =========================================================================== running


@dataclass
class Plan:
    """The resolved scenarios of a set of patterns, and which one each pattern uses."""

    specs: dict[str, Scenario] = field(default_factory=dict)
    main: dict[str, str] = field(default_factory=dict)
    """Pattern id -> key of its scenario in ``specs``."""
    reference: dict[str, str] = field(default_factory=dict)
    """Pattern id -> key of its reference scenario (same horizon), when it has one."""
    fixed_seeds: list[int] | None = None
    """Seeds for every pattern (common random numbers), instead of seed, seed + 1, ..."""
    variants: dict[str, dict[str, str]] = field(default_factory=dict)
    """Scenario key -> {price variant -> its key in ``specs``}: the paired price runs of the
    patterns that use an elasticity (:data:`~cxsim.experiments.validation_measures.ELASTICITY_MEASURES`)."""
    purchases: set[str] = field(default_factory=set)
    """Keys of scenarios whose runs keep their purchases (double jeopardy measures)."""
    step: float = ELASTICITY_STEP
    """Relative price change of the paired price runs."""

    def seeds(self, pattern_id: str, reps: int) -> list[int]:
        """Replication seeds of a pattern: its scenario's seed, seed + 1, ... (or the fixed seeds)."""
        if self.fixed_seeds is not None:
            return list(self.fixed_seeds)
        base = self.specs[self.main[pattern_id]].seed
        return [base + i for i in range(reps)]

    def label(self, key: str) -> str:
        """A short name for a scenario key (file stem, plus ``@days`` for references, ``#variant``)."""
        key, _, variant = key.partition("#")
        path, _, horizon = key.partition("@")
        return Path(path).stem + (f"@{horizon}" if horizon else "") + (f"#{variant}" if variant else "")


def _load_for(p: Pattern, name: str, field_name: str, overrides: Sequence[str], days: int | None) -> Scenario:
    ref = p.scenario_ref(name)
    try:
        find_scenario_file(ref)
    except InputError as exc:
        raise InputError(str(p.origin), f"{p.id}.{field_name}", exc.expected, name, exc.hint) from None
    return load_scenario(ref, list(overrides), days=days)


def _names(p: Pattern) -> set[str]:
    return {n.name for c in p.checks for e in c.expressions() for n in walk(e) if isinstance(n, Col)}


def needs_price_runs(p: Pattern) -> bool:
    """Whether a pattern uses an elasticity (and so its scenario's paired price runs)."""
    return bool(_names(p) & set(ELASTICITY_MEASURES))


def resolve_scenarios(
    patterns: Sequence[Pattern],
    overrides: Sequence[str] = (),
    days: int | None = None,
    step: float = ELASTICITY_STEP,
) -> Plan:
    """Load each pattern's scenario (and reference) once, with overrides, and check the pattern.

    A reference that is the same scenario over the same days as another pattern's
    scenario shares its runs. A pattern that uses an elasticity adds its scenario's
    paired price runs (``± step``, :func:`~cxsim.experiments.validation_measures.price_variants`).
    """
    plan = Plan(step=step)
    for p in patterns:
        key = str(p.scenario_ref())
        if key not in plan.specs:
            plan.specs[key] = _load_for(p, p.scenario, "scenario", overrides, days)
        plan.main[p.id] = key
        check_pattern(p, plan.specs[key])
        if p.reference is not None:
            horizon = plan.specs[key].days
            same = str(p.scenario_ref(p.reference))
            rkey = same if same in plan.specs and plan.specs[same].days == horizon else f"{same}@{horizon}"
            if rkey not in plan.specs:
                plan.specs[rkey] = _load_for(p, p.reference, "reference", overrides, horizon)
            plan.reference[p.id] = rkey
        used = _names(p)
        if used & set(PURCHASE_MEASURES):
            plan.purchases.add(key)
        if needs_price_runs(p) and key not in plan.variants:
            plan.variants[key] = {}
            for name, spec in price_variants(plan.specs[key], step).items():
                plan.specs[f"{key}#{name}"] = spec
                plan.variants[key][name] = f"{key}#{name}"
    return plan


def plan_jobs(plan: Plan, patterns: Sequence[Pattern], reps: int) -> list[Job]:
    """The runs the patterns need: ``reps`` seeds of each scenario, shared by its reference."""
    wanted: dict[tuple[str, int], None] = {}
    for p in patterns:
        main = plan.main[p.id]
        for seed in plan.seeds(p.id, p.reps(reps)):
            wanted[main, seed] = None
            if p.id in plan.reference:
                wanted[plan.reference[p.id], seed] = None
            for vkey in plan.variants.get(main, {}).values():
                wanted[vkey, seed] = None
    return [Job(key, plan.specs[key], seed, key in plan.purchases) for key, seed in wanted]


# =========================================================================== statistics


def check_passes(check: Check, mean: float, ci_low: float) -> bool:
    """The pass rule: mean in band; for a comparison, lower CI bound of the difference > 0."""
    if check.is_comparison:
        return bool(np.isfinite(ci_low) and ci_low > 0)
    assert check.band is not None
    return bool(np.isfinite(mean) and check.band[0] <= mean <= check.band[1])


def replication_elasticities(
    plan: Plan, key: str, seed: int, observations: dict[tuple[str, int], Observation]
) -> Elasticities:
    """One replication's elasticities from a scenario's run and its paired price runs (same seed)."""
    window = plan.specs[key].summary_window_days
    obs = observations[key, seed]
    base = window_purchases(obs.store_daily, obs.days, window)
    variants = {
        name: window_purchases(observations[vkey, seed].store_daily, obs.days, window)
        for name, vkey in plan.variants[key].items()
    }
    return elasticities(base, variants, plan.step)


def observation(
    plan: Plan, pattern: Pattern, seed: int, observations: dict[tuple[str, int], Observation]
) -> Observation:
    """A pattern's observation of one replication, with its reference run and derived measures attached.

    Derived measures: a promotion's decomposition (against the reference run) and
    the elasticities (from the paired price runs), when the plan has what they need.
    """
    main = plan.main[pattern.id]
    obs = observations[main, seed]
    extra: dict[str, float] = {}
    if pattern.id in plan.reference:
        ref = observations[plan.reference[pattern.id], seed]
        obs = replace(obs, reference=ref)
        promo = first_promotion(plan.specs[main])
        if promo is not None and obs.store_daily is not None and ref.store_daily is not None:
            extra.update(promotion_decomposition(obs.store_daily, ref.store_daily, promo))
    if main in plan.variants:
        extra.update(replication_elasticities(plan, main, seed, observations).measures())
    return replace(obs, measures={**obs.measures, **extra}) if extra else obs


def replication_table(
    patterns: Sequence[Pattern],
    plan: Plan,
    observations: dict[tuple[str, int], Observation],
    reps: int,
) -> pd.DataFrame:
    """One row per pattern check and replication: the value (and both sides of comparisons)."""
    rows = []
    for p in patterns:
        for rep, seed in enumerate(plan.seeds(p.id, p.reps(reps))):
            obs = observation(plan, p, seed, observations)
            for j, c in enumerate(p.checks):
                value, left, right = c.value(obs)
                rows.append(
                    {
                        "pattern": p.id,
                        "check": j,
                        "label": c.label,
                        "scenario": plan.label(plan.main[p.id]),
                        "rep": rep,
                        "seed": seed,
                        "value": value,
                        "left": left,
                        "right": right,
                    }
                )
    return pd.DataFrame(rows).sort_values(["pattern", "check", "rep"], kind="stable").reset_index(drop=True)


def pattern_table(patterns: Sequence[Pattern], reps: pd.DataFrame) -> pd.DataFrame:
    """One row per pattern check: mean, 95% CI, band, pass and source."""
    rows = []
    for p in patterns:
        results = []
        for j, c in enumerate(p.checks):
            sub = reps[(reps["pattern"] == p.id) & (reps["check"] == j)]
            mean, lo, hi, sd, n = mean_ci(sub["value"].tolist())
            passed = check_passes(c, mean, lo)
            results.append(passed)
            rows.append(
                {
                    "pattern": p.id,
                    "name": p.name,
                    "check": j,
                    "label": c.label,
                    "scenario": str(sub["scenario"].iloc[0]) if len(sub) else p.scenario,
                    "metric": c.metric,
                    "kind": "comparison" if c.is_comparison else "band",
                    "value": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                    "sd": sd,
                    "reps": n,
                    "band_low": 0.0 if c.is_comparison else c.band[0],  # type: ignore[index]
                    "band_high": math.inf if c.is_comparison else c.band[1],  # type: ignore[index]
                    "target": c.target(),
                    "point": math.nan if c.point is None else c.point,
                    "percent": c.percent,
                    "passed": passed,
                    "status": c.status(passed),
                    "finding": c.finding,
                    "source": p.source,
                    "figure": p.figure,
                }
            )
        for row in rows[-len(p.checks) :]:
            row["pattern_passed"] = all(results)
    return pd.DataFrame(rows)


# =========================================================================== output


def derived_tables(
    patterns: Sequence[Pattern], plan: Plan, observations: dict[tuple[str, int], Observation], reps: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The elasticity table (per scenario with price runs) and the derived measures of each run."""
    tables: list[pd.DataFrame] = []
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for key in plan.variants:
        seeds = sorted(
            {s for p in patterns if plan.main[p.id] == key for s in plan.seeds(p.id, p.reps(reps))}
        )
        per_rep = [replication_elasticities(plan, key, s, observations) for s in seeds]
        tables.append(elasticity_table(per_rep, plan.label(key), plan.step))
    for p in patterns:
        for seed in plan.seeds(p.id, p.reps(reps)):
            measures = observation(plan, p, seed, observations).measures
            if measures:
                name = plan.label(plan.main[p.id])
                rows.setdefault((name, seed), {"scenario": name, "seed": seed}).update(measures)
    elasticity = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    return elasticity, pd.DataFrame(list(rows.values()))


@dataclass
class Validation:
    """Everything a validation produced."""

    patterns: list[Pattern]
    table: pd.DataFrame
    replications: pd.DataFrame
    runs: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)
    elasticities: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Own-price elasticity per store and the category's, with 95% CIs (empty without P7)."""
    measures: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The derived measures of each pattern's replications (elasticities, promotion, double jeopardy)."""
    drift: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The drift check (:mod:`~cxsim.experiments.validation_drift`; empty without it), its yearly values."""
    drift_years: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def passed(self) -> bool:
        """Whether no pattern check failed (findings aside) and the drift check, when run, passed."""
        return accepted(self.table) and drift_passed(self.drift)

    def write(
        self, out: str | Path, *, also: Callable[[Path], None] | None = None, overwrite: bool = False
    ) -> Path:
        """Write the tables and provenance through an atomic folder.

        ``also`` adds files to the staged folder first: ``cxsim validate`` draws
        one figure per pattern there (:mod:`cxsim.analysis.validation_figures`).
        ``out`` follows the output-folder rule of :mod:`cxsim.core.io`.
        """
        with output_dir(out, "validate", overwrite=overwrite) as tmp:
            self.table.to_csv(tmp / "patterns.csv", index=False)
            self.table.to_parquet(tmp / "patterns.parquet", index=False)
            self.replications.to_parquet(tmp / "replications.parquet", index=False)
            self.runs.to_parquet(tmp / "runs.parquet", index=False)
            text = markdown_table(self.table)
            if not self.elasticities.empty:
                self.elasticities.to_csv(tmp / "elasticities.csv", index=False)
                self.elasticities.to_parquet(tmp / "elasticities.parquet", index=False)
                text += "\n" + elasticity_markdown(self.elasticities)
            if not self.measures.empty:
                self.measures.to_parquet(tmp / "measures.parquet", index=False)
            about = (self.info.get("drift") or {}).get("about", "")
            text += write_drift(tmp, self.drift, self.drift_years, about)
            atomic_write_text(tmp / "patterns.md", text)
            atomic_write_json(tmp / "validation.json", self.info)
            if also is not None:
                also(tmp)
        return Path(out)


def validate_patterns(
    patterns: Sequence[Pattern],
    reps: int = 5,
    *,
    overrides: Sequence[str] = (),
    days: int | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    backend: Backend | None = None,
    step: float = ELASTICITY_STEP,
    drift: Drift | None = None,
) -> Validation:
    """Run every pattern's scenario ``reps`` times and check every pattern.

    Python entry point of ``cxsim validate``; nothing is written. ``backend`` runs
    the replications on an open executor (e.g. a Dask cluster) instead of ``workers``.
    ``step`` is the relative price change of the elasticities' paired runs; ``drift``
    adds the drift check's runs (:class:`~cxsim.experiments.validation_drift.Drift`).
    """
    started = time.time()
    plan = resolve_scenarios(patterns, overrides, days, step)
    jobs = plan_jobs(plan, patterns, reps)
    dspec = drift.resolve(overrides) if drift is not None else None
    if drift is not None and dspec is not None:
        jobs += [Job(drift.key, dspec, seed) for seed in drift.seeds(dspec)]
    observations = run_jobs(jobs, workers, progress, backend)
    dtab, dyears = pd.DataFrame(), pd.DataFrame()
    if drift is not None and dspec is not None:
        dtab, dyears = drift.tables(dspec, {s: observations[drift.key, s] for s in drift.seeds(dspec)})
    reps_df = replication_table(patterns, plan, observations, reps)
    table = pattern_table(patterns, reps_df)
    elasticity, measures = derived_tables(patterns, plan, observations, reps)
    elasticity = mark_store_band(elasticity, store_band(table))
    runs = pd.DataFrame(
        [{"run": plan.label(k), **obs.summary} for (k, _), obs in sorted(observations.items())]
    )
    info = {
        "command": command_line(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "reps": reps,
        "workers": workers or default_workers(len(jobs)),
        "overrides": list(overrides),
        "days": days,
        "scenarios": {
            k: {
                "name": plan.label(k),
                "days": s.days,
                "shoppers": s.town.shoppers,
                "seed": s.seed,
                "lockdown": first_lockdown(s),
            }
            for k, s in plan.specs.items()
            if "#" not in k
        },
        "price_runs": {
            plan.label(k): {"step": plan.step, "variants": list(v)} for k, v in plan.variants.items()
        },
        "elasticities": [
            {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
            for row in elasticity.to_dict(orient="records")
        ],
        "runs": len(jobs),
        "patterns_files": sorted({str(p.origin) for p in patterns}),
        "seconds": round(time.time() - started, 1),
        "all_passed": accepted(table) and drift_passed(dtab),
        "drift": drift.info(dspec, dtab) if drift is not None and dspec is not None else None,
        "cxsim_version": cxsim_version(),
        "git_commit": git_commit(),
        "git_dirty": git_dirty("cxsim", untracked=True),  # the package holds the scenarios too
    }
    return Validation(list(patterns), table, reps_df, runs, info, elasticity, measures, dtab, dyears)
