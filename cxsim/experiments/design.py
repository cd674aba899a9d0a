"""Experiments: declared parameter sweeps and sensitivity designs (``experiments/*.toml``).

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
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import tomllib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cxsim.core.errors import InputError, ScenarioError, did_you_mean
from cxsim.model.metrics import STORE_COLUMNS, SUMMARY_METRICS, TIMESERIES_COLUMNS
from cxsim.model.scenario import Scenario, find_scenario_file, load_scenario

SAMPLERS = ("grid", "random", "lhs", "sobol", "morris")
TABLES = ("summary", "timeseries", "stores", "purchases")
DEFAULT_METRICS = (
    "online_share",
    "showrooming_rate",
    "webrooming_rate",
    "mean_satisfaction",
    "nps",
    "mean_loyalty",
)
RUN_COLUMNS = ("run_id", "point", "replication", "seed", "status", "duration_s", "error", "worker", "session")
RESERVED_PATHS = {
    "seed": "every run's seed is derived from the experiment's root `seed`",
    "days": "set `days` at the top of the experiment file",
    "collect_every": "set `output.collect_every`",
    "collect_purchases": 'add "purchases" to `output.tables`',
    "name": "the name is not a model parameter",
    "description": "the description is not a model parameter",
    "question": "the question is not a model parameter",
    "extends": "choose the base with `scenario`",
}
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# --------------------------------------------------------------------------- schema


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Range(_Strict):
    """A continuous range; ``steps`` (grid sampler only) spaces that many values evenly."""

    low: float
    high: float
    steps: Annotated[int, Field(ge=2, le=10_000)] | None = None


class Parameter(_Strict):
    """One parameter to vary: a dotted scenario path and its values or range."""

    path: str
    name: str | None = None
    """Column name in the result tables (default: the path with ``__`` for dots)."""
    values: list[bool | int | float | str] | None = None
    range: Range | None = None

    @property
    def column(self) -> str:
        """The column name of this parameter in every table."""
        return self.name or self.path.replace(".", "__")


class GridSampler(_Strict):
    """Every combination of the parameters' values (first parameter varies slowest)."""

    method: Literal["grid"] = "grid"


class RandomSampler(_Strict):
    """Independent uniform draws (ranges) or uniform choices (value lists)."""

    method: Literal["random"]
    samples: Annotated[int, Field(ge=1, le=10_000_000)]


class LHSSampler(_Strict):
    """A Latin hypercube over the ranges (scipy.stats.qmc.LatinHypercube)."""

    method: Literal["lhs"]
    samples: Annotated[int, Field(ge=1, le=10_000_000)]


class SobolSampler(_Strict):
    """Saltelli's extension of the Sobol' sequence (SALib.sample.sobol).

    ``samples`` is the base sample N (a power of 2); the design has N(D+2)
    points, or N(2D+2) with ``second_order``.
    """

    method: Literal["sobol"]
    samples: Annotated[int, Field(ge=2, le=1_048_576)]
    second_order: bool = False


class MorrisSampler(_Strict):
    """Morris elementary-effects trajectories (SALib.sample.morris): (D+1) points each."""

    method: Literal["morris"]
    trajectories: Annotated[int, Field(ge=2, le=100_000)]
    levels: Annotated[int, Field(ge=2, le=100)] = 4


Sampler = Annotated[
    GridSampler | RandomSampler | LHSSampler | SobolSampler | MorrisSampler,
    Field(discriminator="method"),
]
_SAMPLER_CLASSES: dict[str, type[BaseModel]] = {
    "grid": GridSampler,
    "random": RandomSampler,
    "lhs": LHSSampler,
    "sobol": SobolSampler,
    "morris": MorrisSampler,
}


class Output(_Strict):
    """Which tables each run keeps, and how the sweep writes them."""

    tables: list[Literal["summary", "timeseries", "stores", "purchases"]] = Field(
        default_factory=lambda: ["summary"]
    )
    collect_every: Annotated[int, Field(ge=1)] | None = None
    """Collect the daily tables every k days (default: the scenario's)."""
    batch_size: Annotated[int, Field(ge=1)] | None = None
    """Write a Parquet part every this many finished runs (default: about 1% of the sweep)."""
    flush_seconds: Annotated[float, Field(gt=0)] = 60.0
    """...or at least this often, whichever comes first."""


