"""Pattern-oriented validation: does the model reproduce the published patterns.

Pattern-oriented modelling (Grimm et al. 2005, Science 310:987) asks one set of
parameters to reproduce several observed patterns at once. The patterns are data
(``cxsim/patterns.toml``; a researcher adds or replaces some with ``--patterns``):
each names a scenario, a metric of a run and a target band or comparison.
``cxsim validate`` runs every scenario with replications, reports the mean with
a 95% confidence interval, the band, pass or fail and the source, and writes the
table and one figure per pattern.

Metrics are written in a tiny expression language that is parsed, never
evaluated as Python: numbers, ``+ - * /``, parentheses, summary column names,
a few built-in window functions of timeseries columns (:data:`FUNCTIONS`), and
at most one top-level comparison ``>`` or ``<``.

Pass rules (docs/VALIDATION.md): a band check passes when the mean over
replications lies in ``[low, high]``; a comparison passes when the lower bound of
the 95% t-interval of the difference (left minus right for ``>``) is above 0. A
pattern passes when all its checks pass.
"""

import ast
import functools
import math
import multiprocessing
import os
import platform
import sys
import time
import tomllib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cxsim.core.errors import InputError, did_you_mean
from cxsim.model.metrics import TIMESERIES_COLUMNS
from cxsim.model.scenario import Scenario, find_scenario_file, load_scenario

PATTERNS_FILE = Path(__file__).resolve().parents[1] / "patterns.toml"

# Timeseries columns that are shares of the day's purchases: window means weight them by purchases.
PURCHASE_WEIGHTED = frozenset(
    {
        "share_walk_in",
        "share_delivery",
        "share_pickup",
        "online_share",
        "showrooming_rate",
        "competitive_showrooming_rate",
        "webrooming_rate",
        "mean_satisfaction",
        "return_rate",
    }
)
SERIES_COLUMNS = tuple(c for c in TIMESERIES_COLUMNS if c not in ("day", "events"))

# name: (integer arguments after the column, their defaults, whether a lockdown is needed)
FUNCTIONS: dict[str, tuple[tuple[str, ...], tuple[int | None, ...], bool]] = {
    "before_lockdown": (("days",), (30,), True),
    "during_lockdown": ((), (), True),
    "after_lockdown": (("after", "days"), (365, 30), True),
    "days_mean": (("first", "last"), (None, None), False),
}


# =========================================================================== expressions


@dataclass(frozen=True)
class Num:
    """A number."""

    value: float


@dataclass(frozen=True)
class Col:
    """A summary column of a run."""

    name: str


@dataclass(frozen=True)
class Call:
    """A built-in window function of a timeseries column."""

    fn: str
    column: str
    args: tuple[int, ...]


@dataclass(frozen=True)
class Ref:
    """An expression evaluated on the pattern's reference run (same seed, same days)."""

    expr: "Expr"


@dataclass(frozen=True)
class Bin:
    """An arithmetic operation: ``+ - * /``."""

    op: str
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: "Expr"


Expr = Num | Col | Call | Ref | Bin | Neg

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


class ExprError(ValueError):
    """A metric expression outside the allowed language."""


def parse_metric(text: str) -> tuple[Expr, str | None, Expr | None]:
    """Parse ``EXPR`` or ``EXPR > EXPR`` / ``EXPR < EXPR``.

    Returns ``(left, op, right)``; ``op`` and ``right`` are None without a comparison.
    Raises :class:`ExprError` for anything outside the language.
    """
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExprError(f"not a valid expression ({exc.msg})") from None
    if isinstance(tree, ast.Compare):
        if len(tree.ops) != 1 or not isinstance(tree.ops[0], ast.Gt | ast.Lt):
            raise ExprError("a comparison must be one '>' or '<' between two expressions")
        op = ">" if isinstance(tree.ops[0], ast.Gt) else "<"
        return _convert(tree.left), op, _convert(tree.comparators[0])
    return _convert(tree), None, None


def _convert(node: ast.AST, in_ref: bool = False) -> Expr:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return Num(float(node.value))
    if isinstance(node, ast.Name):
        return Col(node.id)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return Bin(_BINOPS[type(node.op)], _convert(node.left, in_ref), _convert(node.right, in_ref))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _convert(node.operand, in_ref)
        return Neg(inner) if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "ref":
        if in_ref or len(node.args) != 1 or node.keywords:
            raise ExprError("ref() takes one expression and cannot be nested")
        return Ref(_convert(node.args[0], True))
    if isinstance(node, ast.Call):
        return _convert_call(node)
    if isinstance(node, ast.Compare):
        raise ExprError("a comparison is allowed only once, at the top of the metric")
    raise ExprError(f"'{ast.unparse(node)}' is not allowed (numbers, names, + - * /, and {_fn_list()})")


def _fn_list() -> str:
    return ", ".join(f"{name}()" for name in (*FUNCTIONS, "ref"))


