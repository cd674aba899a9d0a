"""Sensitivity indices of a sweep: Sobol' (first-order, total, second-order) and Morris screening.

Indices are computed with SALib on the replication mean of each point (the
model's expected response), with SALib's bootstrap confidence intervals; the
share of the variance of point means that is left-over replication noise is
reported as ``noise_share`` (keep it small by adding replications).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from cxsim.analysis.sweeps.guards import sobol_warnings, with_warning_column
from cxsim.analysis.sweeps.loading import Sweep, default_metrics
from cxsim.analysis.sweeps.metrics import check_metric_names
from cxsim.analysis.sweeps.stats import noise_share, point_means
from cxsim.core.errors import InputError


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


def _each_metric(
    sweep: Sweep, method: str, metrics: list[str] | None, analyze: Callable[[np.ndarray], dict[str, Any]]
) -> list[tuple[str, dict[str, Any], float]]:
    """Run SALib's ``analyze`` on the point means of each metric: (metric, result, noise share).

    Bad input unless the sweep has a ``method`` design with a result at every point.
    """
    if sweep.method != method:
        raise InputError(
            str(sweep.path), "sampler", f"a {method} design for {method.title()} indices", sweep.method
        )
    metrics = metrics or default_metrics(sweep)
    check_metric_names(sweep, metrics)
    means = point_means(sweep, metrics)
    _require_all_points(sweep, means, metrics)
    out = []
    for m in metrics:
        y = means[m].to_numpy(dtype=float)
        if method == "sobol" and np.nanvar(y) == 0:
            continue
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = analyze(y)
        out.append((m, res, noise_share(sweep, m)))
    return out


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
        interval), ``noise_share`` and ``warning`` (words when an index cannot be
        read at face value: :mod:`.guards`); second_order (or None) has ``metric``,
        ``parameter``, ``other``, ``S2``, ``S2_conf``.
    """
    from SALib.analyze import sobol

    problem = _salib_problem(sweep)
    second = bool(sweep.info["sampler"].get("second_order", False))
    results = _each_metric(
        sweep,
        "sobol",
        metrics,
        lambda y: sobol.analyze(
            problem,
            y,
            calc_second_order=second,
            num_resamples=resamples,
            conf_level=conf,
            seed=_bootstrap_seed(sweep, seed),
        ),
    )
    names = problem["names"]
    rows, pairs = [], []
    for m, res, noise in results:
        for i, name in enumerate(names):
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
    idx = pd.DataFrame(rows)
    if not idx.empty:
        idx = with_warning_column(idx, sobol_warnings(idx, sobol_samples(sweep)))
    return idx, (pd.DataFrame(pairs) if second else None)


def sobol_samples(sweep: Sweep) -> int | None:
    """N, the base samples of a Sobol' design (None if the sweep does not say)."""
    n = sweep.info.get("sampler", {}).get("samples")
    return None if n is None else int(n)


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

    problem = _salib_problem(sweep)
    x = np.asarray(sweep.info["sample"], dtype=float)
    levels = int(sweep.info["sampler"].get("levels", 4))
    results = _each_metric(
        sweep,
        "morris",
        metrics,
        lambda y: morris.analyze(
            problem,
            x,
            y,
            num_resamples=resamples,
            conf_level=conf,
            num_levels=levels,
            seed=_bootstrap_seed(sweep, seed),
        ),
    )
    rows = []
    for m, res, noise in results:
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


def sensitivity(
    sweep: Sweep,
    metrics: list[str] | None = None,
    *,
    conf: float = 0.95,
    resamples: int = 1000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Sobol indices for a sobol design, Morris statistics for a morris design."""
    if sweep.method == "sobol":
        return sobol_indices(sweep, metrics, conf=conf, resamples=resamples, seed=seed)[0]
    if sweep.method == "morris":
        return morris_indices(sweep, metrics, conf=conf, resamples=resamples, seed=seed)
    raise InputError(
        str(sweep.path), "sampler", "a sobol or morris design for sensitivity indices", sweep.method
    )
