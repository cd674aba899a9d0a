"""Where a promotion's sales bump comes from: switching, acceleration and category expansion.

From paired runs (the same seed, the same scenario with and without the
promotion), the promoting store's *unit bump* over the promotion's days is
split into three sources (van Heerde, Gupta and Wittink 2003, J. Marketing
Research 40:481, who find about one third of the bump comes from rivals):

- **switching** — purchases the rival stores lost on the promotion's days;
- **acceleration** — purchases the whole town lost in the days after the
  promotion (the post-promotion dip: needs bought early are not bought again,
  Van Heerde, Leeflang and Wittink 2000, J. Marketing Research 37:383);
- **expansion** — the rest: purchases that would not have happened at all.

Units are *kept* purchases (net of returns) by default: a promoted impulse buy
that comes back is bought again within days (docs/ODD.md 7.5), and counting
both would show the re-purchase as expansion; ``units="purchases"`` counts
every purchase. With ``q`` the units of the run with the promotion, ``q⁰`` those of the run
without it, ``s`` the promoting store, ``P`` the promotion's days and ``A`` the
``after_days`` days after it::

    bump         = Σ_P (q_s − q⁰_s)
    switching    = Σ_P Σ_{r≠s} (q⁰_r − q_r)
    acceleration = Σ_A Σ_all (q⁰ − q)
    expansion    = bump − switching − acceleration

so the three sources sum to the bump in every replication. Each is averaged
over replications with its 95% interval (:func:`cxsim.core.stats.mean_ci`), as
a count and as a share of the bump (the share of each replication, averaged).

:func:`decompose_promotion` is the pure function over two ``stores`` tables;
:func:`run_decomposition` runs the paired replications on the one runner
(:mod:`.runner`); :func:`comparison_promotions` finds the promotions a
comparison adds to its reference (``cxsim compare``: see its docstring).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from cxsim.core.errors import InputError
from cxsim.core.stats import mean_ci
from cxsim.experiments.results import run
from cxsim.experiments.runner import Backend, Replication, run_replications
from cxsim.model.scenario import Scenario, load_scenario
from cxsim.model.scenario_events import Promotion

__all__ = [
    "COLUMNS",
    "COMPONENTS",
    "UNITS",
    "added_promotions",
    "comparison_promotions",
    "decompose_promotion",
    "decomposition_text",
    "promotion_components",
    "run_decomposition",
    "without_promotion",
]

COMPONENTS: dict[str, str] = {
    "bump": "unit bump at the promoting store",
    "switching": "from rivals (switching)",
    "acceleration": "borrowed from the days after (acceleration)",
    "expansion": "category expansion (the rest)",
}
"""The components of the decomposition, in order, with their labels."""
Units = Literal["kept", "purchases"]
UNITS: dict[str, str] = {
    "kept": "kept purchases (net of returns)",
    "purchases": "purchases (returned ones included)",
}
"""What the decomposition counts: kept purchases (the default) or every purchase."""
COLUMNS = (
    "units",
    "store",
    "start",
    "days",
    "after_days",
    "component",
    "label",
    "n",
    "mean",
    "ci_low",
    "ci_high",
    "share",
    "share_ci_low",
    "share_ci_high",
)
"""Columns of :func:`decompose_promotion`'s table (one row per component)."""


def _daily(table: pd.DataFrame, first: int, last: int, units: Units) -> pd.DataFrame:
    """Units by day (rows ``first..last``) and store (columns), zeros where a day or store is absent."""
    part = table[(table["day"] >= first) & (table["day"] <= last)]
    if units == "kept":
        if "returns" not in part:
            raise ValueError("kept purchases need a 'returns' column (or units='purchases')")
        part = part.assign(units=part["purchases"] - part["returns"])
    else:
        part = part.assign(units=part["purchases"])
    wide = part.pivot_table(index="day", columns="store", values="units", aggfunc="sum", fill_value=0)
    return wide.reindex(range(first, last + 1), fill_value=0).astype(float)


