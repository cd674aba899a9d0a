"""Analysis of sweeps: statistics per parameter point, sensitivity indices, figures.

Everything is a pandas DataFrame first, so notebooks and scripts can query
results directly::

    from cxsim.analysis.sweeps import load_sweep, point_stats, sensitivity
    sw = load_sweep("results/price_service_grid")
    sw.summary                      # one row per successful run, with parameter columns
    point_stats(sw, ["online_share"])   # mean, sd and 95% CI across replications
    sensitivity(sw)                 # Sobol or Morris indices (SALib), with CIs

``cxsim analyze DIR`` writes the same tables as CSV plus figures.

Statistics across replications: the mean, the sample standard deviation and a
Student-t confidence interval ``mean ± t(1-α/2, n-1) · sd/√n`` for each
parameter point. Sobol and Morris indices are computed on the replication
mean of each point (the model's expected response), with SALib's bootstrap
confidence intervals; the share of the variance of point means that is left-over
replication noise is reported as ``noise_share`` (keep it small by adding
replications). See docs/SWEEPS.md.
"""

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer

from cxsim.core.errors import InputError, did_you_mean

KEY_COLUMNS = ("run_id", "point", "replication")


# --------------------------------------------------------------------------- loading


@dataclass
class Sweep:
    """The results of a sweep folder, as DataFrames (only committed batches)."""

    path: Path
    info: dict[str, Any]
    provenance: dict[str, Any]
    design: pd.DataFrame
    runs: pd.DataFrame
    _tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def parameters(self) -> list[str]:
        """Parameter column names, in the experiment's order."""
        return [p["column"] for p in self.info["parameters"]]

    @property
    def method(self) -> str:
        """The sampler: grid, random, lhs, sobol or morris."""
        return str(self.info["method"])

    @property
    def name(self) -> str:
        """The experiment's name."""
        return str(self.info["name"])

    def table(self, name: str) -> pd.DataFrame:
        """A result table (``summary``, ``timeseries``, ``stores``, ``purchases``) or ``runs``."""
        if name == "runs":
            return self.runs
        if name not in self._tables:
            from cxsim.experiments.sweep import SweepDir

            if name not in self.info["tables"]:
                raise InputError(
                    str(self.path),
                    name,
                    f"a table the experiment kept ({', '.join(self.info['tables'])})",
                    name,
                    "add it to output.tables of the experiment",
                )
            self._tables[name] = SweepDir(self.path).read(name)
        return self._tables[name]

    @property
    def summary(self) -> pd.DataFrame:
        """One row per successful run."""
        return self.table("summary")

    @property
    def timeseries(self) -> pd.DataFrame:
        """One row per successful run and collected day (if kept)."""
        return self.table("timeseries")

    @property
    def stores(self) -> pd.DataFrame:
        """One row per successful run, store and collected day (if kept)."""
        return self.table("stores")

    @property
    def missing(self) -> pd.DataFrame:
        """Planned runs that have not finished."""
        done = set(self.runs["run_id"]) if not self.runs.empty else set()
        return self.design[~self.design["run_id"].isin(done)]

    @property
    def errors(self) -> pd.DataFrame:
        """Runs that raised, with their tracebacks."""
        if self.runs.empty:
            return self.runs
        return self.runs[self.runs["status"] == "error"]

    @property
    def complete(self) -> bool:
        """Whether every planned run finished."""
        return self.missing.empty


def load_sweep(path: str | Path) -> Sweep:
    """Open the output folder of ``cxsim sweep`` (complete or not)."""
    from cxsim.experiments.sweep import SweepDir

    folder = Path(path)
    sd = SweepDir(folder)
    if not sd.is_sweep():
        raise InputError(str(folder), "", "a folder written by `cxsim sweep`", "no experiment.json")
    prov_file = folder / "provenance.json"
    return Sweep(
        path=folder,
        info=sd.info(),
        provenance=json.loads(prov_file.read_text()) if prov_file.is_file() else {},
        design=pd.read_parquet(folder / "design.parquet"),
        runs=sd.finished(),
    )


