"""Statistics shared by every layer: the one confidence interval of a mean of replications."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def mean_ci(
    values: Sequence[float] | np.ndarray, level: float = 0.95
) -> tuple[float, float, float, float, int]:
    """Mean, t-based confidence interval, standard deviation and count of finite values.

    The interval is ``mean ± t(level, n-1) · sd / √n`` (Student's t, as for any
    mean of independent replications); with fewer than two values it is NaN.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return (math.nan, math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n < 2:
        return (mean, math.nan, math.nan, math.nan, n)
    sd = float(x.std(ddof=1))
    half = t_quantile(level, n - 1) * sd / math.sqrt(n)
    return (mean, mean - half, mean + half, sd, n)


def t_quantile(level: float, dof: int | np.ndarray) -> float:
    """Two-sided Student-t critical value for ``level`` (0.95 → t₀.₉₇₅) with ``dof`` degrees of freedom."""
    from scipy import stats

    return float(stats.t.ppf(0.5 + level / 2.0, dof))


def ci_half_width(
    sd: Sequence[float] | np.ndarray, n: Sequence[float] | np.ndarray, level: float = 0.95
) -> np.ndarray:
    """Half-widths ``t(level, n-1) · sd / √n`` of many means' intervals at once (NaN where n < 2).

    The vectorised form of :func:`mean_ci` for tables of group statistics; same
    critical value (:func:`t_quantile`).
    """
    n_ = np.asarray(n, dtype=float)
    t = np.full(n_.shape, np.nan)
    for k in np.unique(n_[n_ >= 2]):
        t[n_ == k] = t_quantile(level, int(k) - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        half: np.ndarray = t * np.asarray(sd, dtype=float) / np.sqrt(n_)
    return half