def promotion_components(
    promoted: pd.DataFrame,
    reference: pd.DataFrame,
    store: str,
    start: int,
    days: int,
    after_days: int,
    units: Units = "kept",
) -> dict[str, float]:
    """The decomposition of one pair of runs: bump, switching, acceleration and expansion (units).

    ``promoted`` and ``reference`` are ``stores`` tables (columns ``day``,
    ``store``, ``purchases`` and, for kept units, ``returns``; one row per store and day) of one run with the
    promotion and one without it, from the same seed. The promotion runs on
    days ``start .. start + days - 1``; the dip is counted over the
    ``after_days`` days after it, as far as the shorter table reaches.
    """
    last_day = int(min(promoted["day"].max(), reference["day"].max()))
    end = start + days - 1
    with_p, without = _daily(promoted, start, end, units), _daily(reference, start, end, units)
    stores = with_p.columns.union(without.columns)
    with_p, without = (
        with_p.reindex(columns=stores, fill_value=0),
        without.reindex(columns=stores, fill_value=0),
    )
    own = with_p.get(store, 0.0)
    bump = float(np.sum(own - without.get(store, 0.0)))
    rivals = [s for s in stores if s != store]
    switching = float((without[rivals] - with_p[rivals]).to_numpy().sum())
    acceleration = 0.0
    after_last = min(end + after_days, last_day)
    if after_last > end:
        a, b = _daily(promoted, end + 1, after_last, units), _daily(reference, end + 1, after_last, units)
        acceleration = float(b.to_numpy().sum() - a.to_numpy().sum())
    return {
        "bump": bump,
        "switching": switching,
        "acceleration": acceleration,
        "expansion": bump - switching - acceleration,
    }


