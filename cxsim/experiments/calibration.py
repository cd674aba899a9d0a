"""Calibration: search declared free parameters to bring the patterns into their bands.

The free parameters and their ranges are data (``calibration/free_parameters.toml``).
The search has two well-kept stages: a space-filling design over the ranges
(Latin hypercube or scrambled Sobol points from :mod:`scipy.stats.qmc`), then a
bounded Nelder–Mead refinement (:func:`scipy.optimize.minimize`) started from the
best design point. Every evaluation runs the model on the same fixed seeds
(common random numbers), so differences between parameter sets are not noise
between seeds.

The objective is the sum over the chosen patterns' checks of the distance of the
mean value to its band, in units of the band's width (0 inside; for a comparison,
the shortfall of the difference below 0 relative to the size of its two sides),
plus 0.01 times the distance to the published figure (``point``; the band's
centre where there is none) as a tie-breaker among parameter sets inside the
bands. ``cxsim calibrate`` reports the best parameter sets with the distance to
each pattern's band and can write the best as a scenario extending the base.
"""

import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import pandas as pd
import tomli_w
from pydantic import Field, ValidationError

from cxsim.core import config
from cxsim.core.config import StrictModel
from cxsim.core.errors import InputError, ScenarioError
from cxsim.core.io import atomic_write_json, atomic_write_text, output_dir
from cxsim.experiments.provenance import command_line, machine
from cxsim.experiments.runner import Backend
from cxsim.experiments.validation import (
    Plan,
    band_distance,
    plan_jobs,
    replication_table,
    resolve_scenarios,
)
from cxsim.experiments.validation_language import Observation
from cxsim.experiments.validation_patterns import Pattern
from cxsim.experiments.validation_runs import Job, run_jobs
from cxsim.model.scenario import canonical_path, find_scenario_file, load_scenario, scenarios_dir

DEFAULT_FILE = config.data_path("calibration", "free_parameters.toml")
CENTRE_WEIGHT = 0.01
"""Weight of the distance to the published figures (or band centres) in the objective: a tie-breaker."""


# =========================================================================== the file


class Budget(StrictModel):
    """How many model evaluations the search may spend."""

    sampler: Literal["lhs", "sobol"] = "lhs"
    samples: Annotated[int, Field(ge=1, le=100_000)] = 24
    refine: Annotated[int, Field(ge=0, le=100_000)] = 24
    sampler_seed: Annotated[int, Field(ge=0)] = 12345


class FreeParametersFile(StrictModel):
    """The top level of ``free_parameters.toml``."""

    config_label: ClassVar[str] = "free-parameters file"
    base: str = "baseline"
    patterns: list[str] = Field(default_factory=list)
    seeds: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)] = Field(
        default_factory=lambda: [1, 2]
    )
    budget: Budget = Field(default_factory=Budget)
    parameters: dict[str, Any]


@dataclass(frozen=True)
class Parameter:
    """A free parameter: a dotted scenario path and its range."""

    path: str
    low: float
    high: float
    integer: bool = False

    def value(self, u: float) -> float | int:
        """The parameter's value at a point ``u`` in [0, 1] of its range."""
        v = self.low + float(u) * (self.high - self.low)
        return round(v) if self.integer else float(f"{v:.4g}")

    def override(self, u: float) -> str:
        """The ``--set`` override at ``u``."""
        return f"{self.path}={self.value(u)!r}"


@dataclass
class Settings:
    """A calibration: free parameters, patterns, seeds, budget and run settings."""

    source: str
    base: str
    parameters: list[Parameter]
    pattern_ids: list[str]
    seeds: list[int]
    budget: Budget
    overrides: list[str] = field(default_factory=list)
    days: int | None = None


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{path}."))
        else:
            out[path] = value
    return out


