"""The metric language of validation patterns, and what a metric sees of a run.

Metrics are written in a tiny expression language that is parsed, never
evaluated as Python: numbers, ``+ - * /``, parentheses, summary column names
(and the derived measures of :mod:`cxsim.experiments.validation_measures`),
a few built-in window functions of timeseries columns (:data:`FUNCTIONS`),
``ref(...)`` (the same expression on the pattern's reference run) and at most
one top-level comparison ``>`` or ``<``.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from cxsim.core.errors import did_you_mean
from cxsim.model.registry import TIMESERIES, names
from cxsim.model.scenario import Scenario

PURCHASE_WEIGHTED = frozenset({m.name for m in TIMESERIES if m.averaging == "rate"} | {"mean_satisfaction"})
"""Timeseries columns whose daily value is over the day's purchases (the registry's ``rate``
metrics, and the mean satisfaction of the day's purchases): window means weight them by purchases."""

SERIES_COLUMNS = tuple(c for c in names("timeseries") if c not in ("day", "events"))
"""Timeseries columns a window function can average (from the metric registry)."""

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

    expr: Expr


@dataclass(frozen=True)
class Bin:
    """An arithmetic operation: ``+ - * /``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: Expr


Expr = Num | Col | Call | Ref | Bin | Neg

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


MAX_METRIC_CHARS = 2_000
"""The longest metric expression (the shipped ones are under 100 characters)."""
MAX_METRIC_DEPTH = 64
"""The deepest nesting of a metric expression (``a + b + c`` is 3 deep): conversion and evaluation
recurse, so a 30,000-term sum would exhaust Python's stack."""


def _depth(node: ast.AST) -> int:
    """Nesting depth of an expression tree, without recursion (so any tree can be measured)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        here, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(here))
    return deepest


class ExprError(ValueError):
    """A metric expression outside the allowed language."""


def parse_metric(text: str) -> tuple[Expr, str | None, Expr | None]:
    """Parse ``EXPR`` or ``EXPR > EXPR`` / ``EXPR < EXPR``.

    Returns ``(left, op, right)``; ``op`` and ``right`` are None without a comparison.
    Raises :class:`ExprError` for anything outside the language.
    """
    if len(text) > MAX_METRIC_CHARS:
        raise ExprError(f"at most {MAX_METRIC_CHARS:,} characters, found {len(text):,}")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExprError(f"not a valid expression ({exc.msg})") from None
    except (RecursionError, MemoryError):
        raise ExprError(f"an expression nested at most {MAX_METRIC_DEPTH} deep") from None
    depth = _depth(tree)
    if depth > MAX_METRIC_DEPTH:
        raise ExprError(f"an expression nested at most {MAX_METRIC_DEPTH} deep, found {depth}")
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
    reference: Observation | None = None
    """The reference run with the same seed, for ``ref(...)`` (windows use this run's lockdown)."""
    measures: dict[str, float] = field(default_factory=dict)
    """Values of :data:`cxsim.experiments.validation_measures.MEASURES` for this replication
    (double jeopardy from the run; elasticities and a promotion's decomposition added by the driver)."""
    store_daily: pd.DataFrame | None = None
    """The run's ``stores`` table cut to ``day``, ``store``, ``purchases`` and ``returns``."""


def first_lockdown(spec: Scenario) -> tuple[int, int] | None:
    """(start, days) of the scenario's first lockdown event, or None."""
    for ev in spec.events:
        if ev.type == "lockdown":
            return int(ev.start), int(ev.days)
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
        value = obs.summary[expr.name] if expr.name in obs.summary else obs.measures.get(expr.name)
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
