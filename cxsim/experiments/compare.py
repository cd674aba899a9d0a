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

import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd

from cxsim.core.errors import InputError
from cxsim.core.stats import mean_ci
from cxsim.model.scenario import Scenario

DEFAULT_SEED = 20_251_111
"""Root seed of the replications when ``--seed`` is not given."""

OUTCOMES = ("satisfied", "disappointed", "returned", "avoids store")
"""Outcome of a purchase in the journey flow: kept and would not discourage others
(recommend 7-10), kept but a detractor (0-6), returned, or the shopper now avoids the store."""


@dataclass(frozen=True)
class Metric:
    """A headline metric of the comparison table."""

    key: str
    label: str
    unit: str
    """``share`` (0..1, shown in %, differences in percentage points), ``score``,
    ``ratio``, ``count`` or ``money``."""


HEADLINE: tuple[Metric, ...] = (
    Metric("online_share", "online share of purchases", "share"),
    Metric("share_delivery", "home delivery", "share"),
    Metric("share_pickup", "pick-up in store", "share"),
    Metric("showrooming_rate", "showrooming (of purchases)", "share"),
    Metric("webrooming_rate", "webrooming (of purchases)", "share"),
    Metric("share_shoppers_showroomed", "shoppers who showroomed", "share"),
    Metric("share_shoppers_webroomed", "shoppers who webroomed", "share"),
    Metric("return_rate", "return rate", "share"),
    Metric("mean_satisfaction", "mean satisfaction", "ratio"),
    Metric("nps", "NPS (all stores)", "score"),
    Metric("churn_events", "shoppers turned away (churn)", "count"),
    Metric("purchases", "purchases", "count"),
    Metric("revenue", "revenue (all stores)", "money"),
    Metric("stores_closed", "stores closed", "count"),
)
STORE_METRICS: tuple[Metric, ...] = (
    Metric("market_share", "market share", "share"),
    Metric("nps", "NPS", "score"),
    Metric("cash", "cash at the end", "money"),
)


# ----------------------------------------------------------------------------- statistics


def derive_seeds(root: int, reps: int) -> list[int]:
    """One seed per replication, derived from ``root`` (numpy SeedSequence, 31-bit ints)."""
    state = np.random.SeedSequence(root).generate_state(reps, dtype=np.uint32)
    return [int(s) >> 1 for s in state]


# ----------------------------------------------------------------------------- one run


def _journey_codes(p: Any) -> np.ndarray:
    """Code each purchase as research x fulfilment x outcome (3 x 3 x 4 cells)."""
    from cxsim.rules.word_of_mouth import promoters_detractors

    _, detractor = promoters_detractors(p.ltr)
    outcome = np.where(p.churned, 3, np.where(p.returned, 2, np.where(detractor, 1, 0)))
    return (p.research.astype(np.int64) * 3 + p.fulfilment.astype(np.int64)) * 4 + outcome