def _convert_call(node: ast.Call) -> Call:
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
        name = ast.unparse(node.func)
        hint = did_you_mean(name, [*FUNCTIONS, "ref"])
        raise ExprError(f"unknown function '{name}' (known: {_fn_list()}){' - ' + hint if hint else ''}")
    fn = node.func.id
    names, defaults, _ = FUNCTIONS[fn]
    if node.keywords or not node.args or len(node.args) > 1 + len(names):
        raise ExprError(f"{fn}() takes a timeseries column and up to {len(names)} whole numbers")
    col = node.args[0]
    if not isinstance(col, ast.Name):
        raise ExprError(f"the first argument of {fn}() must be a timeseries column name")
    if col.id not in SERIES_COLUMNS:
        hint = did_you_mean(col.id, SERIES_COLUMNS)
        raise ExprError(f"{fn}(): '{col.id}' is not a timeseries column{' - ' + hint if hint else ''}")
    args: list[int] = []
    for i, arg in enumerate(node.args[1:]):
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, int) and arg.value >= 0):
            raise ExprError(f"{fn}(): {names[i]} must be a whole number >= 0, found '{ast.unparse(arg)}'")
        args.append(int(arg.value))
    for i in range(len(args), len(names)):
        if defaults[i] is None:
            raise ExprError(f"{fn}() needs {', '.join(names)} after the column")
        args.append(int(defaults[i]))  # type: ignore[arg-type]
    if fn in ("before_lockdown", "after_lockdown") and args[-1] < 1:
        raise ExprError(f"{fn}(): days must be at least 1")
    if fn == "days_mean" and not 1 <= args[0] <= args[1]:
        raise ExprError("days_mean(): needs 1 <= first <= last")
    return Call(fn, col.id, tuple(args))


def walk(expr: Expr) -> Iterable[Expr]:
    """Every node of an expression."""
    yield expr
    if isinstance(expr, Bin):
        yield from walk(expr.left)
        yield from walk(expr.right)
    elif isinstance(expr, Neg):
        yield from walk(expr.operand)
    elif isinstance(expr, Ref):
        yield from walk(expr.expr)


# =========================================================================== observations


@dataclass
class Observation:
    """What the metrics of one run can see: its summary, timeseries and lockdown dates."""

    summary: dict[str, Any]
    timeseries: pd.DataFrame
    lockdown: tuple[int, int] | None  # (first day, number of days) of the first lockdown
    days: int
    reference: "Observation | None" = None
    """The reference run with the same seed, for ``ref(...)`` (windows use this run's lockdown)."""


def first_lockdown(spec: Scenario) -> tuple[int, int] | None:
    """(start, days) of the scenario's first lockdown event, or None."""
    for ev in spec.events:
        if ev.type == "lockdown":
            return int(ev.start), int(ev.days)  # type: ignore[union-attr]
    return None


def window(call: Call, lockdown: tuple[int, int] | None) -> tuple[int, int]:
    """The days (first, last) a window function averages over."""
    if call.fn == "days_mean":
        return call.args[0], call.args[1]
    assert lockdown is not None
    start, length = lockdown
    end = start + length  # first day after the lockdown
    if call.fn == "before_lockdown":
        return max(1, start - call.args[0]), start - 1
    if call.fn == "during_lockdown":
        return start, end - 1
    after, n = call.args
    return end + after, end + after + n - 1


def window_mean(ts: pd.DataFrame, column: str, first: int, last: int) -> float:
    """Mean of a timeseries column over days first..last (purchase-weighted for shares)."""
    rows = ts[(ts["day"] >= first) & (ts["day"] <= last)]
    values = rows[column].to_numpy(dtype=float)
    if column in PURCHASE_WEIGHTED:
        w = rows["purchases"].to_numpy(dtype=float)
        ok = np.isfinite(values) & (w > 0)
        return float(np.sum(values[ok] * w[ok]) / np.sum(w[ok])) if ok.any() else math.nan
    ok = np.isfinite(values)
    return float(values[ok].mean()) if ok.any() else math.nan


def evaluate(expr: Expr, obs: Observation) -> float:
    """The value of an expression for one run (NaN propagates; x/0 is NaN)."""
    if isinstance(expr, Num):
        return expr.value
    if isinstance(expr, Col):
        value = obs.summary[expr.name]
        return math.nan if value is None else float(value)
    if isinstance(expr, Call):
        first, last = window(expr, obs.lockdown)
        return window_mean(obs.timeseries, expr.column, first, last)
    if isinstance(expr, Neg):
        return -evaluate(expr.operand, obs)
    if isinstance(expr, Ref):
        if obs.reference is None:
            return math.nan
        return evaluate(expr.expr, replace(obs.reference, lockdown=obs.lockdown, reference=None))
    a, b = evaluate(expr.left, obs), evaluate(expr.right, obs)
    if expr.op == "+":
        return a + b
    if expr.op == "-":
        return a - b
    if expr.op == "*":
        return a * b
    return a / b if b != 0 else math.nan


# =========================================================================== patterns


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckSpec(_Strict):
    """One check of a pattern, as written in a patterns file."""

    metric: str
    label: str | None = None
    band: Annotated[list[float], Field(min_length=2, max_length=2)] | None = None
    point: float | None = None
    """The published figure as a number, if there is one (shown; calibrate ranks by it)."""
    percent: bool = False


