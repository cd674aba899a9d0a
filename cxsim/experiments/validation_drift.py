"""The drift check of ``cxsim validate``: is the baseline at a steady state (docs/VALIDATION.md).

A calibration measured on a town that is still settling after its warm-up fits a
transient, not the town. The drift check runs the baseline for ``years`` years
(after its warm-up) at ``reps`` seeds and asks whether the yearly values of a few
headline metrics stay put:

- the online share of purchases (purchase-weighted over the year) within ±1 pp,
- the NPS of all stores (mean of the year's daily trailing NPS) within ±5,
- the positive : negative word-of-mouth ratio (the year's messages) within ±0.5,
- each store's market share (its share of the year's purchases) within ±2 pp.

The statistic: for each metric and seed the yearly values, and each year's
difference from the last year (year ``years``, the closest the run gets to a steady
state) on the same seed; for each year the mean difference over the seeds with its
95% t-interval (:func:`cxsim.core.stats.mean_ci`); the check reports the year whose
mean difference is largest in size. It passes when that mean lies within the
tolerance (as a pattern's band: the mean decides, the interval is reported). Year 1
is the town right after the warm-up, so a spin-up shows as year 1 differing from
the later years; a steady trend shows as the earliest years differing most.

Pure functions on the ``timeseries`` and ``stores`` tables; the runs go through the
one replication runner (:func:`cxsim.experiments.validation.validate_patterns`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim.core.stats import mean_ci
from cxsim.experiments.validation_language import Observation
from cxsim.model.registry import metric
from cxsim.model.scenario import Scenario, load_scenario

DRIFT_SCENARIO = "baseline"
"""The scenario whose steady state is checked."""
YEAR_DAYS = 365
DRIFT_YEARS = 5
"""Years run after the warm-up (issue 14: years 1-5)."""
DRIFT_REPS = 10
"""Seeds (the scenario's seed, seed + 1, ...)."""
TOLERANCES: dict[str, float] = {"online_share": 0.01, "nps": 5.0, "wom_ratio": 0.5, "market_share": 0.02}
"""How far a yearly value may move (issue 14): ±1 pp, ±5 NPS points, ±0.5, ±2 pp per store."""
PERCENT = frozenset({"online_share", "market_share"})
"""Metrics that are shares (shown in %, differences in percentage points)."""
CHECKS = ("online_share", "nps", "wom_ratio", "market_share")


# =========================================================================== yearly values


def year_of(day: pd.Series | np.ndarray) -> np.ndarray:
    """The year (1, 2, ...) of each simulated day (days 1-365 are year 1)."""
    out: np.ndarray = (np.asarray(day, dtype=np.int64) - 1) // YEAR_DAYS + 1
    return out


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else math.nan


def yearly_values(timeseries: pd.DataFrame, stores: pd.DataFrame, years: int) -> pd.DataFrame:
    """One run's yearly values of the drift metrics: ``year, metric, store, value``.

    ``timeseries`` needs ``day, purchases, online_share, nps, wom_positive,
    wom_negative`` (one row per day); ``stores`` needs ``day, store, purchases``.
    Town-wide metrics have ``store`` "". Years after ``years`` are ignored; a year
    without purchases (or without negative word of mouth, for the ratio) is NaN.
    """
    ts = timeseries.assign(year=year_of(timeseries["day"]))
    ts = ts[ts["year"] <= years]
    rows: list[dict[str, Any]] = []
    for year, g in ts.groupby("year", sort=True):
        n = float(g["purchases"].sum())
        nps = g["nps"].to_numpy(dtype=float)
        values = {
            "online_share": _ratio(float((g["online_share"] * g["purchases"]).sum()), n),
            "nps": float(np.nanmean(nps)) if np.isfinite(nps).any() else math.nan,
            "wom_ratio": _ratio(float(g["wom_positive"].sum()), float(g["wom_negative"].sum())),
        }
        rows += [{"year": int(year), "metric": k, "store": "", "value": v} for k, v in values.items()]
    st = stores.assign(year=year_of(stores["day"]))
    st = st[st["year"] <= years]
    by_store = st.groupby(["year", "store"], sort=False)["purchases"].sum()
    total = st.groupby("year")["purchases"].sum()
    for (year, store), n in by_store.items():
        share = _ratio(float(n), float(total.loc[year]))
        rows.append({"year": int(year), "metric": "market_share", "store": str(store), "value": share})
    return pd.DataFrame(rows, columns=["year", "metric", "store", "value"])


def replication_years(runs: Mapping[int, tuple[pd.DataFrame, pd.DataFrame]], years: int) -> pd.DataFrame:
    """Yearly values of every seed's run (``{seed: (timeseries, stores)}``).

    Columns ``seed, year, metric, store, value`` (:func:`yearly_values`).
    """
    frames = [yearly_values(ts, st, years).assign(seed=int(seed)) for seed, (ts, st) in runs.items()]
    cols = ["seed", "year", "metric", "store", "value"]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)[cols]
    return out.sort_values(["metric", "store", "seed", "year"], kind="stable").reset_index(drop=True)