def journey_table(counts: np.ndarray) -> pd.DataFrame:
    """The 36 journey cells as a tidy table (research, fulfilment, outcome, purchases)."""
    from cxsim.rules.choice import FULFILMENTS
    from cxsim.rules.research import CHANNELS

    idx = np.arange(counts.size)
    return pd.DataFrame(
        {
            "research": np.array(CHANNELS, dtype=object)[idx // 12],
            "fulfilment": np.array(FULFILMENTS, dtype=object)[(idx // 4) % 3],
            "outcome": np.array(OUTCOMES, dtype=object)[idx % 4],
            "purchases": counts.astype(np.int64),
        }
    )


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


def run_replication(spec: Scenario, label: str, rep: int, seed: int) -> dict[str, Any]:
    """Run one replication of one scenario; returns its tables tagged with ``scenario`` and ``rep``.

    The journey flow (research channel, fulfilment, outcome) is counted from the
    model's daily purchases over the summary window, without keeping them.
    """
    from cxsim.model.cxmodel import CXModel

    spec = spec.model_copy(update={"seed": int(seed)})
    model = CXModel(spec)
    first = spec.days - spec.summary_window_days
    counts = np.zeros(36, dtype=np.int64)
    while model.running:
        model.step()
        if model.day > first and len(model.today):
            counts += np.bincount(_journey_codes(model.today), minlength=36)
    tag = {"scenario": label, "rep": rep}
    summary = {**tag, **model.summary(), "seed": int(seed)}
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
            [{"day": d, "message": m} for d, m in model.log], columns=["day", "message"]
        ).assign(**tag),
    }


def _run_job(job: tuple[Scenario, str, int, int]) -> dict[str, Any]:
    return run_replication(*job)


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

    def save(
        self,
        out: str | Path,
        *,
        figures: bool = True,
        report: bool = True,
        progress: Callable[[], None] | None = None,
    ) -> Path:
        """Write the tables, ``comparison.csv``/``.parquet``, figures and ``report.html``, atomically.

        ``progress`` is called after each figure.
        """
        from cxsim.experiments.results import atomic_dir

        out = Path(out)
        with atomic_dir(out) as tmp:
            self.table.to_csv(tmp / "comparison.csv", index=False)
            self.table.to_parquet(tmp / "comparison.parquet", index=False)
            for name in self.TABLES:
                getattr(self, name).to_parquet(tmp / f"{name}.parquet", index=False)
            (tmp / "compare.json").write_text(json.dumps(self.meta, indent=2, default=str) + "\n")
            if figures:
                from cxsim.analysis.figures import comparison_figures

                comparison_figures(self, tmp / "figures", progress)
            if report:
                from cxsim.analysis.report import write_report

                write_report(tmp, tmp / "report.html", data=self)
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

    def add(metric: Metric, name: str, label: str, values: pd.DataFrame, store: str | None) -> None:
        wide = values.pivot_table(index="rep", columns="scenario", values="value", aggfunc="first")
        for scen in scenarios:
            if scen not in wide:
                continue
            mean, lo, hi, sd, n = mean_ci(wide[scen].to_numpy(), level)
            row: dict[str, Any] = {
                "metric": name,
                "label": label,
                "store": store,
                "unit": metric.unit,
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
        if m.key not in replications:
            continue
        values = replications[["scenario", "rep", m.key]].rename(columns={m.key: "value"})
        add(m, m.key, m.label, values, None)
    order = list(dict.fromkeys(stores["store"]))
    labels = stores.drop_duplicates("store").set_index("store")["label"]
    for m in STORE_METRICS:
        for store in order:
            sub = stores[stores["store"] == store]
            values = sub[["scenario", "rep", m.key]].rename(columns={m.key: "value"})
            add(m, f"{m.key}:{store}", f"{m.label} · {labels[store]}", values, store)
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
) -> Comparison:
    """Run ``reps`` replications of each scenario and compare them with the first.

    Args:
        names: scenario names (under ``scenarios/``) or paths; the first is the reference.
        reps: replications per scenario (replication ``r`` uses the same seed in every scenario).
        days: horizon for all scenarios (defaults to each scenario's own).
        seed: root seed from which the replications' seeds are derived.
        workers: parallel processes (1 runs in this process).
        overrides: ``PATH=VALUE`` strings applied to every scenario.
        progress: called with the number of finished runs after each run.
    """
    from cxsim.experiments.results import provenance
    from cxsim.model.scenario import load_scenario

    if len(names) < 1:
        raise InputError("compare", "SCENARIOS", "at least one scenario name", "none")
    if reps < 1:
        raise InputError("compare", "--reps", "at least 1 replication", reps)
    labels = resolve_labels(names)
    specs = [load_scenario(n, list(overrides), days=days) for n in names]
    seeds = derive_seeds(seed, reps)
    jobs = [
        (spec, label, r, s) for r, s in enumerate(seeds) for spec, label in zip(specs, labels, strict=True)
    ]
    started = datetime.now(UTC)
    results = _execute(jobs, workers, progress)
    finished = datetime.now(UTC)

    def frame(key: str) -> pd.DataFrame:
        parts = [r[key] for r in results if len(r[key])]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    replications = pd.DataFrame([r["summary"] for r in results])
    front = ["scenario", "rep", "seed"]
    replications = replications[front + [c for c in replications.columns if c not in front]]
    stores_sum = frame("store_summary")
    table = comparison_table(replications, stores_sum, labels)
    prov = provenance(specs[0], started, finished)
    for key in ("scenario", "seed", "days", "shoppers"):
        prov.pop(key, None)
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


def _execute(
    jobs: list[tuple[Scenario, str, int, int]], workers: int, progress: Callable[[int], None] | None
) -> list[dict[str, Any]]:
    """Run the jobs, in this process or in a pool; results come back in job order."""
    results: list[dict[str, Any]] = []
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            results.append(_run_job(job))
            if progress is not None:
                progress(len(results))
        return results
    context = _pool_context()
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        futures = [pool.submit(_run_job, job) for job in jobs]
        for done, _ in enumerate(as_completed(futures), start=1):
            if progress is not None:
                progress(done)
        results = [f.result() for f in futures]
    return results


def _pool_context() -> Any:
    """How to start worker processes: fork (fast) from a single-threaded process, else forkserver.

    Forking a process that runs other threads can deadlock the child, so a
    threaded caller (a test runner, a notebook) gets workers from a forkserver
    that has imported the model once; platforms without either use their default.
    """
    import multiprocessing
    import threading

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["cxsim.model.cxmodel", "cxsim.experiments.compare"])
        return context
    return multiprocessing.get_context()


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