class PatternSpec(_Strict):
    """A pattern, as written in a patterns file."""

    id: Annotated[str, Field(min_length=1)]
    name: str
    scenario: str
    source: str
    figure: str = ""
    reference: str | None = None
    min_reps: Annotated[int, Field(ge=1)] = 1
    """Replications this pattern needs at least, whatever ``--reps`` says (statistical power)."""
    checks: list[CheckSpec] | None = None
    metric: str | None = None
    label: str | None = None
    band: Annotated[list[float], Field(min_length=2, max_length=2)] | None = None
    point: float | None = None
    percent: bool = False


class PatternsFile(_Strict):
    """The top level of a patterns file."""

    patterns: list[PatternSpec]


@dataclass(frozen=True)
class Check:
    """A parsed check: a metric, and a band or a comparison."""

    label: str
    metric: str
    left: Expr
    op: str | None
    right: Expr | None
    band: tuple[float, float] | None
    percent: bool
    point: float | None = None
    """The published figure as a number (None when qualitative or not comparable)."""

    @property
    def is_comparison(self) -> bool:
        """Whether the check compares two expressions (pass: CI of the difference above 0)."""
        return self.op is not None

    def value(self, obs: Observation) -> tuple[float, float, float]:
        """(value, left, right) for one run; for a comparison the value is the difference."""
        left = evaluate(self.left, obs)
        if self.right is None:
            return left, left, math.nan
        right = evaluate(self.right, obs)
        return (left - right if self.op == ">" else right - left), left, right

    def target(self) -> str:
        """The target as text: a band or ``> 0`` for a comparison."""
        if self.band is None:
            return "difference > 0"
        lo, hi = self.band
        fmt = _fmt_pct if self.percent else _fmt_num
        if math.isinf(hi):
            return f">= {fmt(lo)}"
        if math.isinf(lo):
            return f"<= {fmt(hi)}"
        return f"{fmt(lo)} – {fmt(hi)}"

    def expressions(self) -> list[Expr]:
        """The expression trees of the check."""
        return [self.left] if self.right is None else [self.left, self.right]


@dataclass(frozen=True)
class Pattern:
    """A pattern: where to measure it, its checks, and where the figure comes from."""

    id: str
    name: str
    scenario: str
    source: str
    figure: str
    checks: tuple[Check, ...]
    origin: Path
    """The patterns file that defined it (scenario paths are relative to it)."""
    reference: str | None = None
    """A scenario run with the same seeds and horizon, for ``ref(...)`` in metrics."""
    min_reps: int = 1
    """Replications the pattern needs at least (a small effect needs more runs to be seen)."""

    def reps(self, requested: int) -> int:
        """Replications to run for this pattern when ``requested`` were asked for."""
        return max(requested, self.min_reps)

    def scenario_ref(self, name: str | None = None) -> str | Path:
        """A scenario as a name, or a path relative to the patterns file when it is one."""
        name = self.scenario if name is None else name
        local = self.origin.parent / name
        for candidate in (local, local.with_name(local.name + ".toml")):
            if candidate.is_file() and self.origin != PATTERNS_FILE:
                return candidate
        return name


def _fmt_pct(v: float) -> str:
    return f"{v:.1%}"


def _fmt_num(v: float) -> str:
    return f"{v:.2f}"


