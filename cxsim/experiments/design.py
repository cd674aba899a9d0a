"""Experiments: declared parameter sweeps and sensitivity designs (``cxsim/data/experiments/*.toml``).

An experiment file names a base scenario, the parameters to vary (by dotted
path, as ``cxsim run --set``), a sampler (full grid, random, Latin hypercube,
Sobol/Saltelli or Morris), the number of replications and a root seed. Loading
validates everything against the scenario schema *before* anything runs: each
parameter path and each extreme value is tried as an override of the base
scenario. Every failure is an :class:`~cxsim.core.errors.InputError` naming the
experiment file, the key path, what was expected and what was found.

:meth:`Experiment.design` turns the file into the list of runs: one row per
(point, replication) with a deterministic ``run_id``, the parameter values and
a seed derived from the root seed with :class:`numpy.random.SeedSequence`.
The samplers are plain functions (:func:`grid_points`, :func:`random_points`,
:func:`lhs_points`, :func:`sobol_points`, :func:`morris_points`) that other
modules (calibration, benchmarks) can reuse. See docs/SWEEPS.md.

The parts: the file's schema is :mod:`cxsim.experiments.design_schema`, its
checks against the base scenario :mod:`cxsim.experiments.design_checks`, the
samplers and seeds :mod:`cxsim.experiments.samplers`; they are re-exported here.
The design's size (points x replications) is computed from the file before
anything is sampled and refused above :data:`MAX_RUNS` (a million runs; the
environment variable ``CXSIM_MAX_RUNS`` raises it), with the count in the message.
Files are read and their errors translated by :mod:`cxsim.core.config`. A bare
name is looked up in ``./experiments``, then among the built-in experiments.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from cxsim.core import config
from cxsim.core.errors import InputError, did_you_mean
from cxsim.experiments.design_checks import (
    MAX_RUNS,
    check_names,
    check_sampler,
    check_size,
    design_points,
    max_runs,
    resolve_base,
    resolve_parameter,
)
from cxsim.experiments.design_schema import (
    DEFAULT_METRICS,
    RESERVED_PATHS,
    RUN_COLUMNS,
    SAMPLERS,
    TABLES,
    Analysis,
    ExperimentSpec,
    GridSampler,
    LHSSampler,
    MorrisSampler,
    Output,
    Parameter,
    RandomSampler,
    Range,
    ResolvedParameter,
    SobolSampler,
    toml_literal,
)
from cxsim.experiments.samplers import (
    design_rng,
    grid_points,
    lhs_points,
    morris_points,
    random_points,
    run_seeds,
    sobol_points,
)
from cxsim.model.metrics import SUMMARY_METRICS
from cxsim.model.scenario import Scenario

__all__ = [
    "DEFAULT_METRICS",
    "MAX_RUNS",
    "RESERVED_PATHS",
    "RUN_COLUMNS",
    "SAMPLERS",
    "SUMMARY_METRICS",
    "TABLES",
    "Analysis",
    "Design",
    "Experiment",
    "ExperimentSpec",
    "Output",
    "Parameter",
    "Range",
    "ResolvedParameter",
    "build_design",
    "design_digest",
    "design_points",
    "design_rng",
    "find_experiment_file",
    "grid_points",
    "lhs_points",
    "load_experiment",
    "max_runs",
    "morris_points",
    "random_points",
    "run_seeds",
    "sobol_points",
    "toml_literal",
]


@dataclass
class Design:
    """The runs of an experiment: what to run, with which values and seeds.

    ``runs`` has one row per run: ``run_id``, ``point``, ``replication``,
    ``seed`` and one column per parameter. ``run_id = point * replications +
    replication``. ``sample`` is the unrounded point matrix for sensitivity
    analysis (None for grid designs).
    """

    runs: pd.DataFrame
    points: pd.DataFrame
    overrides: list[list[str]]
    sample: np.ndarray | None
    problem: dict[str, Any]
    digest: str

    def __len__(self) -> int:
        return len(self.runs)


@dataclass
class Experiment:
    """A validated experiment, ready to sample and run."""

    spec: ExperimentSpec
    source: Path
    text: str
    base: Scenario
    parameters: list[ResolvedParameter]

    @property
    def name(self) -> str:
        """The experiment's name (default: the file's stem)."""
        return self.spec.name or self.source.stem

    @property
    def method(self) -> str:
        """The sampler's method."""
        return self.spec.sampler.method

    @property
    def tables(self) -> list[str]:
        """Tables each run keeps (``summary`` always)."""
        keep = ["summary", *self.spec.output.tables]
        return [t for t in TABLES if t in keep]

    @property
    def columns(self) -> list[str]:
        """The parameter column names."""
        return [p.column for p in self.parameters]

    def problem(self) -> dict[str, Any]:
        """The SALib problem dictionary (names and bounds of range parameters)."""
        return {
            "num_vars": len(self.parameters),
            "names": self.columns,
            "bounds": [[p.low, p.high] for p in self.parameters if p.low is not None],
        }

    @cached_property
    def _design(self) -> Design:
        return build_design(self)

    def design(self) -> Design:
        """The runs of this experiment (computed once)."""
        return self._design

    def describe(self) -> str:
        """One line: method, points, replications, runs."""
        d = self.design()
        return (
            f"{self.name}: {self.method} design, {len(d.points):,} points x "
            f"{self.spec.replications} replications = {len(d):,} runs of "
            f"{self.base.town.shoppers:,} shoppers x {self.base.days} days"
        )


