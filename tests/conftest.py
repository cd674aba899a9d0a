"""Shared fixtures: small, fast runs of the model."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")


def small_run(
    *overrides: str,
    scenario: str = "baseline",
    days: int = 120,
    shoppers: int = 2000,
    seed: int = 1,
    purchases: bool = False,
):
    """Run a small town quickly (the default baseline, 2,000 shoppers, 120 days)."""
    import cxsim

    return cxsim.run(
        scenario,
        days=days,
        seed=seed,
        purchases=purchases,
        overrides=[f"town.shoppers={shoppers}", *overrides],
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser and cluster tests belong to the full suite, not to the fast tier (``-m "not slow"``)."""
    for item in items:
        if item.get_closest_marker("e2e") or item.get_closest_marker("dask"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def run_small():
    """The :func:`small_run` helper as a fixture."""
    return small_run