def read_patterns_file(path: Path) -> list[Pattern]:
    """Read and check one patterns file; every problem is an :class:`InputError`."""
    source = str(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(source, "", "valid TOML", hint=str(exc)) from None
    except OSError as exc:
        raise InputError(source, "", "a readable patterns file", hint=exc.strerror) from None
    try:
        raw = PatternsFile.model_validate(data)
    except ValidationError as exc:
        raise _schema_error(source, exc) from None
    out: list[Pattern] = []
    seen: set[str] = set()
    for i, p in enumerate(raw.patterns):
        where = f"patterns.{i} ({p.id})"
        if p.id in seen:
            raise InputError(source, f"{where}.id", "ids that are unique within the file", p.id)
        seen.add(p.id)
        specs = _check_specs(source, where, p)
        checks = tuple(_parse_check(source, f"{where}.checks.{j}", c) for j, c in enumerate(specs))
        out.append(
            Pattern(p.id, p.name, p.scenario, p.source, p.figure, checks, path, p.reference, p.min_reps)
        )
    return out


def _check_specs(source: str, where: str, p: PatternSpec) -> list[CheckSpec]:
    single = p.metric is not None
    if single and p.checks:
        raise InputError(source, where, "either `metric` (one check) or [[patterns.checks]], not both")
    if single:
        return [
            CheckSpec(metric=p.metric or "", label=p.label, band=p.band, point=p.point, percent=p.percent)
        ]
    if not p.checks:
        raise InputError(source, where, "a `metric` (with `band` unless it compares) or [[patterns.checks]]")
    if p.band is not None or p.label is not None or p.point is not None:
        raise InputError(source, where, "`band`, `point` and `label` inside each [[patterns.checks]]")
    return p.checks


def _parse_check(source: str, where: str, c: CheckSpec) -> Check:
    try:
        left, op, right = parse_metric(c.metric)
    except ExprError as exc:
        raise InputError(
            source, f"{where}.metric", "a metric in the pattern language", c.metric, str(exc)
        ) from None
    band: tuple[float, float] | None = None
    if op is None and c.band is None:
        raise InputError(
            source, f"{where}.band", "a band [low, high] for a metric without a comparison", "none"
        )
    if op is not None and c.band is not None:
        raise InputError(
            source, f"{where}.band", "no band for a comparison (it passes when the difference is > 0)", c.band
        )
    if c.band is not None:
        lo, hi = c.band
        if math.isnan(lo) or math.isnan(hi) or lo > hi:
            raise InputError(source, f"{where}.band", "[low, high] with low <= high", c.band)
        band = (float(lo), float(hi))
    if c.point is not None and (op is not None or not math.isfinite(c.point)):
        raise InputError(source, f"{where}.point", "a finite number, for a check with a band", c.point)
    return Check(c.label or c.metric, c.metric, left, op, right, band, c.percent, c.point)


def _schema_error(source: str, exc: ValidationError) -> InputError:
    err = exc.errors()[0]
    key = ".".join(str(x) for x in err["loc"])
    if err["type"] == "extra_forbidden":
        last = str(err["loc"][-1])
        known = list(CheckSpec.model_fields if "checks" in key else PatternSpec.model_fields)
        if len(err["loc"]) == 1:
            known = ["patterns"]
        return InputError(
            source, key, "a known key", last, did_you_mean(last, known) or f"known: {', '.join(known)}"
        )
    if err["type"] == "missing":
        return InputError(source, key, "a value (this key is required)", "nothing")
    msg = str(err["msg"])
    return InputError(source, key, msg[0].lower() + msg[1:], err.get("input"))


def load_patterns(
    extra: Sequence[Path] = (), only: Sequence[str] = (), *, shipped: bool = True
) -> list[Pattern]:
    """The shipped patterns, then each extra file's (same id replaces, new id is added).

    ``only`` keeps the named patterns, in that order.
    """
    merged: dict[str, Pattern] = {}
    for path in ([PATTERNS_FILE] if shipped else []) + [Path(p) for p in extra]:
        for p in read_patterns_file(path):
            merged[p.id] = p
    if only:
        missing = [i for i in only if i not in merged]
        if missing:
            raise InputError(
                "--only",
                missing[0],
                f"a pattern id ({', '.join(merged)})",
                hint=did_you_mean(missing[0], merged),
            )
        return [merged[i] for i in dict.fromkeys(only)]
    if not merged:
        raise InputError("--patterns", "", "at least one pattern", "none")
    return list(merged.values())


@functools.cache
def summary_columns() -> tuple[str, ...]:
    """Names of a run's summary columns (from a tiny probe run of the default town)."""
    from cxsim.model.cxmodel import CXModel

    spec = load_scenario(Scenario(), ["town.shoppers=1000", "warmup_days=0"], days=1)
    model = CXModel(spec)
    model.run()
    return tuple(k for k, v in model.summary().items() if isinstance(v, int | float | np.number))


def check_pattern(p: Pattern, spec: Scenario) -> None:
    """Check names and windows of a pattern's metrics against its (resolved) scenario."""
    known = summary_columns()
    lockdown = first_lockdown(spec)
    for j, c in enumerate(p.checks):
        key = f"{p.id}.checks.{j}.metric"
        for expr in c.expressions():
            for node in walk(expr):
                if isinstance(node, Ref) and p.reference is None:
                    raise InputError(
                        str(p.origin), key, "a `reference` scenario in the pattern for ref()", "none"
                    )
                if isinstance(node, Col) and node.name not in known:
                    raise InputError(
                        str(p.origin),
                        key,
                        "summary column names (or a window function of a timeseries column)",
                        node.name,
                        did_you_mean(node.name, known) or f"known: {', '.join(known)}",
                    )
                if not isinstance(node, Call):
                    continue
                if FUNCTIONS[node.fn][2] and lockdown is None:
                    raise InputError(
                        str(p.origin), key, f"a scenario with a lockdown event for {node.fn}()", spec.name
                    )
                first, last = window(node, lockdown)
                if first > last or first < 1:
                    raise InputError(
                        str(p.origin),
                        key,
                        f"{node.fn}() to cover at least one day of the run",
                        f"days {first}..{last}",
                    )
                if last > spec.days:
                    raise InputError(
                        str(p.origin),
                        key,
                        f"a run long enough for {node.fn}() (it needs day {last})",
                        f"{spec.name} runs {spec.days} days",
                    )


# =========================================================================== running


@dataclass(frozen=True)
class Job:
    """One run: a resolved scenario and a seed."""

    key: str
    spec: Scenario
    seed: int


def run_job(job: Job) -> tuple[str, int, Observation]:
    """Run one job (in a worker process) and keep what the metrics need."""
    from cxsim.experiments.results import run

    result = run(job.spec, seed=job.seed)
    obs = Observation(
        summary=result.summary.iloc[0].to_dict(),
        timeseries=result.timeseries.drop(columns=["events"]),
        lockdown=first_lockdown(job.spec),
        days=job.spec.days,
    )
    return job.key, job.seed, obs


def default_workers(n_jobs: int) -> int:
    """As many workers as cores (at most the number of jobs)."""
    return max(1, min(os.cpu_count() or 1, n_jobs))


def run_jobs(
    jobs: Sequence[Job],
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[tuple[str, int], Observation]:
    """Run jobs, in parallel processes when ``workers`` > 1; results by (key, seed)."""
    out: dict[tuple[str, int], Observation] = {}
    workers = default_workers(len(jobs)) if not workers else min(workers, max(1, len(jobs)))
    if workers <= 1:
        for job in jobs:
            key, seed, obs = run_job(job)
            out[key, seed] = obs
            if progress:
                progress(1)
        return out
    ctx = multiprocessing.get_context("forkserver")  # safe with threads; workers import cxsim once
    ctx.set_forkserver_preload(["cxsim.experiments.validation"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = [pool.submit(run_job, job) for job in jobs]
        for fut in as_completed(futures):
            key, seed, obs = fut.result()
            out[key, seed] = obs
            if progress:
                progress(1)
    return out


@dataclass
class Plan:
    """The resolved scenarios of a set of patterns, and which one each pattern uses."""

    specs: dict[str, Scenario] = field(default_factory=dict)
    main: dict[str, str] = field(default_factory=dict)
    """Pattern id -> key of its scenario in ``specs``."""
    reference: dict[str, str] = field(default_factory=dict)
    """Pattern id -> key of its reference scenario (same horizon), when it has one."""
    fixed_seeds: list[int] | None = None
    """Seeds for every pattern (common random numbers), instead of seed, seed + 1, ..."""

    def seeds(self, pattern_id: str, reps: int) -> list[int]:
        """Replication seeds of a pattern: its scenario's seed, seed + 1, ... (or the fixed seeds)."""
        if self.fixed_seeds is not None:
            return list(self.fixed_seeds)
        base = self.specs[self.main[pattern_id]].seed
        return [base + i for i in range(reps)]

    def label(self, key: str) -> str:
        """A short name for a scenario key (file stem, plus ``@days`` for references)."""
        return Path(key).stem if "@" not in key else f"{Path(key.split('@')[0]).stem}@{key.split('@')[1]}"


def _load_for(p: Pattern, name: str, field_name: str, overrides: Sequence[str], days: int | None) -> Scenario:
    ref = p.scenario_ref(name)
    try:
        find_scenario_file(ref)
    except InputError as exc:
        raise InputError(str(p.origin), f"{p.id}.{field_name}", exc.expected, name, exc.hint) from None
    return load_scenario(ref, list(overrides), days=days)


def resolve_scenarios(
    patterns: Sequence[Pattern], overrides: Sequence[str] = (), days: int | None = None
) -> Plan:
    """Load each pattern's scenario (and reference) once, with overrides, and check the pattern."""
    plan = Plan()
    for p in patterns:
        key = str(p.scenario_ref())
        if key not in plan.specs:
            plan.specs[key] = _load_for(p, p.scenario, "scenario", overrides, days)
        plan.main[p.id] = key
        check_pattern(p, plan.specs[key])
        if p.reference is not None:
            horizon = plan.specs[key].days
            rkey = f"{p.scenario_ref(p.reference)}@{horizon}"
            if rkey not in plan.specs:
                plan.specs[rkey] = _load_for(p, p.reference, "reference", overrides, horizon)
            plan.reference[p.id] = rkey
    return plan


def plan_jobs(plan: Plan, patterns: Sequence[Pattern], reps: int) -> list[Job]:
    """The runs the patterns need: ``reps`` seeds of each scenario, shared by its reference."""
    wanted: dict[tuple[str, int], None] = {}
    for p in patterns:
        for seed in plan.seeds(p.id, p.reps(reps)):
            wanted[plan.main[p.id], seed] = None
            if p.id in plan.reference:
                wanted[plan.reference[p.id], seed] = None
    return [Job(key, plan.specs[key], seed) for key, seed in wanted]


# =========================================================================== statistics


def mean_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float, float, int]:
    """Mean, t-interval bounds, standard deviation and count of the finite values."""
    from scipy import stats

    x = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    n = int(x.size)
    if n == 0:
        return math.nan, math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n == 1:
        return mean, math.nan, math.nan, math.nan, 1
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return mean, mean - half, mean + half, sd, n


def check_passes(check: Check, mean: float, ci_low: float) -> bool:
    """The pass rule: mean in band; for a comparison, lower CI bound of the difference > 0."""
    if check.is_comparison:
        return bool(np.isfinite(ci_low) and ci_low > 0)
    assert check.band is not None
    return bool(np.isfinite(mean) and check.band[0] <= mean <= check.band[1])


def band_distance(check: Check, value: float, left: float = math.nan, right: float = math.nan) -> float:
    """How far a value is from its target, in units of the band's width (0 inside).

    Comparisons: the shortfall of the difference below 0, relative to the mean size
    of the two sides. Open bands use the size of their finite bound as the unit.
    """
    if not np.isfinite(value):
        return math.inf
    if check.is_comparison:
        scale = (abs(left) + abs(right)) / 2 if np.isfinite(left) and np.isfinite(right) else 1.0
        return max(0.0, -value) / (scale or 1.0)
    assert check.band is not None
    lo, hi = check.band
    gap = max(lo - value, value - hi, 0.0)
    width = hi - lo
    if not np.isfinite(width) or width <= 0:
        finite = [abs(b) for b in (lo, hi) if np.isfinite(b)]
        width = max(finite) if finite and max(finite) > 0 else 1.0
    return gap / width


def observation(
    plan: Plan, pattern: Pattern, seed: int, observations: dict[tuple[str, int], Observation]
) -> Observation:
    """A pattern's observation of one replication, with its reference run attached."""
    obs = observations[plan.main[pattern.id], seed]
    if pattern.id in plan.reference:
        obs = replace(obs, reference=observations[plan.reference[pattern.id], seed])
    return obs


def replication_table(
    patterns: Sequence[Pattern],
    plan: Plan,
    observations: dict[tuple[str, int], Observation],
    reps: int,
) -> pd.DataFrame:
    """One row per pattern check and replication: the value (and both sides of comparisons)."""
    rows = []
    for p in patterns:
        for rep, seed in enumerate(plan.seeds(p.id, p.reps(reps))):
            obs = observation(plan, p, seed, observations)
            for j, c in enumerate(p.checks):
                value, left, right = c.value(obs)
                rows.append(
                    {
                        "pattern": p.id,
                        "check": j,
                        "label": c.label,
                        "scenario": plan.label(plan.main[p.id]),
                        "rep": rep,
                        "seed": seed,
                        "value": value,
                        "left": left,
                        "right": right,
                    }
                )
    return pd.DataFrame(rows).sort_values(["pattern", "check", "rep"], kind="stable").reset_index(drop=True)


def pattern_table(patterns: Sequence[Pattern], reps: pd.DataFrame) -> pd.DataFrame:
    """One row per pattern check: mean, 95% CI, band, pass and source."""
    rows = []
    for p in patterns:
        results = []
        for j, c in enumerate(p.checks):
            sub = reps[(reps["pattern"] == p.id) & (reps["check"] == j)]
            mean, lo, hi, sd, n = mean_ci(sub["value"].tolist())
            passed = check_passes(c, mean, lo)
            results.append(passed)
            rows.append(
                {
                    "pattern": p.id,
                    "name": p.name,
                    "check": j,
                    "label": c.label,
                    "scenario": str(sub["scenario"].iloc[0]) if len(sub) else p.scenario,
                    "metric": c.metric,
                    "kind": "comparison" if c.is_comparison else "band",
                    "value": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                    "sd": sd,
                    "reps": n,
                    "band_low": 0.0 if c.is_comparison else c.band[0],  # type: ignore[index]
                    "band_high": math.inf if c.is_comparison else c.band[1],  # type: ignore[index]
                    "target": c.target(),
                    "point": math.nan if c.point is None else c.point,
                    "percent": c.percent,
                    "passed": passed,
                    "source": p.source,
                    "figure": p.figure,
                }
            )
        for row in rows[-len(p.checks) :]:
            row["pattern_passed"] = all(results)
    return pd.DataFrame(rows)


# =========================================================================== output


def format_value(row: pd.Series | dict[str, Any]) -> str:
    """``mean [low, high]`` in the check's units (percentage points for shares compared)."""
    if row["percent"] and row["kind"] == "comparison":

        def fmt(v: float) -> str:
            return f"{100 * v:+.1f} pp"
    elif row["percent"]:
        fmt = _fmt_pct
    else:
        fmt = _fmt_num
    if not np.isfinite(row["value"]):
        return "n/a"
    text = fmt(row["value"])
    if np.isfinite(row["ci_low"]):
        text += f" [{fmt(row['ci_low'])}, {fmt(row['ci_high'])}]"
    return text


def rich_table(table: pd.DataFrame, title: str) -> Any:
    """The pattern table for the terminal."""
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    for col in ("pattern", "check", "value [95% CI]", "target", "result", "source"):
        t.add_column(col, overflow="fold", no_wrap=col in ("pattern", "result"))
    last = None
    for _, r in table.iterrows():
        first = r["pattern"] != last
        if first and last is not None:
            t.add_section()
        last = r["pattern"]
        verdict = "[green]pass[/]" if r["passed"] else "[bold red]FAIL[/]"
        t.add_row(
            str(r["pattern"]) if first else "",
            str(r["label"]),
            format_value(r),
            str(r["target"]),
            verdict,
            str(r["source"]) if first else "",
        )
    return t


def markdown_table(table: pd.DataFrame) -> str:
    """The pattern table as Markdown (for docs/VALIDATION.md)."""
    lines = [
        "| pattern | check | value [95% CI] | target | result | source |",
        "|---|---|---|---|---|---|",
    ]
    last = None
    for _, r in table.iterrows():
        first = r["pattern"] != last
        last = r["pattern"]
        lines.append(
            f"| {r['pattern'] if first else ''} | {r['label']} | {format_value(r)} | {r['target']} | "
            f"{'pass' if r['passed'] else '**FAIL**'} | {r['source'] if first else ''} |"
        )
    return "\n".join(lines) + "\n"


def pattern_figure(p: Pattern, table: pd.DataFrame, reps: pd.DataFrame, path: Path) -> None:
    """One figure per pattern: each check's replications, mean and 95% CI against the band."""
    import matplotlib

    matplotlib.use("Agg")
    import textwrap

    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    rows = table[table["pattern"] == p.id].reset_index(drop=True)
    n = len(rows)
    fig, axes = plt.subplots(1, n, figsize=(max(6.5, 0.6 + 3.0 * n), 5.0), squeeze=False)
    rng = np.random.default_rng(0)
    for ax, (_, r), check in zip(axes[0], rows.iterrows(), p.checks, strict=True):
        vals = reps[(reps["pattern"] == p.id) & (reps["check"] == r["check"])]["value"].to_numpy(float)
        finite = vals[np.isfinite(vals)]
        lo, hi = float(r["band_low"]), float(r["band_high"])
        shown = [*finite.tolist(), *(v for v in (lo, hi, r["ci_low"], r["ci_high"]) if np.isfinite(v))]
        if check.is_comparison:
            shown.append(0.0)
        ymin, ymax = (min(shown), max(shown)) if shown else (0.0, 1.0)
        pad = 0.15 * (ymax - ymin or abs(ymax) or 1.0)
        ymin, ymax = ymin - pad, ymax + pad
        ax.axhspan(max(lo, ymin), min(hi, ymax), color="tab:green", alpha=0.18, lw=0, label="target")
        if check.point is not None:
            ymin, ymax = min(ymin, check.point), max(ymax, check.point)
            ax.axhline(check.point, color="tab:orange", lw=1.5, ls=":", label="published figure")
        for b in (lo, hi):
            if ymin <= b <= ymax:
                ax.axhline(b, color="tab:green", lw=1, ls="--" if check.is_comparison else "-")
        ax.scatter(
            rng.uniform(-0.12, 0.12, finite.size), finite, s=22, color="0.55", zorder=3, label="replications"
        )
        if np.isfinite(r["value"]):
            err = None
            if np.isfinite(r["ci_low"]):
                err = [[r["value"] - r["ci_low"]], [r["ci_high"] - r["value"]]]
            color = "tab:blue" if r["passed"] else "tab:red"
            ax.errorbar(
                [0.3],
                [r["value"]],
                yerr=err,
                fmt="D",
                color=color,
                capsize=6,
                ms=7,
                zorder=4,
                label="mean, 95% CI",
            )
        ax.set_xlim(-0.5, 0.7)
        ax.set_ylim(ymin, ymax)
        ax.set_xticks([])
        ax.set_title(
            textwrap.fill(str(r["label"]), 34) + f"\n{'pass' if r['passed'] else 'FAIL'}",
            fontsize=9,
            color="black" if r["passed"] else "tab:red",
        )
        if r["percent"]:
            digits = 1 if ymax - ymin < 0.08 else 0
            if check.is_comparison:
                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _, d=digits: f"{100 * v:+.{d}f} pp"))
            else:
                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _, d=digits: f"{v:.{d}%}"))
        if check.is_comparison:
            sub = reps[(reps["pattern"] == p.id) & (reps["check"] == r["check"])]
            fmt = _fmt_pct if r["percent"] else _fmt_num
            sides = check.metric.split(check.op or ">")
            left, right = fmt(sub["left"].mean()), fmt(sub["right"].mean())
            note = "\n".join(
                textwrap.fill(f"{side.strip()}: {val}", 44)
                for side, val in zip(sides, (left, right), strict=True)
            )
            ax.text(
                0.5,
                -0.04,
                note,
                transform=ax.transAxes,
                ha="center",
                va="top",
                fontsize=7,
                wrap=True,
            )
            ax.set_ylabel(f"difference ({'left − right' if check.op == '>' else 'right − left'})", fontsize=8)
        else:
            ylabel = check.metric if len(check.metric) <= 40 else "value"
            ax.set_ylabel(ylabel, fontsize=8)
    legend: dict[str, Any] = {}
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(label, handle)
    fig.legend(
        list(legend.values()),
        list(legend),
        fontsize=7,
        loc="lower center",
        ncol=4,
        frameon=False,
        bbox_to_anchor=(0.5, 0.055),
    )
    verdict = "pass" if bool(rows["pattern_passed"].iloc[0]) else "FAIL"
    fig.suptitle(textwrap.fill(f"{p.id} {p.name} — {verdict}", 90), fontsize=10)
    width = int(fig.get_figwidth() * 15)
    fig.text(0.01, 0.01, textwrap.fill(f"Source: {p.source}. {p.figure}", width), fontsize=7, va="bottom")
    fig.tight_layout(rect=(0, 0.13, 1, 0.94))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def git_dirty() -> bool | None:
    """Whether the model's code or scenarios differ from the recorded commit."""
    from cxsim.experiments.results import git_dirty as tree_dirty

    return tree_dirty("cxsim", "scenarios", untracked=True)