def _frame(
    source: Sweep | pd.DataFrame, table: str = "summary", params: list[str] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    if isinstance(source, Sweep):
        return source.table(table), source.parameters if params is None else params
    return source, list(params or [])


def _check_metrics(df: pd.DataFrame, metrics: list[str], source: str) -> None:
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and c not in KEY_COLUMNS]
    for m in metrics:
        if m not in df.columns or m not in numeric:
            raise InputError(source, "--metric", "a numeric column of the table", m, did_you_mean(m, numeric))


def default_metrics(sweep: Sweep) -> list[str]:
    """The metrics named in the experiment's ``[analysis]`` table."""
    return list(sweep.info.get("analysis", {}).get("metrics", []))


# --------------------------------------------------------------------------- statistics


def confidence_interval(
    mean: np.ndarray | pd.Series, sd: np.ndarray | pd.Series, n: np.ndarray | pd.Series, conf: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Student-t interval ``mean ± t(1-α/2, n-1) sd/√n`` (NaN where n < 2)."""
    from scipy import stats

    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(n > 1, stats.t.ppf(0.5 + conf / 2, np.maximum(n - 1, 1)), np.nan)
        half = t * np.asarray(sd, dtype=float) / np.sqrt(n)
    mean = np.asarray(mean, dtype=float)
    return mean - half, mean + half


def point_stats(
    source: Sweep | pd.DataFrame,
    metrics: list[str] | None = None,
    *,
    table: str = "summary",
    conf: float = 0.95,
    params: list[str] | None = None,
) -> pd.DataFrame:
    """Per parameter point (and per day/store for those tables): statistics across replications.

    ``source`` is a :class:`Sweep` or any DataFrame with a ``point`` column
    (then name its parameter columns in ``params``). Returns a long table:
    ``point``, the parameter columns (and ``day``, ``store`` when the table
    has them), ``metric``, ``n``, ``mean``, ``sd``, ``sem``, ``ci_low``, ``ci_high``.
    """
    df, params = _frame(source, table, params)
    if metrics is None:
        metrics = default_metrics(source) if isinstance(source, Sweep) else []
    if df.empty:
        return pd.DataFrame(
            columns=["point", *params, "metric", "n", "mean", "sd", "sem", "ci_low", "ci_high"]
        )
    _check_metrics(df, metrics, str(getattr(source, "path", "table")))
    keys = ["point", *params, *[c for c in ("day", "store") if c in df.columns]]
    long = df[[*keys, *metrics]].melt(id_vars=keys, var_name="metric", value_name="value")
    g = long.groupby([*keys, "metric"], sort=False, dropna=False)["value"]
    out = g.agg(n="count", mean="mean", sd="std").reset_index()
    out["sem"] = out["sd"] / np.sqrt(out["n"])
    out["ci_low"], out["ci_high"] = confidence_interval(out["mean"], out["sd"], out["n"], conf)
    order = {m: i for i, m in enumerate(metrics)}
    out["_m"] = out["metric"].map(order)
    return out.sort_values(["_m", *keys], kind="stable").drop(columns="_m").reset_index(drop=True)


def point_means(sweep: Sweep, metrics: list[str]) -> pd.DataFrame:
    """Replication means of each point (one row per planned point; NaN where none finished)."""
    df = sweep.summary
    points = sweep.design.drop_duplicates("point")[["point", *sweep.parameters]]
    if df.empty:
        return points.assign(**{m: np.nan for m in metrics}).reset_index(drop=True)
    means = df.groupby("point")[metrics].mean()
    return points.merge(means, left_on="point", right_index=True, how="left").reset_index(drop=True)


def noise_share(sweep: Sweep, metric: str) -> float:
    """Share of the variance of point means that is replication noise (NaN with 1 replication).

    ``mean_p(var_r Y) / R`` over ``var_p(mean_r Y)``: near 0, point means
    reflect the parameters; near 1, they mostly reflect chance.
    """
    df = sweep.summary
    g = df.groupby("point")[metric]
    reps = g.count()
    if reps.max() < 2:
        return float("nan")
    within = float((g.var() / reps).mean())
    between = float(g.mean().var())
    return within / between if between > 0 else float("nan")


# --------------------------------------------------------------------------- sensitivity


def _require_all_points(sweep: Sweep, means: pd.DataFrame, metrics: list[str]) -> None:
    lacking = means[metrics].isna().any(axis=1)
    if lacking.any():
        raise InputError(
            str(sweep.path),
            "",
            f"a result for every point of the {sweep.method} design",
            f"{int(lacking.sum()):,} of {len(means):,} points without a successful run",
            "resume the sweep (errors: cxsim sweep --retry-errors)",
        )


def _bootstrap_seed(sweep: Sweep, seed: int | None) -> int:
    """The seed of SALib's bootstrap: given, or the experiment's root seed + 1.

    Never 0: SALib's Sobol analysis treats a seed of 0 as no seed at all.
    """
    if seed is None:
        seed = int(sweep.info.get("seed", 0)) + 1
    return seed if seed != 0 else 1


def _salib_problem(sweep: Sweep) -> dict[str, Any]:
    prob = sweep.info["problem"]
    return {"num_vars": prob["num_vars"], "names": list(prob["names"]), "bounds": prob["bounds"]}


def sobol_indices(
    sweep: Sweep,
    metrics: list[str] | None = None,
    *,
    conf: float = 0.95,
    resamples: int = 1000,
    seed: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Sobol' first-order and total indices (SALib.analyze.sobol) of each metric.

    Computed on the replication mean of each point, in design order; confidence
    intervals by bootstrap (``conf`` level, ``resamples`` resamples, seeded by
    ``seed`` or the experiment's root seed, so they are reproducible).

    Returns:
        ``(indices, second_order)``: indices has ``metric``, ``parameter``,
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (conf = half-width of the
        interval) and ``noise_share``; second_order (or None) has ``metric``,
        ``parameter``, ``other``, ``S2``, ``S2_conf``.
    """
    from SALib.analyze import sobol

    if sweep.method != "sobol":
        raise InputError(str(sweep.path), "sampler", "a sobol design for Sobol indices", sweep.method)
    metrics = metrics or default_metrics(sweep)
    means = point_means(sweep, metrics)
    _require_all_points(sweep, means, metrics)
    problem = _salib_problem(sweep)
    second = bool(sweep.info["sampler"].get("second_order", False))
    rows, pairs = [], []
    for m in metrics:
        y = means[m].to_numpy(dtype=float)
        if np.nanvar(y) == 0:
            continue
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = sobol.analyze(
                problem,
                y,
                calc_second_order=second,
                num_resamples=resamples,
                conf_level=conf,
                seed=_bootstrap_seed(sweep, seed),
            )
        noise = noise_share(sweep, m)
        for i, name in enumerate(problem["names"]):
            rows.append(
                {
                    "metric": m,
                    "parameter": name,
                    "S1": res["S1"][i],
                    "S1_conf": res["S1_conf"][i],
                    "ST": res["ST"][i],
                    "ST_conf": res["ST_conf"][i],
                    "noise_share": noise,
                }
            )
        if second:
            names = problem["names"]
            for i in range(len(names)):
                for j in range(i + 1, len(names)):
                    pairs.append(
                        {
                            "metric": m,
                            "parameter": names[i],
                            "other": names[j],
                            "S2": res["S2"][i, j],
                            "S2_conf": res["S2_conf"][i, j],
                        }
                    )
    return pd.DataFrame(rows), (pd.DataFrame(pairs) if second else None)


def morris_indices(
    sweep: Sweep,
    metrics: list[str] | None = None,
    *,
    conf: float = 0.95,
    resamples: int = 1000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Morris elementary-effect statistics (SALib.analyze.morris) of each metric.

    Returns ``metric``, ``parameter``, ``mu``, ``mu_star``, ``mu_star_conf``
    (bootstrap half-width), ``sigma`` and ``noise_share``; computed on the
    replication mean of each point.
    """
    from SALib.analyze import morris

    if sweep.method != "morris":
        raise InputError(str(sweep.path), "sampler", "a morris design for Morris indices", sweep.method)
    metrics = metrics or default_metrics(sweep)
    means = point_means(sweep, metrics)
    _require_all_points(sweep, means, metrics)
    problem = _salib_problem(sweep)
    x = np.asarray(sweep.info["sample"], dtype=float)
    levels = int(sweep.info["sampler"].get("levels", 4))
    rows = []
    for m in metrics:
        y = means[m].to_numpy(dtype=float)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = morris.analyze(
                problem,
                x,
                y,
                num_resamples=resamples,
                conf_level=conf,
                num_levels=levels,
                seed=_bootstrap_seed(sweep, seed),
            )
        noise = noise_share(sweep, m)
        for i, name in enumerate(problem["names"]):
            rows.append(
                {
                    "metric": m,
                    "parameter": name,
                    "mu": float(res["mu"][i]),
                    "mu_star": float(res["mu_star"][i]),
                    "mu_star_conf": float(res["mu_star_conf"][i]),
                    "sigma": float(res["sigma"][i]),
                    "noise_share": noise,
                }
            )
    return pd.DataFrame(rows)


def sensitivity(sweep: Sweep, metrics: list[str] | None = None, **kwargs: Any) -> pd.DataFrame:
    """Sobol indices for a sobol design, Morris statistics for a morris design."""
    if sweep.method == "sobol":
        return sobol_indices(sweep, metrics, **kwargs)[0]
    if sweep.method == "morris":
        return morris_indices(sweep, metrics, **kwargs)
    raise InputError(
        str(sweep.path), "sampler", "a sobol or morris design for sensitivity indices", sweep.method
    )


# --------------------------------------------------------------------------- figures


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _grid(n: int, width: float = 4.2, height: float = 3.2) -> tuple[Any, np.ndarray]:
    plt = _pyplot()
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def _label(name: str) -> str:
    """A readable label: dotted paths stay as they are, other names lose their underscores."""
    dotted = name.replace("__", ".")
    return dotted if "." in dotted else dotted.replace("_", " ")


def plot_lines(stats: pd.DataFrame, x: str, hue: str | None = None, title: str = "") -> Any:
    """Mean of each metric against parameter ``x`` with its confidence band (one line per ``hue``)."""
    metrics = list(dict.fromkeys(stats["metric"]))
    fig, axes = _grid(len(metrics))
    cmap = _pyplot().get_cmap("viridis")
    for ax, m in zip(axes, metrics, strict=False):
        d = stats[stats["metric"] == m]
        groups = [(None, d)] if hue is None else list(d.groupby(hue, sort=True))
        for k, (key, g) in enumerate(groups):
            g = g.groupby(x, as_index=False)[["mean", "ci_low", "ci_high"]].mean().sort_values(x)
            color = cmap(k / max(len(groups) - 1, 1)) if hue is not None else "tab:blue"
            label = (
                None if hue is None else f"{_label(hue)} = {key:g}" if isinstance(key, float) else str(key)
            )
            ax.plot(g[x], g["mean"], marker="o", ms=3, color=color, label=label)
            ax.fill_between(g[x], g["ci_low"], g["ci_high"], color=color, alpha=0.2, lw=0)
        ax.set_xlabel(_label(x))
        ax.set_title(_label(m))
        ax.grid(alpha=0.3)
    if hue is not None:
        axes[0].legend(fontsize="small", title=None)
    fig.suptitle(title or "mean and 95% CI across replications")
    fig.tight_layout()
    return fig


def plot_heatmaps(stats: pd.DataFrame, x: str, y: str, title: str = "") -> Any:
    """Mean of each metric over a two-parameter grid, one heatmap per metric."""
    metrics = list(dict.fromkeys(stats["metric"]))
    fig, axes = _grid(len(metrics), 4.6, 3.6)
    for ax, m in zip(axes, metrics, strict=False):
        d = stats[stats["metric"] == m].pivot_table(index=y, columns=x, values="mean", aggfunc="mean")
        im = ax.imshow(d.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(d.shape[1]), [f"{v:g}" for v in d.columns], fontsize="small")
        ax.set_yticks(range(d.shape[0]), [f"{v:g}" for v in d.index], fontsize="small")
        ax.set_xlabel(_label(x))
        ax.set_ylabel(_label(y))
        ax.set_title(_label(m))
        if d.size <= 64:
            finite = d.to_numpy()[np.isfinite(d.to_numpy())]
            mid = (finite.min() + finite.max()) / 2 if finite.size else 0
            for (i, j), v in np.ndenumerate(d.to_numpy()):
                ax.text(j, i, _fmt(v), ha="center", va="center", fontsize=7, color="w" if v < mid else "k")
        fig.colorbar(im, ax=ax, shrink=0.85)
    fig.suptitle(title or "mean across replications")
    fig.tight_layout()
    return fig


def _fmt_value(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float | np.floating) else str(v)


def _fmt(v: float) -> str:
    if not np.isfinite(v):
        return ""
    return f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"


def plot_scatter(means: pd.DataFrame, params: list[str], metrics: list[str], title: str = "") -> Any:
    """Replication mean of each metric (rows) against each parameter (columns)."""
    plt = _pyplot()
    params, metrics = params[:8], metrics[:6]
    fig, axes = plt.subplots(
        len(metrics), len(params), figsize=(2.6 * len(params), 2.2 * len(metrics)), squeeze=False
    )
    for i, m in enumerate(metrics):
        for j, p in enumerate(params):
            ax = axes[i, j]
            ax.scatter(means[p], means[m], s=6, alpha=0.6)
            if i == len(metrics) - 1:
                ax.set_xlabel(_label(p), fontsize="small")
            if j == 0:
                ax.set_ylabel(_label(m), fontsize="small")
            ax.tick_params(labelsize="x-small")
    fig.suptitle(title or "replication mean of each point")
    fig.tight_layout()
    return fig


def plot_sobol(indices: pd.DataFrame, title: str = "") -> Any:
    """First-order and total Sobol indices with confidence intervals, one panel per metric."""
    metrics = list(dict.fromkeys(indices["metric"]))
    fig, axes = _grid(len(metrics), 4.6, 3.4)
    for ax, m in zip(axes, metrics, strict=False):
        d = indices[indices["metric"] == m]
        pos = np.arange(len(d))
        ax.bar(pos - 0.2, d["S1"], 0.4, yerr=d["S1_conf"], capsize=2, label="first order S1")
        ax.bar(pos + 0.2, d["ST"], 0.4, yerr=d["ST_conf"], capsize=2, label="total ST")
        ax.set_xticks(pos, [_label(p) for p in d["parameter"]], rotation=35, ha="right", fontsize="small")
        noise = d["noise_share"].iloc[0]
        extra = "" if not np.isfinite(noise) else f" (noise {noise:.0%})"
        ax.set_title(_label(m) + extra)
        ax.axhline(0, color="k", lw=0.5)
        ax.set_ylim(min(-0.05, float((d["S1"] - d["S1_conf"]).min()) - 0.05), 1.05)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize="small")
    fig.suptitle(title or "Sobol indices (95% bootstrap CI)")
    fig.tight_layout()
    return fig


def plot_morris(indices: pd.DataFrame, title: str = "") -> Any:
    """Morris μ* with confidence intervals (bars) and σ (dots), one panel per metric."""
    metrics = list(dict.fromkeys(indices["metric"]))
    fig, axes = _grid(len(metrics), 4.6, 3.4)
    for ax, m in zip(axes, metrics, strict=False):
        d = indices[indices["metric"] == m]
        pos = np.arange(len(d))
        ax.bar(pos, d["mu_star"], 0.6, yerr=d["mu_star_conf"], capsize=2, label="μ*")
        ax.plot(pos, d["sigma"], "o", color="tab:red", label="σ")
        ax.set_xticks(pos, [_label(p) for p in d["parameter"]], rotation=35, ha="right", fontsize="small")
        ax.set_title(_label(m))
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize="small")
    fig.suptitle(title or "Morris elementary effects (95% bootstrap CI)")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- report


@dataclass
class AnalysisResult:
    """What :func:`analyze` produced: tables by name and figure files."""

    tables: dict[str, pd.DataFrame]
    figures: list[str]
    notes: list[str]


def analyze(sweep: Sweep, metrics: list[str] | None = None, out: Path | None = None) -> AnalysisResult:
    """Statistics, sensitivity indices and figures of a sweep; written to ``out`` if given.

    Figures depend on the design: lines with bands for one parameter; lines
    and heatmaps for a two-parameter grid; one panel per parameter for larger
    grids; scatter plots for random and Latin hypercube designs; bar charts of
    the indices for Sobol and Morris designs.
    """
    metrics = metrics or default_metrics(sweep)
    notes: list[str] = []
    if not sweep.complete:
        notes.append(f"{len(sweep.runs):,} of {len(sweep.design):,} runs finished; using those")
    if not sweep.errors.empty:
        notes.append(f"{len(sweep.errors):,} runs raised and are left out (see the runs table)")
    tables: dict[str, pd.DataFrame] = {"point_stats": point_stats(sweep, metrics)}
    figs: dict[str, Any] = {}
    stats = tables["point_stats"]
    params = sweep.parameters
    if sweep.method == "grid" and not stats.empty:
        varying = [p for p in params if stats[p].nunique() > 1] or params[:1]
        if len(varying) == 1:
            figs["lines"] = plot_lines(stats, varying[0], title=sweep.name)
        elif len(varying) == 2:
            x, y = varying
            figs["lines"] = plot_lines(stats, x, hue=y, title=sweep.name)
            figs["heatmap"] = plot_heatmaps(stats, x, y, title=sweep.name)
        else:
            for p in varying:
                figs[f"main_effect_{p}"] = plot_lines(
                    stats, p, title=f"{sweep.name}: mean over other parameters"
                )
    elif not stats.empty:
        means = point_means(sweep, metrics).dropna()
        figs["scatter"] = plot_scatter(means, params, metrics, title=sweep.name)
    if sweep.method in ("sobol", "morris"):
        try:
            if sweep.method == "sobol":
                idx, second = sobol_indices(sweep, metrics)
                tables["sobol"] = idx
                if second is not None:
                    tables["sobol_second_order"] = second
                if not idx.empty:
                    figs["sobol"] = plot_sobol(idx, title=f"{sweep.name}: Sobol indices (95% CI)")
            else:
                idx = morris_indices(sweep, metrics)
                tables["morris"] = idx
                figs["morris"] = plot_morris(idx, title=f"{sweep.name}: Morris screening (95% CI)")
        except InputError as exc:
            notes.append(f"no sensitivity indices: {exc.found}; {exc.hint}")
    files: list[str] = []
    if out is not None:
        from cxsim.experiments.results import atomic_dir

        with atomic_dir(out) as tmp:
            for name, df in tables.items():
                df.to_csv(tmp / f"{name}.csv", index=False)
            for name, fig in figs.items():
                fig.savefig(tmp / f"{name}.png", dpi=120)
                files.append(str(Path(out) / f"{name}.png"))
    plt = _pyplot()
    for fig in figs.values():
        plt.close(fig)
    return AnalysisResult(tables, files, notes)


def register(app: Any) -> None:
    """Add ``cxsim analyze`` to the command line."""
    from rich.table import Table

    from cxsim.cli.main import console, err_console, fail_cleanly

    def run_analyze(
        folder: Annotated[Path, typer.Argument(help="Output folder of `cxsim sweep`.")],
        metric: Annotated[
            list[str] | None,
            typer.Option("--metric", "-m", help="Summary metric to analyze (repeatable)."),
        ] = None,
        out: Annotated[Path | None, typer.Option(help="Where to write (default: FOLDER/analysis).")] = None,
        rows: Annotated[int, typer.Option(help="Points to print per metric.")] = 20,
    ) -> None:
        """Statistics per parameter point, sensitivity indices and figures of a sweep."""
        from cxsim.experiments.results import check_writable

        sweep = load_sweep(folder)
        metrics = list(metric or default_metrics(sweep))
        if sweep.summary.empty:
            raise InputError(str(folder), "", "at least one successful run", "none")
        _check_metrics(sweep.summary, metrics, str(folder))
        target = out or folder / "analysis"
        check_writable(target)
        result = analyze(sweep, metrics, target)
        for note in result.notes:
            err_console.print(f"note: {note}", highlight=False)
        if sweep.method in ("sobol", "morris"):
            n_points = result.tables["point_stats"]["point"].nunique()
            console.print(f"statistics of {n_points:,} points in point_stats.csv", highlight=False)
        else:
            _print_stats(console, Table, result.tables["point_stats"], sweep.parameters, rows)
        for name in ("sobol", "morris"):
            if name in result.tables:
                _print_indices(console, Table, result.tables[name], name)
        console.print(
            f"tables and figures written to [bold]{target}[/]: "
            + ", ".join(sorted(p.name for p in Path(target).iterdir()))
        )

    app.command("analyze")(fail_cleanly(run_analyze))


def _print_stats(console: Any, table_cls: Any, stats: pd.DataFrame, params: list[str], rows: int) -> None:
    """Means by point (compact), then the typical 95% CI half-width of each metric."""
    metrics = list(dict.fromkeys(stats["metric"]))
    wide = stats.pivot_table(index=["point", *params], columns="metric", values="mean", sort=True)
    t = table_cls(title="mean across replications, by point", title_justify="left")
    for p in params:
        t.add_column(_label(p), justify="right")
    n = stats.groupby("point")["n"].max()
    t.add_column("n", justify="right")
    for m in metrics:
        t.add_column(_label(m), justify="right")
    for (point, *values), row in list(wide.iterrows())[:rows]:
        cells = [_fmt_value(v) for v in values]
        cells.append(str(int(n.loc[point])))
        cells += [_fmt(row[m]) for m in metrics]
        t.add_row(*cells)
    console.print(t)
    if len(wide) > rows:
        console.print(f"... {len(wide) - rows:,} more points in point_stats.csv", highlight=False)
    half = (stats["ci_high"] - stats["mean"]).groupby(stats["metric"]).median()
    if half.notna().any():
        typical = ", ".join(f"{_label(m)} ±{_fmt(half[m])}" for m in metrics if np.isfinite(half[m]))
        console.print(f"typical 95% CI half-width: {typical} (per point: point_stats.csv)", highlight=False)


def _print_indices(console: Any, table_cls: Any, idx: pd.DataFrame, kind: str) -> None:
    t = table_cls(title=f"{kind} indices (± 95% CI half-width)", title_justify="left")
    t.add_column("metric")
    t.add_column("parameter")
    cols = ("S1", "ST") if kind == "sobol" else ("mu_star", "sigma")
    for c in cols:
        t.add_column(c, justify="right")
    for _, r in idx.iterrows():
        cells = [_label(r["metric"]), _label(r["parameter"])]
        for c in cols:
            conf = r.get(f"{c}_conf")
            cells.append(f"{r[c]:.3f}" + (f" ± {conf:.3f}" if conf is not None and np.isfinite(conf) else ""))
        t.add_row(*cells)
    console.print(t)