# =========================================================================== the statistic


def check_label(name: str, store: str = "", labels: Mapping[str, str] | None = None) -> str:
    """The label of a drift check: the registry's label, with the store's for market shares."""
    table = "store_summary" if name == "market_share" else "summary"
    text = metric(name, table).label
    if store:
        text += f": {(labels or {}).get(store, store)}"
    return text


def largest_change(values: pd.DataFrame, last: int) -> dict[str, float]:
    """The largest mean change from year ``last``: a seeds × years table of one metric.

    Each year's difference from year ``last`` on the same seed (a seed without that
    year's value is left out), its mean over the seeds with the 95% interval; the
    year whose mean difference is largest in size. Returns ``year, value, ci_low,
    ci_high, sd, reps`` (the year is NaN with fewer than two years).
    """
    best = {"year": math.nan, "value": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    best |= {"sd": math.nan, "reps": 0.0}
    if last not in values.columns:
        return best
    for year in values.columns:
        if year == last:
            continue
        mean, lo, hi, sd, n = mean_ci((values[year] - values[last]).to_numpy(dtype=float))
        if np.isfinite(mean) and not abs(mean) <= abs(best["value"]):  # (NaN: the first year measured)
            best = {"year": float(year), "value": mean, "ci_low": lo, "ci_high": hi, "sd": sd, "reps": n}
    return best


def drift_table(
    yearly: pd.DataFrame,
    years: int,
    tolerances: Mapping[str, float] = TOLERANCES,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per drift check (metric, and store for market shares) from :func:`replication_years`.

    Columns: ``metric, store, label, percent, year_1 .. year_<years>`` (mean over
    seeds), ``year`` (the year that differs most from the last), ``value`` (its mean
    difference from the last year), ``ci_low, ci_high, sd, reps, tolerance, passed``.
    A check passes when ``|value| <= tolerance``; a check whose change cannot be
    measured (fewer than two years, no values) fails.
    """
    rows = []
    for name in CHECKS:
        sub = yearly[yearly["metric"] == name]
        for store in _stores(sub, labels):
            wide = sub[sub["store"] == store].pivot_table(
                index="seed", columns="year", values="value", aggfunc="first", dropna=False
            )
            change = largest_change(wide, years)
            tol = float(tolerances[name])
            row: dict[str, Any] = {
                "metric": name,
                "store": store,
                "label": check_label(name, store, labels),
                "percent": name in PERCENT,
            }
            for y in range(1, years + 1):
                col = wide[y].to_numpy(dtype=float) if y in wide.columns else np.array([])
                row[f"year_{y}"] = float(np.nanmean(col)) if np.isfinite(col).any() else math.nan
            row |= change
            row["reps"] = int(change["reps"])
            row["tolerance"] = tol
            row["passed"] = bool(np.isfinite(change["value"]) and abs(change["value"]) <= tol)
            rows.append(row)
    return pd.DataFrame(rows)


def _stores(sub: pd.DataFrame, labels: Mapping[str, str] | None) -> list[str]:
    """The stores of a metric's rows: in the order of ``labels`` (the scenario's), then as they come."""
    present = dict.fromkeys(str(s) for s in sub["store"])
    return [s for s in (labels or {}) if s in present] + [s for s in present if s not in (labels or {})]


def drift_passed(table: pd.DataFrame) -> bool:
    """Whether every drift check passed (True when there was no drift check)."""
    return bool(table.empty or table["passed"].all())


# =========================================================================== formatting


PLACES = {"nps": 1}
"""Decimals of a metric that is not a share (default 2)."""


def format_level(value: float, name: str) -> str:
    """A yearly value of metric ``name``: a share in %, NPS with one decimal, ratios with two."""
    if not np.isfinite(value):
        return "n/a"
    return f"{value:.1%}" if name in PERCENT else f"{value:.{PLACES.get(name, 2)}f}"


def format_change(row: pd.Series | Mapping[str, Any]) -> str:
    """``+1.2 pp [+0.8 pp, +1.6 pp] (year 1)``: the largest change from the last year."""
    places = PLACES.get(str(row["metric"]), 2)
    unit, scale, places = (" pp", 100.0, 1) if row["percent"] else ("", 1.0, places)

    def fmt(v: float) -> str:
        return f"{scale * v:+.{places}f}{unit}"

    if not np.isfinite(row["value"]):
        return "n/a"
    text = fmt(row["value"])
    if np.isfinite(row["ci_low"]):
        text += f" [{fmt(row['ci_low'])}, {fmt(row['ci_high'])}]"
    return text + f" (year {int(row['year'])})"


def format_tolerance(row: pd.Series | Mapping[str, Any]) -> str:
    """``± 1.0 pp``, ``± 5.0`` (NPS) or ``± 0.50``."""
    tol = float(row["tolerance"])
    return f"± {100 * tol:.1f} pp" if row["percent"] else f"± {tol:.{PLACES.get(str(row['metric']), 2)}f}"


def year_columns(table: pd.DataFrame) -> list[str]:
    """The ``year_k`` columns of a drift table, in order."""
    return sorted((c for c in table.columns if c.startswith("year_")), key=lambda c: int(c[5:]))


def drift_markdown(table: pd.DataFrame, about: str = "") -> str:
    """The drift table as Markdown (appended to patterns.md); empty without a drift check."""
    if table.empty:
        return ""
    years = year_columns(table)
    last = len(years)
    head = ["check", *(c.replace("_", " ") for c in years), f"largest change vs year {last} [95% CI]"]
    head += ["tolerance", "result"]
    lines = ["## Drift check (steady state)", ""]
    if about:
        lines += [about, ""]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in table.iterrows():
        cells = [str(r["label"]), *(format_level(r[c], str(r["metric"])) for c in years)]
        cells += [format_change(r), format_tolerance(r), "pass" if r["passed"] else "**FAIL**"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# =========================================================================== the check


@dataclass(frozen=True)
class Drift:
    """What the drift check runs: ``years`` years of ``scenario`` at ``reps`` seeds."""

    years: int = DRIFT_YEARS
    reps: int = DRIFT_REPS
    scenario: str = DRIFT_SCENARIO
    tolerances: Mapping[str, float] = field(default_factory=lambda: dict(TOLERANCES))

    @property
    def days(self) -> int:
        """The horizon of the runs (after the warm-up)."""
        return self.years * YEAR_DAYS

    @property
    def key(self) -> str:
        """The runs' key among validate's jobs."""
        return f"drift:{self.scenario}@{self.days}"

    def resolve(self, overrides: Sequence[str] = ()) -> Scenario:
        """The scenario with ``overrides`` over ``years`` years, collected every day."""
        spec = load_scenario(self.scenario, list(overrides), days=self.days)
        return spec.model_copy(update={"collect_every": 1})

    def seeds(self, spec: Scenario) -> list[int]:
        """The scenario's seed, seed + 1, ..."""
        return [spec.seed + i for i in range(self.reps)]

    def tables(self, spec: Scenario, runs: Mapping[int, Observation]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The drift table (:func:`drift_table`) and the yearly values of every seed, from the runs."""
        data = {}
        for seed, obs in runs.items():
            assert obs.store_daily is not None
            data[seed] = (obs.timeseries, obs.store_daily)
        yearly = replication_years(data, self.years)
        labels = {name: s.label or name for name, s in spec.stores.items()}
        return drift_table(yearly, self.years, self.tolerances, labels), yearly

    def about(self, spec: Scenario) -> str:
        """One line saying what was run."""
        return (
            f"{spec.name}, {spec.town.shoppers:,} shoppers, years 1-{self.years} after a "
            f"{spec.warmup_days}-day warm-up, {self.reps} seeds ({spec.seed}-{spec.seed + self.reps - 1}); "
            f"each year's mean difference from year {self.years} over the seeds, the largest shown; "
            "a check passes when it is within the tolerance."
        )

    def info(self, spec: Scenario, table: pd.DataFrame) -> dict[str, Any]:
        """The drift check's provenance and result for validation.json."""
        records = [
            {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
            for row in table.to_dict(orient="records")
        ]
        return {
            "scenario": spec.name,
            "years": self.years,
            "days": self.days,
            "warmup_days": spec.warmup_days,
            "shoppers": spec.town.shoppers,
            "seeds": self.seeds(spec),
            "about": self.about(spec),
            "tolerances": dict(self.tolerances),
            "passed": drift_passed(table),
            "checks": records,
        }


def write_drift(folder: Path, table: pd.DataFrame, yearly: pd.DataFrame, about: str = "") -> str:
    """Write ``drift.csv``, ``drift.parquet`` and ``drift_years.parquet``; return the Markdown section."""
    if table.empty:
        return ""
    table.to_csv(folder / "drift.csv", index=False)
    table.to_parquet(folder / "drift.parquet", index=False)
    yearly.to_parquet(folder / "drift_years.parquet", index=False)
    return drift_markdown(table, about)