class Analysis(_Strict):
    """Defaults for ``cxsim analyze``."""

    metrics: list[str] = Field(default_factory=lambda: list(DEFAULT_METRICS))


class ExperimentSpec(_Strict):
    """The experiment file, as written (before resolution against the scenario)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str | None = None
    description: str = ""
    scenario: str = "baseline"
    days: Annotated[int, Field(ge=1, le=36_500)] | None = None
    seed: Annotated[int, Field(ge=0)]
    """Root seed: every run's seed is derived from it (numpy SeedSequence)."""
    replications: Annotated[int, Field(ge=1, le=100_000)] = 1
    common_random_numbers: bool = True
    """Replication r uses the same seed at every point (variance reduction); else one seed per run."""
    overrides: list[str] = Field(default_factory=list, alias="set")
    parameters: Annotated[list[Parameter], Field(min_length=1)]
    sampler: Sampler = Field(default_factory=GridSampler)
    output: Output = Field(default_factory=Output)
    analysis: Analysis = Field(default_factory=Analysis)


# --------------------------------------------------------------------------- resolved


@dataclass(frozen=True)
class ResolvedParameter:
    """A parameter checked against the base scenario."""

    index: int
    path: str
    column: str
    kind: str
    """``float``, ``int``, ``bool`` or ``str`` (from the base scenario's value)."""
    values: tuple[Any, ...] | None
    """Values to use (lists, and ranges with ``steps``)."""
    low: float | None
    high: float | None

    def convert(self, value: Any) -> Any:
        """A sampled or listed value as the parameter's type (integers are rounded)."""
        if self.kind == "int":
            return round(float(value))
        if self.kind == "float":
            return float(f"{float(value):.12g}")
        if self.kind == "bool":
            return bool(value)
        return str(value)

    def override(self, value: Any) -> str:
        """The ``PATH=VALUE`` override that sets ``value``."""
        return f"{self.path}={toml_literal(value)}"