def format_value(value: float, unit: str) -> str:
    """A metric value for people: shares in %, money in thousands, counts with separators."""
    if value != value:  # NaN
        return "–"
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "score":
        return f"{value:+.1f}"
    if unit == "ratio":
        return f"{value:.3f}"
    if unit == "money":
        return f"{value / 1000:,.0f}k"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def format_half(half: float, unit: str) -> str:
    """The half-width of an interval, in the unit's display form (without sign)."""
    if half != half:
        return ""
    if unit == "share":
        return f"±{100 * half:.1f}"
    if unit == "score":
        return f"±{half:.1f}"
    if unit == "ratio":
        return f"±{half:.3f}"
    if unit == "money":
        return f"±{half / 1000:,.0f}k"
    return f"±{half:,.0f}" if abs(half) >= 100 else f"±{half:,.1f}"


def format_diff(diff: float, lo: float, hi: float, unit: str) -> str:
    """A difference with its interval: ``+6.7 pp [+6.3, +7.1]``."""
    if diff != diff:
        return ""
    scale, fmt, suffix = {
        "share": (100.0, "{:+.1f}", " pp"),
        "score": (1.0, "{:+.1f}", ""),
        "ratio": (1.0, "{:+.3f}", ""),
        "money": (1e-3, "{:+,.0f}", "k"),
    }.get(unit, (1.0, "{:+,.0f}" if abs(diff) >= 100 else "{:+,.1f}", ""))
    text = fmt.format(diff * scale) + suffix
    if lo == lo:
        text += f" [{fmt.format(lo * scale)}, {fmt.format(hi * scale)}]"
    return text


def significant(row: pd.Series | dict[str, Any]) -> bool:
    """Whether the difference's interval excludes zero."""
    lo, hi = row["diff_ci_low"], row["diff_ci_high"]
    return bool(lo == lo and hi == hi and (lo > 0 or hi < 0))


def rich_table(table: pd.DataFrame, scenarios: list[str], title: str) -> Any:
    """The comparison as a rich table: one column per scenario, mean ± CI and Δ vs the first."""
    from rich.table import Table

    t = Table(title=title, title_justify="left", show_lines=False)
    t.add_column("metric")
    for i, s in enumerate(scenarios):
        t.add_column(s if i == 0 else f"{s}\n(Δ vs {scenarios[0]}, 95% CI)", justify="right")
    section = None
    for _metric, rows in table.groupby("metric", sort=False):
        rows = rows.set_index("scenario")
        store = rows["store"].iloc[0]
        now = "stores" if isinstance(store, str) and store else "town"
        if section is not None and now != section:
            t.add_section()
        section = now
        cells = [str(rows["label"].iloc[0])]
        for i, s in enumerate(scenarios):
            if s not in rows.index:
                cells.append("–")
                continue
            r = rows.loc[s]
            value = f"{format_value(r['mean'], r['unit'])} {format_half(r['ci_high'] - r['mean'], r['unit'])}"
            if i > 0:
                diff = format_diff(r["diff"], r["diff_ci_low"], r["diff_ci_high"], r["unit"])
                if diff:
                    style = "bold" if significant(r) else "dim"
                    value += f"\n[{style}]Δ {diff}[/]"
            cells.append(value)
        t.add_row(*cells)
    return t


