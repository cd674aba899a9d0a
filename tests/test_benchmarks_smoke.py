"""The benchmark suite cannot rot: its command runs at tiny sizes, and its comparisons hold.

The full suite (``python -m benchmarks.run``) writes docs/PERFORMANCE.md; here it
runs with ``--quick`` into a temporary folder, never over the real report.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.dask
def test_benchmark_command_quick(tmp_path: Path) -> None:
    """`python -m benchmarks.run --quick` measures every section and writes the report where told."""
    real_report = ROOT / "docs" / "PERFORMANCE.md"
    before = real_report.stat().st_mtime_ns if real_report.exists() else None
    out, raw = tmp_path / "PERFORMANCE.md", tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--out", str(out), "--json", str(raw)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    for heading in (
        "## Machine",
        "## Targets",
        "## Full model",
        "### Where the data-collection time goes",
        "## Mesa, one Agent per shopper, vs the vectorized engine",
        "## How the cost grows",
        "## Sweep throughput",
        "## Before and after, in this run",
        "## A Saltelli design on 2 workers",
        "## The ensemble engine: towns in a batch against alone",
    ):
        assert heading in text, f"report lacks {heading!r}"
    results = json.loads(raw.read_text())
    assert {r["backend"] for r in results["sweep"]["results"]} == {"process pool", "Dask LocalCluster"}
    assert results["ensemble"]["sizes"][0]["batches"][0]["ratio_cpu"] > 0
    for r in results["full"]:
        assert r["shopper_days_per_s"] > 0 and r["peak_rss_mb"] > 0
        assert 0 < r["collection_share"] < 1
    after = real_report.stat().st_mtime_ns if real_report.exists() else None
    assert after == before, "the quick run must not overwrite docs/PERFORMANCE.md"


def test_mesa_and_vectorized_cores_agree() -> None:
    """The per-agent Mesa core and the vectorized core make the same choices in distribution."""
    from benchmarks.mesa_core import compare

    r = compare(3000, 120, seed=7)
    vec, per_agent, gap = r["vectorized"], r["mesa"], r["agreement"]
    assert abs(vec["decisions"] - per_agent["decisions"]) < 0.05 * vec["decisions"]
    assert gap["max_share_gap"] < 0.03, gap
    assert gap["max_z"] < 4.0, gap
    assert gap["satisfaction_gap"] < 0.01, gap
    assert r["speedup"] > 1.0


def test_no_python_object_per_shopper() -> None:
    """A town's shoppers are arrays: building a 4x bigger town creates no more Python objects."""
    from cxsim.model.cxmodel import CXModel
    from cxsim.model.scenario import load_scenario

    def objects_after_build(n: int) -> int:
        model = CXModel(load_scenario("baseline", [f"town.shoppers={n}", "warmup_days=5"], days=10))
        gc.collect()
        count = len(gc.get_objects())
        assert len(model.agents) == len(model.stores)  # Mesa agents: the stores only
        return count

    objects_after_build(500)  # warm caches (imports, pydantic)
    small, big = objects_after_build(2000), objects_after_build(8000)
    assert big - small < 500, f"{big - small} more Python objects for 6,000 more shoppers"


def test_memory_per_extra_store_is_the_per_store_state() -> None:
    """Each extra store costs a shopper 88 bytes: loyalty, familiarity, distance (float32),
    avoidance (int32) and the beliefs (9 attributes x mean and variance, float32);
    nothing else grows with the number of stores."""
    from benchmarks.child import full

    five, twelve = full(1000, 5, stores=5), full(1000, 5, stores=12)
    per_store = (twelve["bytes_per_shopper"] - five["bytes_per_shopper"]) / 7
    assert per_store == pytest.approx(88.0)


def test_profile_phases_cover_the_run() -> None:
    """The profiling helper's phase breakdown adds up to (less than) the run's wall time."""
    from benchmarks.profile import phase_times

    t = phase_times(1000, 10)
    phases = sum(v for k, v in t.items() if k not in ("total", "datacollector.collect"))
    assert 0 < phases <= t["total"]
    assert np.isfinite(t["datacollector.collect"])