def read_settings(path: Path) -> Settings:
    """Read ``free_parameters.toml``; every problem is an :class:`InputError`."""
    path = config.packaged(path) or path  # the old place, calibration/free_parameters.toml
    source = str(path)
    data = config.read_toml(path, f"a free-parameters file (see {DEFAULT_FILE})")
    try:
        raw = FreeParametersFile.model_validate(data)
    except ValidationError as exc:
        raise config.translate_validation_error(source, data, exc, FreeParametersFile) from None
    params = []
    for name, rng in _flatten(raw.parameters).items():
        key = f"parameters.{name}"
        ok = isinstance(rng, list) and len(rng) == 2 and all(isinstance(v, int | float) for v in rng)
        if not ok or isinstance(rng[0], bool) or isinstance(rng[1], bool):
            raise InputError(source, key, "a range [low, high] of two numbers", rng)
        lo, hi = float(rng[0]), float(rng[1])
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise InputError(source, key, "a finite range with low < high", rng)
        if name.split(".")[0] == "events":
            raise InputError(
                source, key, "a scenario value outside `events` (events cannot be calibrated)", name
            )
        params.append(Parameter(name, lo, hi, all(isinstance(v, int) for v in rng)))
    if not params:
        raise InputError(source, "parameters", "at least one free parameter", "none")
    return Settings(source, raw.base, params, list(raw.patterns), list(raw.seeds), raw.budget)


def check_settings(settings: Settings) -> None:
    """Fail early if a parameter path or a range end is not a valid value of the base scenario."""
    try:
        find_scenario_file(settings.base)
    except InputError as exc:
        raise InputError(settings.source, "base", exc.expected, settings.base, exc.hint) from None
    for p in settings.parameters:
        for u in (0.0, 1.0):
            try:
                load_scenario(settings.base, [*settings.overrides, p.override(u)], days=settings.days)
            except ScenarioError as exc:
                raise InputError(
                    settings.source,
                    f"parameters.{p.path}",
                    "a range of valid scenario values",
                    p.value(u),
                    exc.message,
                ) from None


def current_values(settings: Settings) -> dict[str, Any]:
    """The base scenario's values of the free parameters."""
    data = load_scenario(settings.base, settings.overrides, days=settings.days).model_dump(mode="python")
    out = {}
    for p in settings.parameters:
        node: Any = data
        for part in canonical_path(p.path).split("."):
            node = node[int(part)] if isinstance(node, list) else node[part]
        out[p.path] = node
    return out


# =========================================================================== evaluation


@dataclass
class Evaluation:
    """One evaluated parameter set."""

    phase: str
    values: dict[str, Any]
    objective: float
    distance: float
    by_pattern: dict[str, float]
    checks: dict[str, float]
    """Mean value of each check over the seeds, by ``ID.check-index``."""


class Evaluator:
    """Runs the model for parameter sets and scores them against the patterns."""

    def __init__(
        self,
        settings: Settings,
        patterns: Sequence[Pattern],
        workers: int | None = None,
        progress: Callable[[int], None] | None = None,
        backend: Backend | None = None,
    ) -> None:
        self.settings = settings
        self.patterns = list(patterns)
        self.workers = workers
        self.progress = progress
        self.backend = backend
        """An open executor for every evaluation (else a pool of ``workers`` per batch)."""
        self.history: list[Evaluation] = []

    def _plan(self, values: dict[str, Any]) -> Plan:
        extra = [f"{k}={v!r}" for k, v in values.items()]
        plan = resolve_scenarios(self.patterns, [*self.settings.overrides, *extra], self.settings.days)
        plan.fixed_seeds = list(self.settings.seeds)
        return plan

    def runs_per_point(self) -> int:
        """Model runs needed to score one parameter set."""
        plan = self._plan({})
        return len(plan_jobs(plan, self.patterns, len(self.settings.seeds)))

    def evaluate(self, points: Sequence[dict[str, Any]], phase: str) -> list[Evaluation]:
        """Score parameter sets (all their runs in one parallel batch)."""
        plans = [self._plan(v) for v in points]
        jobs: list[Job] = []
        for i, plan in enumerate(plans):
            for job in plan_jobs(plan, self.patterns, len(self.settings.seeds)):
                jobs.append(Job(f"{i}#{job.key}", job.spec, job.seed, job.purchases))
        observations = run_jobs(jobs, self.workers, self.progress, self.backend)
        out = []
        for i, (values, plan) in enumerate(zip(points, plans, strict=True)):
            mine = {
                (k.split("#", 1)[1], seed): obs
                for (k, seed), obs in observations.items()
                if k.startswith(f"{i}#")
            }
            out.append(self._score(phase, values, plan, mine))
        self.history.extend(out)
        return out

    def _score(
        self, phase: str, values: dict[str, Any], plan: Plan, observations: dict[tuple[str, int], Observation]
    ) -> Evaluation:
        reps = replication_table(self.patterns, plan, observations, len(self.settings.seeds))
        means = reps.groupby(["pattern", "check"])[["value", "left", "right"]].mean()
        by_pattern: dict[str, float] = {}
        checks: dict[str, float] = {}
        centre = 0.0
        for p in self.patterns:
            total = 0.0
            for j, c in enumerate(p.checks):
                value, left, right = (float(x) for x in means.loc[(p.id, j)])
                total += band_distance(c, value, left, right)
                checks[f"{p.id}.{j}"] = value
                if c.band is not None and all(np.isfinite(c.band)) and np.isfinite(value):
                    width = (c.band[1] - c.band[0]) or 1.0
                    aim = c.point if c.point is not None else (c.band[0] + c.band[1]) / 2
                    centre += abs(value - aim) / width
            by_pattern[p.id] = total
        distance = float(sum(by_pattern.values()))
        objective = distance + CENTRE_WEIGHT * centre if np.isfinite(distance) else 1e9
        return Evaluation(phase, dict(values), objective, distance, by_pattern, checks)