class figure_progress:  # noqa: N801 - a context manager used like a function
    """A progress bar over the figures (drawing them takes a few seconds); quiet like the others."""

    def __init__(self, quiet: bool, enabled: bool = True) -> None:
        from cxsim.analysis.figures import FIGURES
        from cxsim.cli.main import progress_enabled

        self.bar = None
        if enabled and progress_enabled(quiet):
            from tqdm import tqdm

            self.bar = tqdm(total=len(FIGURES), desc="figures", unit="fig", leave=False, file=sys.stderr)

    def __enter__(self) -> Callable[[], None] | None:
        if self.bar is None:
            return None
        bar = self.bar
        return lambda: bar.update(1)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def default_out(labels: Sequence[str]) -> Path:
    """``compare-<a>-<b>...`` in the current folder."""
    name = "compare-" + "-".join(labels)
    return Path(name[:120])


# ----------------------------------------------------------------------------- the command


def register(app: Any) -> None:
    """Add ``cxsim compare`` to the command line."""
    import typer

    from cxsim.cli.main import Quiet, SetOpt, console, fail_cleanly, progress_enabled

    @app.command()
    @fail_cleanly
    def compare(
        scenarios: Annotated[
            list[str], typer.Argument(help="Scenarios (names or paths); the first is the reference.")
        ],
        reps: Annotated[int, typer.Option(help="Replications per scenario.", min=2)] = 10,
        days: Annotated[
            int | None, typer.Option(help="Days to simulate (default: each scenario's).", min=1)
        ] = None,
        workers: Annotated[
            int | None, typer.Option(help="Parallel processes (default: min(2, cores)).", min=1)
        ] = None,
        seed: Annotated[
            int, typer.Option(help="Root seed of the replications' seeds.", min=0)
        ] = DEFAULT_SEED,
        set_: SetOpt = None,
        out: Annotated[
            Path | None, typer.Option(help="Output folder (default: compare-<scenarios>).")
        ] = None,
        figures: Annotated[bool, typer.Option(help="Write figures and report.html.")] = True,
        quiet: Quiet = False,
    ) -> None:
        """Run replications of scenarios with common random numbers and compare them with the first.

        Prints the headline metrics with 95% confidence intervals and the paired
        difference against the first scenario; writes comparison.csv/.parquet,
        the per-replication tables, figures/ and report.html.
        """
        from cxsim.experiments.results import check_writable
        from cxsim.model.scenario import load_scenario

        labels = resolve_labels(scenarios)
        for name in scenarios:  # fail on bad input before any work
            load_scenario(name, set_ or [], days=days)
        target = out if out is not None else default_out(labels)
        check_writable(target)
        n_workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        total = reps * len(scenarios)
        bar = None
        tick = None
        if progress_enabled(quiet):
            from tqdm import tqdm

            class Bar(tqdm):  # type: ignore[type-arg]
                monitor_interval = 0  # no monitor thread: the worker processes are forked

            bar = Bar(total=total, desc="compare", unit="run", leave=False, file=sys.stderr)

            def tick(done: int) -> None:
                assert bar is not None
                bar.update(done - bar.n)

        try:
            result = run_comparison(
                scenarios,
                reps=reps,
                days=days,
                seed=seed,
                workers=n_workers,
                overrides=set_ or [],
                progress=tick,
            )
        finally:
            if bar is not None:
                bar.close()
        days_text = ", ".join(sorted({f"{d} days" for d in result.meta["days"].values()}))
        shoppers = ", ".join(sorted({f"{n:,}" for n in result.meta["shoppers"].values()}))
        title = (
            f"{' vs '.join(labels)} — {reps} replications, {days_text}, {shoppers} shoppers, "
            f"root seed {seed} (common random numbers); mean ±95% CI"
        )
        table = rich_table(result.table, labels, title)
        out_console = console
        if not console.is_terminal:  # in a file or a pipe, don't wrap a wide comparison at 80 columns
            from rich.console import Console

            out_console = Console(width=max(console.width, 34 + 27 * len(labels)))
        out_console.print(table)
        if not quiet:
            console.print(
                "[dim]Δ: paired difference against the first scenario; bold where its 95% CI excludes 0. "
                "Rates over each run's summary window; cash at the last day.[/]"
            )
        with figure_progress(quiet, figures) as fig_tick:
            result.save(target, figures=figures, report=figures, progress=fig_tick)
        console.print(f"comparison written to [bold]{target}[/]" + (" (report.html)" if figures else ""))
