"""A minimal sweep task over :func:`cxsim.run`, for when ``cxsim.experiments.sweep`` is not available."""

from __future__ import annotations


def one_run(task: tuple[int, int, int]) -> float:
    """Run the baseline with (shoppers, days, seed); returns the run's online share."""
    import cxsim

    shoppers, days, seed = task
    result = cxsim.run("baseline", days=days, seed=seed, overrides=[f"town.shoppers={shoppers}"])
    return float(result.summary["online_share"].iloc[0])