def decompose_promotion(
    promoted: pd.DataFrame,
    reference: pd.DataFrame,
    store: str,
    start: int,
    days: int,
    after_days: int,
    level: float = 0.95,
    units: Units = "kept",
) -> pd.DataFrame:
    """Decompose a promotion's unit bump at ``store`` over replications, with ``level`` intervals.

    Args:
        promoted: ``stores`` tables of the runs with the promotion (columns
            ``day``, ``store``, ``purchases``, ``returns`` and, for several
            replications, ``rep``).
        reference: the same for the runs without it; replication ``rep`` of
            both must share its seed (paired runs, common random numbers).
        store: the promoting store's key.
        start: the promotion's first day.
        days: the promotion's length in days.
        after_days: days after the promotion over which the dip is counted
            (the promotion's ``pull_forward_days`` is the natural choice).
        level: confidence level of the intervals.
        units: ``"kept"`` (purchases net of returns; the default) or
            ``"purchases"`` (every purchase; no ``returns`` column needed).

    Returns:
        One row per component (``bump``, ``switching``, ``acceleration``,
        ``expansion``; :data:`COLUMNS`): mean purchases over replications with
        its interval, and the mean share of the bump with its interval.
        switching + acceleration + expansion = bump in every replication.
    """
    key = "rep" if "rep" in promoted and "rep" in reference else None
    groups = sorted(set(promoted[key]) & set(reference[key])) if key else [None]
    per_rep = []
    for g in groups:
        a = promoted if key is None else promoted[promoted[key] == g]
        b = reference if key is None else reference[reference[key] == g]
        per_rep.append(promotion_components(a, b, store, start, days, after_days, units))
    values = pd.DataFrame(per_rep, columns=list(COMPONENTS))
    bump = values["bump"].to_numpy(dtype=float)
    rows: list[dict[str, Any]] = []
    for name, label in COMPONENTS.items():
        x = values[name].to_numpy(dtype=float)
        mean, lo, hi, _, n = mean_ci(x, level)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(bump > 0, x / np.where(bump > 0, bump, 1.0), np.nan)
        s_mean, s_lo, s_hi, _, _ = mean_ci(share, level)
        rows.append(
            {
                "units": units,
                "store": store,
                "start": start,
                "days": days,
                "after_days": after_days,
                "component": name,
                "label": label,
                "n": n,
                "mean": mean,
                "ci_low": lo,
                "ci_high": hi,
                "share": s_mean,
                "share_ci_low": s_lo,
                "share_ci_high": s_hi,
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


# ----------------------------------------------------------------------------- paired runs


def _purchases_by_day(spec: Scenario) -> pd.DataFrame:
    """One run's purchases by day and store (a replication's collect function)."""
    out: pd.DataFrame = run(spec).stores[["day", "store", "purchases", "returns"]]
    return out


def without_promotion(spec: Scenario, event: Promotion) -> Scenario:
    """The scenario with ``event`` left out of its calendar (everything else the same)."""
    return spec.model_copy(update={"events": [e for e in spec.events if e is not event]})


def run_decomposition(
    scenario: str | Path | Scenario,
    *,
    promotion: int = 0,
    reps: int = 10,
    seed: int | None = None,
    days: int | None = None,
    overrides: Sequence[str] = (),
    after_days: int | None = None,
    workers: int = 0,
    backend: Backend | None = None,
    progress: Callable[[int], None] | None = None,
    level: float = 0.95,
    units: Units = "kept",
) -> pd.DataFrame:
    """Run a scenario with and without one of its promotions, paired, and decompose the bump.

    Args:
        scenario: a scenario name, path or loaded scenario with a ``promotion`` event.
        promotion: which of its promotion events (0: the first in the calendar).
        reps: paired replications (replication ``r`` of both runs shares its seed).
        seed: root seed of the replications' seeds (default: compare's).
        days: horizon (default: the scenario's); runs stop once the dip's window is over.
        overrides: ``PATH=VALUE`` strings applied to the scenario.
        after_days: days after the promotion over which the dip is counted
            (default: the promotion's ``pull_forward_days``).
        workers: local processes (0: in this process); ignored with ``backend``.
        backend: an open executor (:func:`~cxsim.experiments.runner.open_executor`).
        progress: called with 1 after each finished run.
        level: confidence level of the intervals.
        units: ``"kept"`` (net of returns) or ``"purchases"``.

    Returns:
        :func:`decompose_promotion`'s table.
    """
    from cxsim.experiments.compare import DEFAULT_SEED, derive_seeds  # compare shows this module's tables

    spec = load_scenario(scenario, list(overrides), days=days)
    promos = [e for e in spec.events if isinstance(e, Promotion)]
    if not 0 <= promotion < len(promos):
        found = f"{len(promos)} promotion event(s)"
        raise InputError(spec.name, "events", f"a promotion event number {promotion} (counted from 0)", found)
    ev = promos[promotion]
    if ev.start > spec.days:
        raise InputError(
            spec.name, "days", f"a horizon reaching the promotion's start ({ev.start})", spec.days
        )
    after = ev.pull_forward_days if after_days is None else after_days
    horizon = min(spec.days, ev.start + ev.days - 1 + after)
    daily = spec.model_copy(update={"collect_every": 1})
    runs = {"promoted": daily, "reference": without_promotion(daily, ev)}
    seeds = derive_seeds(DEFAULT_SEED if seed is None else seed, reps)
    jobs = [  # a scenario's replications one after another: they can share ensembles
        Replication(s, sd, _purchases_by_day, days=horizon, key=(label, r), batchable=True)
        for label, s in runs.items()
        for r, sd in enumerate(seeds)
    ]
    values = run_replications(jobs, workers=workers, backend=backend, progress=progress)
    tables: dict[str, list[pd.DataFrame]] = {"promoted": [], "reference": []}
    for (label, r), table in zip(
        [(label, r) for label in runs for r in range(len(seeds))], values, strict=True
    ):
        tables[label].append(table.assign(rep=r))
    return decompose_promotion(
        pd.concat(tables["promoted"], ignore_index=True),
        pd.concat(tables["reference"], ignore_index=True),
        ev.store,
        ev.start,
        ev.days,
        after,
        level,
        units,
    )


# ----------------------------------------------------------------------------- in a comparison

_SAME_SCENARIO_EXCEPT = ("name", "description", "question", "extends", "events")
"""Keys of a resolved scenario that may differ for a comparison's promotion to be decomposed."""


def added_promotions(variant: Mapping[str, Any], reference: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The promotions ``variant`` adds to ``reference`` (resolved scenarios as TOML dicts).

    A promotion is added when the two scenarios are the same but for their
    calendars, every other event of either is in both, and the variant's
    promotion is absent from the reference or deeper there than a reference
    promotion of the same store, days and channel (the decomposition is then
    that of the extra depth). Otherwise nothing is added: the scenarios differ
    by more than a promotion, and a bump would not be the promotion's.
    """
    others = [k for k in set(variant) | set(reference) if k not in _SAME_SCENARIO_EXCEPT]
    if any(variant.get(k) != reference.get(k) for k in others):
        return []
    ev_v, ev_r = list(variant.get("events", [])), list(reference.get("events", []))
    non_promo = [e for e in ev_v + ev_r if e.get("type") != "promotion"]
    if any(e not in ev_v or e not in ev_r for e in non_promo):
        return []
    out = []
    for ev in ev_v:
        if ev.get("type") != "promotion" or ev in ev_r:
            continue
        same = [
            r
            for r in ev_r
            if r.get("type") == "promotion"
            and all(r.get(k) == ev.get(k) for k in ("store", "start", "days", "online_only"))
        ]
        if all(float(r["discount"]) < float(ev["discount"]) for r in same):
            out.append(dict(ev))
    return out


def comparison_promotions(
    stores: pd.DataFrame, meta: Mapping[str, Any], level: float = 0.95, units: Units = "kept"
) -> pd.DataFrame:
    """The decomposition of each promotion a compared scenario adds to the reference.

    ``stores`` is a comparison's per-replication ``stores`` table (``scenario``
    and ``rep`` columns) and ``meta`` its ``compare.json`` (``scenarios``,
    ``reference``, ``resolved``). A scenario is decomposed against the
    reference when it differs only by promotions it adds (:func:`added_promotions`)
    and both record every day (``collect_every`` 1). Columns: ``scenario``,
    ``reference``, ``discount`` and :data:`COLUMNS`; empty when nothing qualifies.
    """
    cols = ["scenario", "reference", "discount", *COLUMNS]
    resolved = meta.get("resolved", {})
    scenarios = list(meta.get("scenarios", []))
    ref = str(meta.get("reference") or (scenarios[0] if scenarios else ""))
    parts = []
    for label in scenarios:
        if label == ref or label not in resolved or ref not in resolved or stores.empty:
            continue
        if any(int(resolved[x].get("collect_every", 1)) != 1 for x in (label, ref)):
            continue
        for ev in added_promotions(resolved[label], resolved[ref]):
            if int(ev["start"]) > int(resolved[label].get("days", 0)):
                continue
            table = decompose_promotion(
                stores[stores["scenario"] == label],
                stores[stores["scenario"] == ref],
                str(ev["store"]),
                int(ev["start"]),
                int(ev["days"]),
                int(ev.get("pull_forward_days", Promotion.model_fields["pull_forward_days"].default)),
                level,
                units,
            )
            parts.append(table.assign(scenario=label, reference=ref, discount=float(ev["discount"])))
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]


def _percent(x: float) -> str:
    """A share in whole percent, ``–`` for NaN, never ``-0%``."""
    if x != x:
        return "–"
    return f"{round(100 * x) + 0:d}%"


def decomposition_text(table: pd.DataFrame) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """:func:`comparison_promotions`'s table for people: per promotion a title and its rows.

    Each row is (component label, units ``mean [95% CI]``, share of the bump
    ``mean [95% CI]``), the bump first; the title says which units (kept purchases by default).
    """
    out: list[tuple[str, list[tuple[str, str, str]]]] = []
    keys = ["scenario", "store", "start", "days"]
    for _, g in table.groupby(keys, sort=False):
        first = g.iloc[0]
        end = int(first["start"]) + int(first["days"]) - 1
        when = f"day {first['start']}" if end == int(first["start"]) else f"days {first['start']}–{end}"
        title = (
            f"{first['scenario']}: {first['store']}'s promotion ({when}, {float(first['discount']):.0%} off) "
            f"against {first['reference']}; {UNITS[str(first['units'])]}, "
            f"dip counted over the {first['after_days']} days after"
        )
        rows = []
        for r in g.itertuples(index=False):
            count = f"{r.mean:+,.0f}"
            if r.ci_low == r.ci_low:
                count += f" [{r.ci_low:+,.0f}, {r.ci_high:+,.0f}]"
            share = _percent(r.share)
            if r.component != "bump" and r.share_ci_low == r.share_ci_low:
                share += f" [{_percent(r.share_ci_low)}, {_percent(r.share_ci_high)}]"
            rows.append((str(r.label), count, share))
        out.append((title, rows))
    return out