def values_at(settings: Settings, u: np.ndarray) -> dict[str, Any]:
    """Parameter values at a point of the unit cube."""
    return {p.path: p.value(x) for p, x in zip(settings.parameters, np.clip(u, 0.0, 1.0), strict=True)}


def design(settings: Settings) -> np.ndarray:
    """The space-filling design in the unit cube (``samples`` points)."""
    from scipy.stats import qmc

    d, n, seed = len(settings.parameters), settings.budget.samples, settings.budget.sampler_seed
    if settings.budget.sampler == "sobol":
        return np.asarray(qmc.Sobol(d, scramble=True, seed=seed).random(n), dtype=float)
    return np.asarray(qmc.LatinHypercube(d, seed=seed).random(n), dtype=float)


def search(
    settings: Settings, evaluator: Evaluator, log: Callable[[str], None] | None = None
) -> list[Evaluation]:
    """The base point, the design, then Nelder–Mead from the best design point."""
    from scipy.optimize import minimize

    base = evaluator.evaluate([current_values(settings)], "base")[0]
    if log:
        log(f"base: distance {base.distance:.3f}")
    sample = design(settings)
    evaluator.evaluate([values_at(settings, u) for u in sample], settings.budget.sampler)
    scored = evaluator.history[1:]
    best_i = int(np.argmin([e.objective for e in scored]))
    if log:
        log(f"{settings.budget.sampler}: best of {len(scored)} has distance {scored[best_i].distance:.3f}")
    if settings.budget.refine > 0:
        cache: dict[tuple[float, ...], float] = {}

        def objective(u: np.ndarray) -> float:
            values = values_at(settings, u)
            key = tuple(values.values())
            if key not in cache:
                cache[key] = evaluator.evaluate([values], "nelder-mead")[0].objective
            return cache[key]

        x0 = np.clip(sample[best_i], 0.0, 1.0)
        d = x0.size
        simplex = np.vstack(
            [x0] + [np.clip(x0 + 0.15 * np.eye(d)[k] * (1 if x0[k] < 0.85 else -1), 0, 1) for k in range(d)]
        )
        minimize(
            objective,
            x0,
            method="Nelder-Mead",
            bounds=[(0.0, 1.0)] * d,
            options={
                "maxfev": settings.budget.refine,
                "initial_simplex": simplex,
                "xatol": 1e-3,
                "fatol": 1e-4,
            },
        )
        if log:
            best = min(evaluator.history, key=lambda e: e.objective)
            log(f"nelder-mead: {len(cache)} evaluations, best distance {best.distance:.3f}")
    return evaluator.history


def evaluations_table(history: Sequence[Evaluation]) -> pd.DataFrame:
    """One row per evaluation: phase, parameter values, objective, distances and check values."""
    rows = []
    for i, e in enumerate(history):
        rows.append(
            {
                "evaluation": i,
                "phase": e.phase,
                **e.values,
                "objective": e.objective,
                "distance": e.distance,
                **{f"distance_{k}": v for k, v in e.by_pattern.items()},
                **{f"value_{k}": v for k, v in e.checks.items()},
            }
        )
    return pd.DataFrame(rows)


def ranked(history: Sequence[Evaluation]) -> list[Evaluation]:
    """Evaluations from best to worst objective."""
    return sorted(history, key=lambda e: e.objective)


# =========================================================================== scenario output