def build_design(exp: Experiment) -> Design:
    """Sample the points, derive the seeds and list the runs of ``exp``."""
    spec, params = exp.spec, exp.parameters
    check_size(spec, str(exp.source))
    sampler = spec.sampler
    rng = design_rng(spec.seed)
    sample: np.ndarray | None = None
    bounds = np.array([[p.low, p.high] for p in params], dtype=float) if sampler.method != "grid" else None
    if isinstance(sampler, GridSampler):
        rows = [list(r) for r in grid_points([p.values or () for p in params])]
    elif isinstance(sampler, RandomSampler):
        spaces: list[Any] = [list(p.values) if p.values is not None else (p.low, p.high) for p in params]
        rows = random_points(spaces, sampler.samples, rng)
    else:
        assert bounds is not None
        if isinstance(sampler, SobolSampler | MorrisSampler):
            _require_salib(exp, sampler.method)
        if isinstance(sampler, LHSSampler):
            sample = lhs_points(bounds, sampler.samples, rng)
        elif isinstance(sampler, SobolSampler):
            sample = sobol_points(bounds, sampler.samples, rng, second_order=sampler.second_order)
        else:
            sample = morris_points(bounds, sampler.trajectories, sampler.levels, rng)
        rows = [list(r) for r in sample]
    rows = [[p.convert(v) for p, v in zip(params, row, strict=True)] for row in rows]
    overrides = [[p.override(v) for p, v in zip(params, row, strict=True)] for row in rows]
    n_points, reps = len(rows), spec.replications
    seeds = run_seeds(spec.seed, n_points, reps, common=spec.common_random_numbers)
    points = pd.DataFrame(rows, columns=exp.columns)
    points.insert(0, "point", np.arange(n_points, dtype=np.int64))
    for p in params:
        points[p.column] = points[p.column].astype(_DTYPES[p.kind])
    runs = points.loc[np.repeat(np.arange(n_points), reps)].reset_index(drop=True)
    runs.insert(1, "replication", np.tile(np.arange(reps, dtype=np.int64), n_points))
    runs.insert(0, "run_id", runs["point"] * reps + runs["replication"])
    runs.insert(3, "seed", seeds.reshape(-1))
    digest = design_digest(exp.base, runs, overrides, exp.tables)
    return Design(runs, points, overrides, sample, exp.problem(), digest)


_DTYPES = {"float": "float64", "int": "int64", "bool": "bool", "str": "str"}


def _require_salib(exp: Experiment, method: str) -> None:
    try:
        import SALib  # noqa: F401
    except ImportError:
        raise InputError(
            str(exp.source),
            "sampler.method",
            f"SALib installed for the {method} sampler",
            "not installed",
            "pip install 'cxsim[sensitivity]'",
        ) from None


def design_digest(base: Scenario, runs: pd.DataFrame, overrides: list[list[str]], tables: list[str]) -> str:
    """A hash of what the runs compute: base scenario, overrides and seeds, kept tables.

    Two experiment files with the same digest produce the same runs, so a sweep
    may resume from the other's output (comments and names may differ).
    """
    payload = {
        "base": base.model_dump(mode="json", exclude={"name", "description", "question", "extends"}),
        "runs": [
            [int(r), int(p), int(s), overrides[int(p)]]
            for r, p, s in zip(runs["run_id"], runs["point"], runs["seed"], strict=True)
        ],
        "tables": tables,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- loading


def experiments_dir() -> Path:
    """The built-in experiments, shipped with the package."""
    return config.data_path("experiments")


def find_experiment_file(name_or_path: str | Path) -> Path:
    """An experiment path, or a name under ``./experiments`` or in the built-in experiments.

    An old repository path such as ``experiments/sobol_six.toml`` that does not
    exist here resolves to the built-in file of that name.
    """
    path = Path(name_or_path)
    if path.is_file():
        return path
    if not str(name_or_path).endswith(".toml"):
        for root in (Path.cwd() / "experiments", experiments_dir()):
            candidate = root / f"{name_or_path}.toml"
            if candidate.is_file():
                return candidate
    moved = config.packaged(path)
    if moved is not None:
        return moved
    names = sorted(
        {p.stem for root in (Path.cwd() / "experiments", experiments_dir()) for p in root.glob("*.toml")}
    )
    raise InputError(
        str(name_or_path),
        "",
        f"an experiment file (.toml) or the name of one ({', '.join(names)})",
        "no such file",
        did_you_mean(path.stem, names),
    )


def load_experiment(name_or_path: str | Path) -> Experiment:
    """Read, validate and resolve an experiment file.

    Raises:
        InputError: the file is missing, is not TOML, or any key is invalid.
    """
    path = find_experiment_file(name_or_path)
    source = str(path)
    raw, text = config.read_toml_text(path, "an experiment file")
    try:
        spec = ExperimentSpec.model_validate(raw)
    except ValidationError as exc:
        raise config.translate_validation_error(source, raw, exc, ExperimentSpec) from None
    check_size(spec, source)  # before anything is tried or sampled: a design too big is refused at once
    base = resolve_base(spec, path)
    params = [resolve_parameter(i, p, spec, base, source) for i, p in enumerate(spec.parameters)]
    check_names(params, source)
    check_sampler(spec, params, source)
    for i, metric in enumerate(spec.analysis.metrics):
        if metric not in SUMMARY_METRICS:
            raise InputError(
                source,
                f"analysis.metrics.{i}",
                "a numeric column of the summary table",
                metric,
                did_you_mean(metric, SUMMARY_METRICS),
            )
    exp = Experiment(spec=spec, source=path, text=text, base=base, parameters=params)
    exp.design()  # sample now, so that every error shows before anything runs
    return exp