def toml_literal(value: Any) -> str:
    """A Python scalar as a TOML literal (as ``--set`` expects)."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return json.dumps(str(value))


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


# --------------------------------------------------------------------------- samplers


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
    return bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0])


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
    return sobol.sample(problem, n, calc_second_order=second_order, seed=rng)


def morris_points(bounds: np.ndarray, trajectories: int, levels: int, rng: np.random.Generator) -> np.ndarray:
    """Morris (1991) one-at-a-time trajectories on a ``levels`` grid: (D+1) points each.

    SALib.sample.morris with Δ = levels / (2 (levels - 1)) as Saltelli et al. (2004) recommend.
    """
    from SALib.sample import morris

    bounds = np.asarray(bounds, dtype=float)
    problem = {"num_vars": len(bounds), "names": [f"x{i}" for i in range(len(bounds))], "bounds": bounds}
    return morris.sample(problem, trajectories, num_levels=levels, seed=rng)


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


def build_design(exp: Experiment) -> Design:
    """Sample the points, derive the seeds and list the runs of ``exp``."""
    spec, params = exp.spec, exp.parameters
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


def find_experiment_file(name_or_path: str | Path) -> Path:
    """An experiment path, or a name under ``experiments/``."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    if not str(name_or_path).endswith(".toml"):
        for root in (Path.cwd() / "experiments", Path(__file__).resolve().parents[2] / "experiments"):
            candidate = root / f"{name_or_path}.toml"
            if candidate.is_file():
                return candidate
    names = sorted(p.stem for p in (Path.cwd() / "experiments").glob("*.toml"))
    raise InputError(
        str(name_or_path),
        "",
        "an experiment file (.toml) or a name under experiments/",
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
    try:
        text = path.read_text()
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(source, "", "valid TOML", hint=str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(source, "", "a readable text file", hint=str(exc)) from None
    try:
        spec = ExperimentSpec.model_validate(raw)
    except ValidationError as exc:
        raise _validation_error(source, raw, exc) from None
    base = _resolve_base(spec, path)
    params = [_resolve_parameter(i, p, spec, base, source) for i, p in enumerate(spec.parameters)]
    _check_names(params, source)
    _check_sampler(spec, params, source)
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


def _resolve_base(spec: ExperimentSpec, path: Path) -> Scenario:
    source = str(path)
    try:
        base = load_scenario(find_scenario_file(spec.scenario, path.parent))
    except ScenarioError as exc:
        raise InputError(source, "scenario", exc.expected, spec.scenario, exc.hint) from None
    for i, text in enumerate(spec.overrides):
        try:
            base = load_scenario(base, [text])
        except ScenarioError as exc:
            raise InputError(source, f"set.{i}", exc.expected, text, exc.hint) from None
    extra = [f"collect_purchases={'true' if 'purchases' in spec.output.tables else 'false'}"]
    if spec.output.collect_every is not None:
        extra.append(f"collect_every={spec.output.collect_every}")
    try:
        return load_scenario(base, extra, days=spec.days)
    except ScenarioError as exc:  # e.g. an event beyond a shortened horizon
        raise InputError(source, "days", exc.expected, spec.days, f"{exc.key} of the scenario") from None


def _walk(data: Any, parts: list[str]) -> tuple[Any, str | None, list[str]]:
    """Follow ``parts`` in resolved scenario data; return (value, bad part, its siblings)."""
    node = data
    for i, part in enumerate(parts):
        if isinstance(node, dict):
            if part not in node:
                return None, ".".join([*parts[:i], part]), [".".join([*parts[:i], k]) for k in node]
            node = node[part]
        elif isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                opts = [".".join([*parts[:i], str(k)]) for k in range(len(node))]
                return None, ".".join([*parts[:i], part]), opts
            node = node[int(part)]
        else:
            return None, ".".join(parts[: i + 1]), []
    return node, None, []


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return None


def _resolve_parameter(
    i: int, p: Parameter, spec: ExperimentSpec, base: Scenario, source: str
) -> ResolvedParameter:
    key = f"parameters.{i}"
    parts = [s for s in p.path.split(".") if s]
    top = parts[0] if parts else ""
    if top in RESERVED_PATHS and len(parts) == 1:
        raise InputError(source, f"{key}.path", "a model parameter", p.path, RESERVED_PATHS[top])
    data = base.model_dump(mode="python")
    current, bad, siblings = _walk(data, parts)
    if bad is not None or isinstance(current, dict | list) or not parts:
        if bad is None:
            what = "a table" if isinstance(current, dict) else "a list"
            raise InputError(
                source,
                f"{key}.path",
                "the path of a single value (e.g. stores.giant.price)",
                p.path,
                f"{p.path} is {what}",
            )
        suggestion = did_you_mean(bad, siblings)
        if suggestion and len(bad.split(".")) < len(parts):
            suggestion = suggestion.rstrip("'?") + "." + ".".join(parts[len(bad.split(".")) :]) + "'?"
        raise InputError(
            source,
            f"{key}.path",
            f"a parameter path of scenario '{base.name}' (e.g. stores.giant.price)",
            p.path,
            suggestion or f"no key {bad!r}; see `cxsim show {base.name}`",
        )
    kind = _kind(current)
    if kind is None:  # an optional value that is unset (None): infer from the experiment
        sample = p.values[0] if p.values else None
        kind = _kind(sample) if sample is not None else "float"
        kind = "float" if kind == "int" else kind
    values: tuple[Any, ...] | None = None
    low = high = None
    if (p.values is None) == (p.range is None):
        raise InputError(
            source,
            key,
            "either `values = [...]` or `range = {low = ..., high = ...}`",
            "both" if p.values is not None else "neither",
        )
    if p.values is not None:
        if not p.values:
            raise InputError(source, f"{key}.values", "at least one value", [])
        values = tuple(_convert_value(source, f"{key}.values", kind, v) for v in p.values)
        if len(set(values)) != len(values):
            raise InputError(source, f"{key}.values", "distinct values", list(p.values))
        for j, v in enumerate(values):
            _trial(source, f"{key}.values.{j}", base, p, v)
    else:
        r = p.range
        assert r is not None
        if kind not in ("float", "int"):
            raise InputError(source, f"{key}.range", f"`values = [...]` for a {kind} parameter", "a range")
        if not r.high > r.low:
            raise InputError(
                source, f"{key}.range.high", f"a value above low ({r.low})", r.high, "empty range"
            )
        low, high = float(r.low), float(r.high)
        if kind == "int" and (low != int(low) or high != int(high)):
            raise InputError(
                source, f"{key}.range", "whole-number bounds for an integer parameter", [r.low, r.high]
            )
        for bound, v in (("low", low), ("high", high)):
            _trial(source, f"{key}.range.{bound}", base, p, int(v) if kind == "int" else v)
        if r.steps is not None:
            grid = np.linspace(low, high, r.steps)
            values = tuple(round(v) if kind == "int" else float(f"{v:.12g}") for v in grid)
            if len(set(values)) != len(values):
                raise InputError(
                    source,
                    f"{key}.range.steps",
                    f"at most {int(high - low) + 1} steps for an integer range",
                    r.steps,
                )
    return ResolvedParameter(i, p.path, p.column, kind, values, low, high)


def _convert_value(source: str, key: str, kind: str, value: Any) -> Any:
    ok = {
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
    }[kind]
    if kind == "int" and isinstance(value, float) and value == int(value):
        ok, value = True, int(value)
    if not ok:
        raise InputError(source, key, f"{'an' if kind == 'int' else 'a'} {kind} value", value)
    return float(value) if kind == "float" else value


def _trial(source: str, key: str, base: Scenario, p: Parameter, value: Any) -> None:
    """Apply ``path=value`` to the base scenario; a ScenarioError becomes an error of this file."""
    try:
        load_scenario(base, [f"{p.path}={toml_literal(value)}"])
    except ScenarioError as exc:
        raise InputError(source, key, f"{exc.expected} (at {exc.key or p.path})", value, exc.hint) from None


def _check_names(params: list[ResolvedParameter], source: str) -> None:
    reserved = {*RUN_COLUMNS, *SUMMARY_METRICS, *TIMESERIES_COLUMNS, *STORE_COLUMNS}
    reserved |= {"scenario", "days", "window_days", "shoppers"}
    seen_paths: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for p in params:
        key = f"parameters.{p.index}"
        if p.path in seen_paths:
            raise InputError(
                source, f"{key}.path", "each path once", p.path, f"also parameters.{seen_paths[p.path]}"
            )
        if not _NAME_RE.match(p.column):
            raise InputError(source, f"{key}.name", "a name of letters, digits and _", p.column)
        if p.column in reserved:
            raise InputError(
                source, f"{key}.name", "a column name not used by the result tables", p.column, "set `name`"
            )
        if p.column in seen_names:
            raise InputError(source, f"{key}.name", "a unique name", p.column)
        seen_paths[p.path] = p.index
        seen_names[p.column] = p.index


def _check_sampler(spec: ExperimentSpec, params: list[ResolvedParameter], source: str) -> None:
    s = spec.sampler
    for p in params:
        key = f"parameters.{p.index}"
        has_steps = p.values is not None and p.low is not None
        if isinstance(s, GridSampler):
            if p.values is None:
                raise InputError(
                    source,
                    f"{key}.range.steps",
                    "a number of steps (>= 2) for the grid sampler",
                    "nothing",
                    "or give `values = [...]`",
                )
        elif has_steps:
            raise InputError(
                source,
                f"{key}.range.steps",
                "no steps: only the grid sampler uses them",
                len(p.values or ()),
            )
        elif p.low is None and not isinstance(s, RandomSampler):
            raise InputError(
                source,
                f"{key}.values",
                f"a range = {{low = ..., high = ...}}: the {s.method} sampler draws from continuous ranges",
                list(p.values or ()),
            )
    if isinstance(s, SobolSampler):
        if s.samples & (s.samples - 1):
            lower = 1 << (s.samples.bit_length() - 1)
            raise InputError(
                source,
                "sampler.samples",
                "a power of 2 (the Sobol' sequence is balanced only then)",
                s.samples,
                f"try {lower} or {lower * 2}",
            )
        if len(params) < 2:
            raise InputError(source, "parameters", "at least 2 parameters for a Sobol analysis", len(params))
    if isinstance(s, MorrisSampler):
        if s.levels % 2:
            raise InputError(
                source,
                "sampler.levels",
                "an even number of levels (Morris steps of levels/(2(levels-1)) are symmetric only then)",
                s.levels,
            )
        for p in params:
            step = (p.high - p.low) / (s.levels - 1) if p.high is not None and p.low is not None else 0
            if p.kind == "int" and not math.isclose(step, round(step)):
                raise InputError(
                    source,
                    f"parameters.{p.index}.range",
                    f"for an integer parameter, a range whose {s.levels} levels are whole numbers",
                    [p.low, p.high],
                    f"make high - low a multiple of {s.levels - 1}",
                )


# --------------------------------------------------------------------------- errors


def _annotation_models(ann: Any) -> list[type[BaseModel]]:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    out: list[type[BaseModel]] = []
    origin = typing.get_origin(ann)
    if origin is not None or isinstance(ann, types.UnionType):
        for arg in typing.get_args(ann):
            out.extend(_annotation_models(arg))
    return out


def _model_at(loc: list[Any], raw: Any) -> type[BaseModel] | None:
    """The schema class that holds the last element of ``loc``."""
    cls: type[BaseModel] = ExperimentSpec
    node = raw
    for part in loc[:-1]:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
            continue
        fields = {f.alias or k: f for k, f in cls.model_fields.items()}
        field = fields.get(part)
        if field is None:
            return None
        node = node.get(part) if isinstance(node, dict) else None
        models = _annotation_models(field.annotation)
        if part == "sampler":
            method = node.get("method", "grid") if isinstance(node, dict) else "grid"
            models = [_SAMPLER_CLASSES.get(str(method), GridSampler)]
        if not models:
            return None
        cls = models[0]
    return cls


def _validation_error(source: str, raw: dict[str, Any], exc: ValidationError) -> InputError:
    err = exc.errors()[0]
    loc = list(err["loc"])
    if len(loc) >= 2 and loc[0] == "sampler" and loc[1] in SAMPLERS:
        del loc[1]
    key = ".".join(str(x) for x in loc)
    if err["type"] == "extra_forbidden":
        cls = _model_at(loc, raw)
        allowed = [f.alias or k for k, f in cls.model_fields.items()] if cls else []
        where = cls.__name__.replace("Spec", "").replace("Sampler", " sampler").lower() if cls else "table"
        return InputError(
            source,
            key,
            f"a known key of the {where} ({', '.join(allowed)})",
            loc[-1],
            did_you_mean(str(loc[-1]), allowed) or "unknown key",
        )
    if err["type"] == "union_tag_invalid":
        tag = str(err.get("ctx", {}).get("tag"))
        return InputError(
            source, f"{key}.method", f"a sampler ({', '.join(SAMPLERS)})", tag, did_you_mean(tag, SAMPLERS)
        )
    if err["type"] == "missing":
        expected = "a value (this key is required)"
        if key == "seed":
            expected = "a root seed, an integer >= 0 (every run's seed derives from it)"
        return InputError(source, key, expected, "nothing")
    found = err.get("input")
    msg = str(err["msg"])
    prefix = "Input should be "
    expected = msg[len(prefix) :] if msg.startswith(prefix) else msg[0].lower() + msg[1:]
    hint = None
    if err["type"] == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
        hint = did_you_mean(str(found), allowed)
    return InputError(source, key, expected, found, hint)