def machine() -> str:
    """A one-line description of this machine."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    python = sys.version.split()[0]
    return f"{platform.platform()}, {cpu or 'unknown CPU'}, {os.cpu_count()} cores, Python {python}"


@dataclass
class Validation:
    """Everything a validation produced."""

    patterns: list[Pattern]
    table: pd.DataFrame
    replications: pd.DataFrame
    runs: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Whether every pattern passed."""
        return bool(self.table["passed"].all())

    def write(self, out: str | Path) -> Path:
        """Write the tables, figures and provenance through an atomic folder."""
        import json

        from cxsim.experiments.results import atomic_dir

        with atomic_dir(out) as tmp:
            self.table.to_csv(tmp / "patterns.csv", index=False)
            self.table.to_parquet(tmp / "patterns.parquet", index=False)
            self.replications.to_parquet(tmp / "replications.parquet", index=False)
            self.runs.to_parquet(tmp / "runs.parquet", index=False)
            (tmp / "patterns.md").write_text(markdown_table(self.table))
            (tmp / "validation.json").write_text(json.dumps(self.info, indent=2, default=str) + "\n")
            figures = tmp / "figures"
            figures.mkdir()
            for p in self.patterns:
                pattern_figure(p, self.table, self.replications, figures / f"{p.id}.png")
        return Path(out)


