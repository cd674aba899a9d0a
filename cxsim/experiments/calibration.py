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

import json
import math
import os
import re
import sys
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cxsim.core.errors import InputError, ScenarioError
from cxsim.experiments.validation import (
    Job,
    Pattern,
    Plan,
    band_distance,
    load_patterns,
    machine,
    plan_jobs,
    replication_table,
    resolve_scenarios,
    run_jobs,
)
from cxsim.model.scenario import find_scenario_file, load_scenario, scenarios_dir

DEFAULT_FILE = Path("calibration/free_parameters.toml")
CENTRE_WEIGHT = 0.01
"""Weight of the distance to the published figures (or band centres) in the objective: a tie-breaker."""


# =========================================================================== the file


class Budget(BaseModel):
    """How many model evaluations the search may spend."""

    model_config = ConfigDict(extra="forbid")
    sampler: Literal["lhs", "sobol"] = "lhs"
    samples: Annotated[int, Field(ge=1, le=100_000)] = 24
    refine: Annotated[int, Field(ge=0, le=100_000)] = 24
    sampler_seed: Annotated[int, Field(ge=0)] = 12345


class FreeParametersFile(BaseModel):
    """The top level of ``free_parameters.toml``."""

    model_config = ConfigDict(extra="forbid")
    base: str = "baseline"
    patterns: list[str] = Field(default_factory=list)
    seeds: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)] = [1, 2]
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
    source = str(path)
    if not path.is_file():
        raise InputError(
            source, "", "a free-parameters file (see calibration/free_parameters.toml)", "no such file"
        )
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(source, "", "valid TOML", hint=str(exc)) from None
    try:
        raw = FreeParametersFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(x) for x in err["loc"])
        found = "nothing" if err["type"] == "missing" else err.get("input")
        raise InputError(source, key, str(err["msg"]).lower(), found) from None
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
        for part in p.path.split("."):
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
    ) -> None:
        self.settings = settings
        self.patterns = list(patterns)
        self.workers = workers
        self.progress = progress
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
                jobs.append(Job(f"{i}#{job.key}", job.spec, job.seed))
        observations = run_jobs(jobs, self.workers, self.progress)
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

    def _score(self, phase: str, values: dict[str, Any], plan: Plan, observations: dict) -> Evaluation:
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
        return qmc.Sobol(d, scramble=True, seed=seed).random(n)
    return qmc.LatinHypercube(d, seed=seed).random(n)


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
    from cxsim.cli.main import to_toml

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
    return "\n".join(lines) + "\n" + to_toml({**head, **tables})