def scenario_target(name: str) -> Path:
    """Where ``--write-scenario NAME`` writes: ``scenarios/NAME.toml``, or a path ending in .toml."""
    if name.endswith(".toml") or "/" in name or os.sep in name:
        return Path(name)
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_\-]*", name):
        raise InputError(
            "--write-scenario", name, "a scenario name (letters, digits, _ and -) or a .toml path"
        )
    return scenarios_dir() / f"{name}.toml"


def scenario_text(settings: Settings, best: Evaluation, target: Path, note: str) -> str:
    """A scenario that extends the base with the calibrated values."""
    base = settings.base
    base_file = find_scenario_file(base).resolve()
    here = target.parent.resolve()
    if base.endswith(".toml") or here != base_file.parent:
        # a path the written file resolves from its own folder: relative within a project, else absolute
        shared = os.path.commonpath([here, base_file])
        base = os.path.relpath(base_file, here) if shared != os.path.sep else str(base_file)
    tables: dict[str, Any] = {}
    for path, value in best.values.items():
        node = tables
        *parents, key = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[key] = value
    head = {
        "name": target.stem,
        "description": f"{Path(base).stem} with free parameters calibrated to the patterns.",
        "extends": base,
    }
    lines = [f"# {line}" if line else "#" for line in note.splitlines()]
    return "\n".join(lines) + "\n" + tomli_w.dumps({**head, **tables})


def write_scenario(settings: Settings, best: Evaluation, target: Path, note: str) -> Path:
    """Write the scenario atomically, after checking that it loads."""
    text = scenario_text(settings, best, target, note)
    return atomic_write_text(target, text, check=load_scenario)


# =========================================================================== the record


def validate_command(best: Evaluation, settings: Settings) -> str:
    """The ``cxsim validate`` call that checks a parameter set on every pattern's scenario."""
    sets = [*settings.overrides, *(f"{k}={v!r}" for k, v in best.values.items())]
    return (
        "cxsim validate "
        + " ".join(f"--set {s}" for s in sets)
        + (f" --days {settings.days}" if settings.days else "")
    )


def calibration_info(
    settings: Settings, params: Path, patterns: Sequence[Pattern], history: Sequence[Evaluation], **extra: Any
) -> dict[str, Any]:
    """The record of a calibration (``calibration.json``): command, settings, budget and the best set."""
    best = ranked(history)[0]
    return {
        "command": command_line(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "params_file": str(params),
        "base": settings.base,
        "patterns": [p.id for p in patterns],
        "seeds": settings.seeds,
        "budget": settings.budget.model_dump(),
        "overrides": settings.overrides,
        "days": settings.days,
        **extra,
        "evaluations": len(history),
        "best": {"values": best.values, "distance": best.distance, "by_pattern": best.by_pattern},
    }


def calibration_note(settings: Settings, info: dict[str, Any], best: Evaluation) -> str:
    """The comment at the top of a calibrated scenario: where it comes from, how to validate it."""
    return (
        f"Written by `cxsim calibrate` on {info['date'][:10]} from {info['params_file']}\n"
        f"({info['evaluations']} evaluations on seeds {settings.seeds}"
        + (f", with --set {' '.join(settings.overrides)}" if settings.overrides else "")
        + (f", {settings.days} days" if settings.days else "")
        + f"; patterns {', '.join(info['patterns'])}).\n"
        f"Distance to the bands: {best.distance:.4f} (0 = every pattern inside its band).\n"
        f"Validate these values on every pattern's scenario with:\n  {validate_command(best, settings)}"
    )


def write_calibration(
    out: Path,
    settings: Settings,
    history: Sequence[Evaluation],
    info: dict[str, Any],
    note: str,
    *,
    overwrite: bool = False,
) -> Path:
    """Write every evaluation, ``calibration.json`` and ``best.toml`` to ``out``, atomically.

    ``out`` follows the output-folder rule of :mod:`cxsim.core.io`.
    """
    table = evaluations_table(history)
    best = ranked(history)[0]
    with output_dir(out, "calibrate", overwrite=overwrite) as tmp:
        table.to_parquet(tmp / "evaluations.parquet", index=False)
        table.to_csv(tmp / "evaluations.csv", index=False)
        atomic_write_json(tmp / "calibration.json", info)
        atomic_write_text(tmp / "best.toml", scenario_text(settings, best, out / "best.toml", note))
    return out
