"""Guard-rails of sensitivity indices: say when they cannot be read at face value.

Sobol' indices are shares of variance, so a true index lies in [0, 1]. An
estimate outside that range is estimation error, and a warning says so
(decisions, issue 15; thresholds documented in docs/SWEEPS.md):

- **first order above 1** (``S1 > 1``) or **total above 1** (``ST > 1``): the
  estimator's error is larger than the effect; raise N;
- **negative beyond its interval** (``S1 + S1_conf < 0``, same for ``ST``):
  more than noise around 0;
- **small N**: a Sobol' design with fewer than :data:`MIN_SOBOL_SAMPLES` base
  samples (N, ``sampler.samples``); Saltelli's estimators need several hundred
  for two decimals, and below 64 even the ranking is unreliable;
- **replication noise**: ``noise_share`` above :data:`MAX_NOISE_SHARE` (the
  point means mostly reflect chance; add replications or shoppers).

Warnings are words in a ``warning`` column of the index table (empty when
there is none), a ``warnings.csv`` of ``analyze`` and lines of ``cxsim analyze``;
never Python warnings (a script that reads the table decides what to do).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_SOBOL_SAMPLES = 64
"""Below this many base samples (N) of a Sobol' design, ``analyze`` warns that N is small."""
MAX_NOISE_SHARE = 0.1
"""Above this share of replication noise in the variance of point means, ``analyze`` warns."""
WARNING_COLUMNS = ("metric", "parameter", "warning")


def _index_words(row: pd.Series, index: str) -> list[str]:
    value, conf = float(row[index]), float(row.get(f"{index}_conf", np.nan))
    words = []
    if value > 1:
        words.append(f"{index} = {value:.3f} exceeds 1 (impossible for a share of variance: raise N)")
    if np.isfinite(conf) and value + conf < 0:
        words.append(f"{index} = {value:.3f} ± {conf:.3f} is negative beyond its interval (raise N)")
    return words


def sobol_warnings(indices: pd.DataFrame, samples: int | None) -> pd.DataFrame:
    """One row per warning: ``metric``, ``parameter`` (empty for the whole design) and ``warning``."""
    rows: list[dict[str, str]] = []
    if samples is not None and samples < MIN_SOBOL_SAMPLES:
        rows.append(
            {
                "metric": "",
                "parameter": "",
                "warning": f"N = {samples} base samples is small (below {MIN_SOBOL_SAMPLES}): "
                "indices and their intervals are unreliable; raise sampler.samples",
            }
        )
    for metric, d in indices.groupby("metric", sort=False):
        noise = float(d["noise_share"].iloc[0]) if "noise_share" in d else np.nan
        if np.isfinite(noise) and noise > MAX_NOISE_SHARE:
            rows.append(
                {
                    "metric": str(metric),
                    "parameter": "",
                    "warning": f"noise share {noise:.2f} above {MAX_NOISE_SHARE}: "
                    "replication noise inflates the indices; add replications or shoppers",
                }
            )
        for _, row in d.iterrows():
            for words in (*_index_words(row, "S1"), *_index_words(row, "ST")):
                rows.append({"metric": str(metric), "parameter": str(row["parameter"]), "warning": words})
    return pd.DataFrame(rows, columns=list(WARNING_COLUMNS))


def with_warning_column(indices: pd.DataFrame, warnings: pd.DataFrame) -> pd.DataFrame:
    """The index table with a ``warning`` column: that row's warnings joined by ``; ``."""
    out = indices.copy()
    own = warnings[warnings["parameter"] != ""]
    text = own.groupby(["metric", "parameter"])["warning"].agg("; ".join)
    keys = list(zip(out["metric"], out["parameter"], strict=True))
    out["warning"] = [text.get(k, "") for k in keys]
    return out