def validate_patterns(
    patterns: Sequence[Pattern],
    reps: int = 5,
    *,
    overrides: Sequence[str] = (),
    days: int | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Validation:
    """Run every pattern's scenario ``reps`` times and check every pattern.

    Python entry point of ``cxsim validate``; nothing is written.
    """
    started = time.time()
    plan = resolve_scenarios(patterns, overrides, days)
    jobs = plan_jobs(plan, patterns, reps)
    observations = run_jobs(jobs, workers, progress)
    reps_df = replication_table(patterns, plan, observations, reps)
    table = pattern_table(patterns, reps_df)
    runs = pd.DataFrame(
        [{"run": plan.label(k), **obs.summary} for (k, _), obs in sorted(observations.items())]
    )
    info = {
        "command": " ".join(["cxsim", *sys.argv[1:]]) if sys.argv else "",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "reps": reps,
        "workers": workers or default_workers(len(jobs)),
        "overrides": list(overrides),
        "days": days,
        "scenarios": {
            k: {
                "name": plan.label(k),
                "days": s.days,
                "shoppers": s.town.shoppers,
                "seed": s.seed,
                "lockdown": first_lockdown(s),
            }
            for k, s in plan.specs.items()
        },
        "runs": len(jobs),
        "patterns_files": sorted({str(p.origin) for p in patterns}),
        "seconds": round(time.time() - started, 1),
        "all_passed": bool(table["passed"].all()),
    }
    try:
        import cxsim
        from cxsim.experiments.results import git_commit

        info["cxsim_version"] = cxsim.__version__
        info["git_commit"] = git_commit()
        info["git_dirty"] = git_dirty()
    except Exception:  # pragma: no cover - provenance is best effort
        pass
    return Validation(list(patterns), table, reps_df, runs, info)


# =========================================================================== command line


def register(app: Any) -> None:
    """Add ``cxsim validate`` to the command line."""
    import typer

    from cxsim.cli.main import Quiet, SetOpt, console, fail_cleanly, progress_enabled

    @app.command()
    @fail_cleanly
    def validate(
        reps: Annotated[
            int, typer.Option(help="Replications per scenario (at least 2, for the CI).", min=2)
        ] = 5,
        workers: Annotated[int, typer.Option(help="Parallel processes (0: one per core).", min=0)] = 0,
        patterns: Annotated[
            list[Path] | None,
            typer.Option(
                "--patterns", help="A patterns file that adds or replaces patterns by id (repeatable)."
            ),
        ] = None,
        only: Annotated[
            list[str] | None, typer.Option("--only", help="Check only this pattern id (repeatable).")
        ] = None,
        out: Annotated[Path, typer.Option(help="Write the table, replications and figures here.")] = Path(
            "validation"
        ),
        set_: SetOpt = None,
        days: Annotated[int | None, typer.Option(help="Override every scenario's horizon.", min=1)] = None,
        quiet: Quiet = False,
    ) -> None:
        """Check the model against the published patterns (docs/VALIDATION.md).

        Runs each pattern's scenario with replications and prints, per pattern, the
        mean with its 95% confidence interval, the target band, pass or fail and the
        source. Exit status 0 when every pattern passes, 1 when one fails, 2 on bad input.
        """
        from cxsim.experiments.results import check_writable

        chosen = load_patterns(patterns or (), only or ())
        check_writable(out)
        plan = resolve_scenarios(chosen, set_ or (), days)
        n_jobs = len(plan_jobs(plan, chosen, reps))
        bar = None
        if progress_enabled(quiet):
            from tqdm import tqdm

            bar = tqdm(total=n_jobs, desc="validate", unit="run", leave=False)
        try:
            result = validate_patterns(
                chosen,
                reps,
                overrides=set_ or (),
                days=days,
                workers=workers or None,
                progress=bar.update if bar is not None else None,
            )
        finally:
            if bar is not None:
                bar.close()
        result.write(out)
        sizes = ", ".join(
            f"{s['name']} ({s['shoppers']:,} shoppers, {s['days']} days)"
            for s in result.info["scenarios"].values()
        )
        console.print(rich_table(result.table, f"validation — {reps} replications of {sizes}"))
        n_fail = int((~result.table.groupby("pattern", sort=False)["pattern_passed"].first()).sum())
        verdict = "[green]all patterns pass[/]" if result.passed else f"[bold red]{n_fail} pattern(s) fail[/]"
        console.print(f"{verdict}; table, replications and figures written to [bold]{out}[/]")
        raise typer.Exit(0 if result.passed else 1)