def write_scenario(settings: Settings, best: Evaluation, target: Path, note: str) -> Path:
    """Write the scenario atomically, after checking that it loads."""
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    text = scenario_text(settings, best, target, note)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".toml", dir=target.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        load_scenario(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


# =========================================================================== command line


def validate_command(best: Evaluation, settings: Settings) -> str:
    """The ``cxsim validate`` call that checks a parameter set on every pattern's scenario."""
    sets = [*settings.overrides, *(f"{k}={v!r}" for k, v in best.values.items())]
    return (
        "cxsim validate "
        + " ".join(f"--set {s}" for s in sets)
        + (f" --days {settings.days}" if settings.days else "")
    )


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def top_table(history: Sequence[Evaluation], k: int, patterns: Sequence[Pattern]) -> Any:
    """The best ``k`` parameter sets (columns) with the distance to each pattern's band."""
    from rich.table import Table

    best = ranked(history)[:k]
    base = next((e for e in history if e.phase == "base"), None)
    shown = [*best, *([base] if base is not None and base not in best else [])]
    t = Table(title=f"best {len(best)} of {len(history)} parameter sets", title_justify="left")
    t.add_column("")
    for i, e in enumerate(shown):
        rank = f"#{i + 1}" if e in best else "base"
        t.add_column(f"{rank}\n{e.phase}" if rank != "base" else "base", justify="right")
    t.add_row("[bold]distance to the bands[/]", *(f"[bold]{e.distance:.3f}[/]" for e in shown))
    for p in patterns:
        name = p.name if len(p.name) <= 40 else p.name[:39] + "…"
        t.add_row(f"  {p.id} {name}", *(f"{e.by_pattern[p.id]:.3f}" for e in shown))
    t.add_section()
    for name in history[0].values if history else []:
        t.add_row(name, *(_fmt(e.values[name]) for e in shown))
    return t


def register(app: Any) -> None:
    """Add ``cxsim calibrate`` to the command line."""
    import typer

    from cxsim.cli.main import Quiet, SetOpt, console, fail_cleanly, progress_enabled

    @app.command()
    @fail_cleanly
    def calibrate(
        params: Annotated[
            Path, typer.Option("--params", help="Free parameters, ranges, patterns, seeds and budget (TOML).")
        ] = DEFAULT_FILE,
        patterns: Annotated[
            list[Path] | None,
            typer.Option(
                "--patterns", help="A patterns file that adds or replaces patterns by id (repeatable)."
            ),
        ] = None,
        only: Annotated[
            list[str] | None, typer.Option("--only", help="Calibrate to this pattern id (repeatable).")
        ] = None,
        samples: Annotated[
            int | None, typer.Option(help="Design points (overrides the budget).", min=1)
        ] = None,
        refine: Annotated[
            int | None, typer.Option(help="Nelder–Mead evaluations (overrides the budget; 0: none).", min=0)
        ] = None,
        seed: Annotated[
            list[int] | None, typer.Option("--seed", help="A seed of the fixed seed set (repeatable).", min=0)
        ] = None,
        workers: Annotated[int, typer.Option(help="Parallel processes (0: one per core).", min=0)] = 0,
        set_: SetOpt = None,
        days: Annotated[int | None, typer.Option(help="Override every scenario's horizon.", min=1)] = None,
        top: Annotated[int, typer.Option(help="How many of the best parameter sets to show.", min=1)] = 5,
        out: Annotated[Path, typer.Option(help="Write every evaluation here.")] = Path("calibration/results"),
        write_scenario_: Annotated[
            str | None,
            typer.Option(
                "--write-scenario",
                help="Write the best set as scenarios/NAME.toml (or a path ending in .toml).",
            ),
        ] = None,
        force: Annotated[bool, typer.Option(help="Replace an existing scenario file.")] = False,
        quiet: Quiet = False,
    ) -> None:
        """Search the free parameters to bring the patterns into their bands (docs/VALIDATION.md).

        A Latin hypercube (or Sobol) design over the declared ranges, then Nelder–Mead from
        its best point, every evaluation on the same seeds. Prints the best parameter sets
        with the distance to each pattern's band; writes every evaluation to --out and, with
        --write-scenario, the best set as a scenario that extends the base.
        """
        from cxsim.experiments.results import atomic_dir, check_writable

        started = time.time()
        settings = read_settings(params)
        settings.overrides = list(set_ or [])
        settings.days = days
        if samples is not None:
            settings.budget.samples = samples
        if refine is not None:
            settings.budget.refine = refine
        if seed:
            settings.seeds = list(dict.fromkeys(seed))
        ids = list(only or settings.pattern_ids)
        chosen = load_patterns(patterns or (), ids)
        check_settings(settings)
        check_writable(out)
        target = scenario_target(write_scenario_) if write_scenario_ else None
        if target is not None:
            if target.exists() and not force:
                raise InputError(
                    "--write-scenario", str(target), "a new scenario file (or --force)", "it exists"
                )
            check_writable(target.parent)
        bar = None
        evaluator = Evaluator(settings, chosen, workers or None)
        per_point = evaluator.runs_per_point()
        budget = settings.budget
        if progress_enabled(quiet):
            from tqdm import tqdm

            total = per_point * (1 + budget.samples + budget.refine)
            bar = tqdm(total=total, desc="calibrate", unit="run", leave=False)
            evaluator.progress = bar.update
        try:
            history = search(
                settings, evaluator, None if quiet else lambda m: console.print(m, highlight=False)
            )
        finally:
            if bar is not None:
                bar.close()
        best = ranked(history)[0]
        table = evaluations_table(history)
        info = {
            "command": " ".join(["cxsim", *sys.argv[1:]]),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "params_file": str(params),
            "base": settings.base,
            "patterns": [p.id for p in chosen],
            "seeds": settings.seeds,
            "budget": settings.budget.model_dump(),
            "overrides": settings.overrides,
            "days": days,
            "runs_per_evaluation": per_point,
            "evaluations": len(history),
            "seconds": round(time.time() - started, 1),
            "best": {"values": best.values, "distance": best.distance, "by_pattern": best.by_pattern},
        }
        note = (
            f"Written by `cxsim calibrate` on {info['date'][:10]} from {params}\n"
            f"({len(history)} evaluations on seeds {settings.seeds}"
            + (f", with --set {' '.join(settings.overrides)}" if settings.overrides else "")
            + (f", {days} days" if days else "")
            + f"; patterns {', '.join(info['patterns'])}).\n"
            f"Distance to the bands: {best.distance:.4f} (0 = every pattern inside its band).\n"
            f"Validate these values on every pattern's scenario with:\n  {validate_command(best, settings)}"
        )
        with atomic_dir(out) as tmp:
            table.to_parquet(tmp / "evaluations.parquet", index=False)
            table.to_csv(tmp / "evaluations.csv", index=False)
            (tmp / "calibration.json").write_text(json.dumps(info, indent=2, default=str) + "\n")
            (tmp / "best.toml").write_text(scenario_text(settings, best, out / "best.toml", note))
        console.print(top_table(history, top, chosen))
        verdict = (
            "every chosen pattern is inside its band" if best.distance == 0 else "some patterns stay outside"
        )
        console.print(f"best distance {best.distance:.4f}: {verdict}; evaluations written to [bold]{out}[/]")
        console.print(f"validate these values with: {validate_command(best, settings)}", highlight=False)
        if target is not None:
            write_scenario(settings, best, target, note)
            console.print(f"scenario written to [bold]{target}[/]")
