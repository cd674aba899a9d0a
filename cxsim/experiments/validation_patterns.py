"""Validation patterns: the patterns file, its checks, and their fit to a scenario.

The patterns are data (``cxsim/data/patterns.toml``; a researcher adds or
replaces some with ``--patterns``): each names a scenario, a metric of a run in
the language of :mod:`cxsim.experiments.validation_language`, and a target
band or a comparison.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError

from cxsim.core import config
from cxsim.core.config import StrictModel
from cxsim.core.errors import InputError, did_you_mean
from cxsim.experiments.validation_language import (
    FUNCTIONS,
    Call,
    Col,
    Expr,
    ExprError,
    Observation,
    Ref,
    evaluate,
    first_lockdown,
    parse_metric,
    walk,
    window,
)
from cxsim.experiments.validation_measures import MEASURES, PROMOTION_MEASURES, first_promotion
from cxsim.model.registry import names
from cxsim.model.scenario import Scenario

PATTERNS_FILE = config.data_path("patterns.toml")


BandEnd = Annotated[float, Field(allow_inf_nan=True)]
"""An end of a band: a number, or inf / -inf for a one-sided band (NaN is refused by the check)."""


class CheckSpec(StrictModel):
    """One check of a pattern, as written in a patterns file."""

    metric: str
    label: str | None = None
    band: Annotated[list[BandEnd], Field(min_length=2, max_length=2)] | None = None
    point: float | None = None
    """The published figure as a number, if there is one (shown; calibrate ranks by it)."""
    percent: bool = False
    finding: str | None = None
    """A documented finding: why the model cannot reach this check with sensible parameters."""


class PatternSpec(StrictModel):
    """A pattern, as written in a patterns file."""

    id: Annotated[str, Field(min_length=1)]
    name: str
    scenario: str
    source: str
    figure: str = ""
    reference: str | None = None
    min_reps: Annotated[int, Field(ge=1, le=10_000)] = 1
    """Replications this pattern needs at least, whatever ``--reps`` says (statistical power)."""
    checks: list[CheckSpec] | None = None
    metric: str | None = None
    label: str | None = None
    band: Annotated[list[BandEnd], Field(min_length=2, max_length=2)] | None = None
    point: float | None = None
    percent: bool = False
    finding: str | None = None


class PatternsFile(StrictModel):
    """The top level of a patterns file."""

    config_label: ClassVar[str] = "patterns file"

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
    finding: str = ""
    """Why the model cannot reach the check with sensible parameters (docs/VALIDATION.md); a
    failing check with a finding is reported as a finding and does not fail ``cxsim validate``."""

    def status(self, passed: bool) -> str:
        """``pass``, ``fail``, or ``finding`` (failed, with a documented reason)."""
        return "pass" if passed else ("finding" if self.finding else "fail")

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
        fmt = fmt_pct if self.percent else fmt_num
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
        if self.origin == PATTERNS_FILE and not name.endswith(".toml"):
            return name  # the shipped file names library scenarios, or its own validation/*.toml
        local = self.origin.parent / (name if name.endswith(".toml") else f"{name}.toml")
        a_name_or_toml = "/" not in name or name.endswith(".toml")
        if a_name_or_toml and local.is_file():
            return local
        return name  # a library name; anything else is refused by find_scenario_file


def fmt_pct(v: float) -> str:
    """A share as a percentage with one decimal."""
    return f"{v:.1%}"


def fmt_num(v: float) -> str:
    """A number with two decimals."""
    return f"{v:.2f}"


def read_patterns_file(path: Path) -> list[Pattern]:
    """Read and check one patterns file; every problem is an :class:`InputError`."""
    source = str(path)
    data = config.read_toml(path, "a patterns file")
    try:
        raw = PatternsFile.model_validate(data)
    except ValidationError as exc:
        raise config.translate_validation_error(source, data, exc, PatternsFile) from None
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
            CheckSpec(
                metric=p.metric or "",
                label=p.label,
                band=p.band,
                point=p.point,
                percent=p.percent,
                finding=p.finding,
            )
        ]
    if not p.checks:
        raise InputError(source, where, "a `metric` (with `band` unless it compares) or [[patterns.checks]]")
    if p.band is not None or p.label is not None or p.point is not None or p.finding is not None:
        raise InputError(
            source, where, "`band`, `point`, `label` and `finding` inside each [[patterns.checks]]"
        )
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
    finding = (c.finding or "").strip()
    return Check(c.label or c.metric, c.metric, left, op, right, band, c.percent, c.point, finding)


def load_patterns(
    extra: Sequence[Path] = (), only: Sequence[str] = (), *, shipped: bool = True
) -> list[Pattern]:
    """The shipped patterns, then each extra file's (same id replaces, new id is added).

    ``only`` keeps the named patterns, in that order.
    """
    merged: dict[str, Pattern] = {}
    extra_files = [config.packaged(p) or Path(p) for p in extra]  # cxsim/patterns.toml: its old place
    for path in ([PATTERNS_FILE] if shipped else []) + extra_files:
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


def summary_columns() -> tuple[str, ...]:
    """Names a metric may use: the summary's metrics in the registry (:mod:`cxsim.model.registry`)."""
    return names("summary")


def check_pattern(p: Pattern, spec: Scenario) -> None:
    """Check names and windows of a pattern's metrics against its (resolved) scenario."""
    known = (*summary_columns(), *MEASURES)
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
                        "summary column names or derived measures (or a window function of a timeseries"
                        " column)",
                        node.name,
                        did_you_mean(node.name, known) or f"known: {', '.join(known)}",
                    )
                if (
                    isinstance(node, Col)
                    and node.name in PROMOTION_MEASURES
                    and (p.reference is None or first_promotion(spec) is None)
                ):
                    raise InputError(
                        str(p.origin),
                        key,
                        f"a scenario with a promotion event and a `reference` scenario for {node.name}",
                        spec.name,
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


# =========================================================================== output


def format_value(row: pd.Series | dict[str, Any]) -> str:
    """``mean [low, high]`` in the check's units (percentage points for shares compared)."""
    if row["percent"] and row["kind"] == "comparison":

        def fmt(v: float) -> str:
            return f"{100 * v:+.1f} pp"
    elif row["percent"]:
        fmt = fmt_pct
    else:
        fmt = fmt_num
    if not np.isfinite(row["value"]):
        return "n/a"
    text = fmt(row["value"])
    if np.isfinite(row["ci_low"]):
        text += f" [{fmt(row['ci_low'])}, {fmt(row['ci_high'])}]"
    return text


STATUS_MARKDOWN = {"pass": "pass", "fail": "**FAIL**", "finding": "finding"}
"""A check's status as the Markdown table shows it."""


def accepted(table: pd.DataFrame) -> bool:
    """Whether no check of a pattern table fails (a documented finding does not fail)."""
    return bool((table["status"] != "fail").all()) if len(table) else True


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
            f"{STATUS_MARKDOWN[r['status']]} | {r['source'] if first else ''} |"
        )
    return "\n".join(lines) + "\n"
