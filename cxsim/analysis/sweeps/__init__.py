"""Analysis of sweeps: statistics per parameter point, sensitivity indices, figures.

Everything is a pandas DataFrame first, so notebooks and scripts can query
results directly::

    from cxsim.analysis.sweeps import load_sweep, point_stats, sensitivity
    sw = load_sweep("results/price_service_grid")
    sw.summary                      # one row per successful run, with parameter columns
    point_stats(sw, ["online_share"])   # mean, sd and 95% CI across replications
    sensitivity(sw)                 # Sobol or Morris indices (SALib), with CIs and warnings
    point_stats(sw, ["stores.chain.market_share"])  # a store's metric over the summary window

``cxsim analyze DIR`` writes the same tables as CSV plus figures.

Statistics across replications (:mod:`.stats`): the mean, the sample standard
deviation and a Student-t confidence interval ``mean ± t(1-α/2, n-1) · sd/√n``
for each parameter point. Sobol and Morris indices (:mod:`.sensitivity`) are
computed on the replication mean of each point (the model's expected response),
with SALib's bootstrap confidence intervals; the share of the variance of point
means that is left-over replication noise is reported as ``noise_share`` (keep
it small by adding replications). Figures: :mod:`.plots`; the whole analysis of
a folder: :func:`analyze`. See docs/SWEEPS.md.
"""

from cxsim.analysis.sweeps.envelopes import plot_envelopes
from cxsim.analysis.sweeps.guards import MAX_NOISE_SHARE, MIN_SOBOL_SAMPLES, sobol_warnings
from cxsim.analysis.sweeps.loading import KEY_COLUMNS, Sweep, check_metrics, default_metrics, load_sweep
from cxsim.analysis.sweeps.metrics import (
    check_metric_names,
    is_store_metric,
    metric_frame,
    store_metric_values,
)
from cxsim.analysis.sweeps.outputs import AnalysisResult, analyze
from cxsim.analysis.sweeps.plots import (
    fmt_number,
    fmt_value,
    name_label,
    plot_heatmaps,
    plot_lines,
    plot_morris,
    plot_scatter,
    plot_sobol,
)
from cxsim.analysis.sweeps.sensitivity import morris_indices, sensitivity, sobol_indices
from cxsim.analysis.sweeps.stats import confidence_interval, noise_share, point_means, point_stats

__all__ = [
    "KEY_COLUMNS",
    "MAX_NOISE_SHARE",
    "MIN_SOBOL_SAMPLES",
    "AnalysisResult",
    "Sweep",
    "analyze",
    "check_metric_names",
    "check_metrics",
    "confidence_interval",
    "default_metrics",
    "fmt_number",
    "fmt_value",
    "is_store_metric",
    "load_sweep",
    "metric_frame",
    "morris_indices",
    "name_label",
    "noise_share",
    "plot_envelopes",
    "plot_heatmaps",
    "plot_lines",
    "plot_morris",
    "plot_scatter",
    "plot_sobol",
    "point_means",
    "point_stats",
    "sensitivity",
    "sobol_indices",
    "sobol_warnings",
    "store_metric_values",
]
