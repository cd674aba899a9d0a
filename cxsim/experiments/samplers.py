"""Samplers and seeds of experiments: plain functions that designs, calibration and benchmarks reuse.

Full grid, independent random draws, Latin hypercube, Sobol'/Saltelli and Morris
points in a box of bounds, the generator that draws a design, and the run seeds
derived from a root seed with :class:`numpy.random.SeedSequence`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np


def grid_points(value_lists: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Full factorial design: every combination, the first list varying slowest."""
    return list(itertools.product(*value_lists))


def random_points(
    bounds: Sequence[tuple[float, float] | Sequence[Any]], n: int, rng: np.random.Generator
) -> list[list[Any]]:
    """``n`` independent draws: uniform on ``(low, high)`` tuples, uniform choice from lists.

    A bound is either a ``(low, high)`` tuple (continuous) or a list of values.
    Columns are drawn one after another, so a column's draws do not depend on
    the others' kinds.
    """
    cols: list[list[Any]] = []
    for b in bounds:
        if isinstance(b, tuple):
            cols.append(list(rng.uniform(b[0], b[1], size=n)))
        else:
            idx = rng.integers(0, len(b), size=n)
            cols.append([b[i] for i in idx])
    return [list(row) for row in zip(*cols, strict=True)]


def _scale(unit: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    return np.asarray(bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0]), dtype=float)


def lhs_points(bounds: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """A Latin hypercube of ``n`` points in the box ``bounds`` (shape (d, 2)).

    McKay, Beckman & Conover (1979); scipy.stats.qmc.LatinHypercube, one point
    per stratum of every dimension, scrambled within strata.
    """
    from scipy.stats import qmc

    bounds = np.asarray(bounds, dtype=float)
    unit = qmc.LatinHypercube(d=len(bounds), rng=rng).random(n)
    return _scale(unit, bounds)


def sobol_points(
    bounds: np.ndarray, n: int, rng: np.random.Generator, *, second_order: bool = False
) -> np.ndarray:
    """Saltelli (2002) sample for Sobol' indices: N(D+2) points, or N(2D+2) with second order.

    SALib.sample.sobol (scrambled Sobol' sequence); ``n`` should be a power of 2.
    """
    from SALib.sample import sobol

    bounds = np.asarray(bounds, dtype=float)
    problem = {"num_vars": len(bounds), "names": [f"x{i}" for i in range(len(bounds))], "bounds": bounds}
    return np.asarray(sobol.sample(problem, n, calc_second_order=second_order, seed=rng), dtype=float)


def morris_points(bounds: np.ndarray, trajectories: int, levels: int, rng: np.random.Generator) -> np.ndarray:
    """Morris (1991) one-at-a-time trajectories on a ``levels`` grid: (D+1) points each.

    SALib.sample.morris with Δ = levels / (2 (levels - 1)) as Saltelli et al. (2004) recommend.
    """
    from SALib.sample import morris

    bounds = np.asarray(bounds, dtype=float)
    problem = {"num_vars": len(bounds), "names": [f"x{i}" for i in range(len(bounds))], "bounds": bounds}
    return np.asarray(morris.sample(problem, trajectories, num_levels=levels, seed=rng), dtype=float)


def design_rng(root_seed: int) -> np.random.Generator:
    """The generator that draws the design: ``SeedSequence(root).spawn(2)[0]``."""
    return np.random.default_rng(np.random.SeedSequence(root_seed, spawn_key=(0,)))


def run_seeds(root_seed: int, points: int, replications: int, *, common: bool = True) -> np.ndarray:
    """Seeds of every run, shape (points, replications), as non-negative 63-bit integers.

    Derived from ``SeedSequence(root_seed)``: its child 1 holds the run seeds.
    With common random numbers, replication r uses child ``(1, r)`` at every
    point; otherwise run (point p, replication r) uses child ``(1, r, p)``.
    """

    def seed_of(key: tuple[int, ...]) -> int:
        ss = np.random.SeedSequence(root_seed, spawn_key=key)
        return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))

    out = np.empty((points, replications), dtype=np.int64)
    for r in range(replications):
        if common:
            out[:, r] = seed_of((1, r))
        else:
            for p in range(points):
                out[p, r] = seed_of((1, r, p))
    return out
