"""Statistics across replications: per parameter point, its mean, sd and Student-t interval."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxsim.analysis.sweeps.loading import Sweep, check_metrics, default_metrics, table_and_parameters
from cxsim.analysis.sweeps.metrics import check_metric_names, metric_frame
from cxsim.core.stats import ci_half_width

STAT_COLUMNS = ("metric", "n", "mean", "sd", "sem", "ci_low", "ci_high")


def confidence_interval(
    mean: np.ndarray | pd.Series, sd: np.ndarray | pd.Series, n: np.ndarray | pd.Series, conf: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Student-t interval ``mean ± t(1-α/2, n-1) sd/√n`` for arrays of groups (NaN where n < 2).

    The half-width is :func:`cxsim.core.stats.ci_half_width`, the one interval of the package.
    """
    half = ci_half_width(np.asarray(sd, dtype=float), np.asarray(n, dtype=float), conf)
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
    df, params = table_and_parameters(source, table, params)
    if metrics is None:
        metrics = default_metrics(source) if isinstance(source, Sweep) else []
    if df.empty:
        return pd.DataFrame(columns=["point", *params, *STAT_COLUMNS])
    if isinstance(source, Sweep) and table == "summary":
        check_metric_names(source, metrics)
        df = metric_frame(source, metrics)
    else:
        check_metrics(df, metrics, str(source.path) if isinstance(source, Sweep) else "table")
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
    df = metric_frame(sweep, metrics)
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
    df = metric_frame(sweep, [metric])
    g = df.groupby("point")[metric]
    reps = g.count()
    if reps.max() < 2:
        return float("nan")
    within = float((g.var() / reps).mean())
    between = float(g.mean().var())
    return within / between if between > 0 else float("nan")
