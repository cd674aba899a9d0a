"""Numbers of a comparison for people: one precision per unit, units on every bound.

The unit of a metric comes from the metric registry (:mod:`cxsim.model.registry`);
each unit has one scale and one precision, used for values, half-widths,
differences and both bounds of their intervals:

========  ==================  ================================================
unit      shown as            example
========  ==================  ================================================
share     % with 1 decimal    ``21.9% ±0.3``, ``Δ +6.1 pp [+5.6 pp, +6.6 pp]``
score     1 decimal, signed   ``+44.8 ±0.4``, ``Δ +2.1 [+1.5, +2.7]``
ratio     3 decimals          ``0.712 ±0.004``
money     thousands, no dec.  ``140k ±2k``, ``Δ -67k [-69k, -65k]``
count     whole numbers       ``12,345 ±120``
index     2 decimals          ``0.81``
days      whole numbers       ``365``
========  ==================  ================================================

A bound or value that rounds to zero is shown without a sign's minus (``0``,
not ``-0``). :data:`FEW_REPS` replications or fewer get a note
(:func:`reps_warning`): their intervals rest on very few values.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = [
    "FEW_REPS",
    "format_diff",
    "format_half",
    "format_value",
    "reps_warning",
    "significant",
]

FEW_REPS = 4
"""Replications up to this many get :func:`reps_warning` (fewer than 5)."""

_DISPLAY: dict[str, tuple[float, int]] = {
    "share": (100.0, 1),
    "score": (1.0, 1),
    "ratio": (1.0, 3),
    "money": (1e-3, 0),
    "count": (1.0, 0),
    "index": (1.0, 2),
    "days": (1.0, 0),
}
"""Scale and decimals of each unit (shares in %, money in thousands)."""
_AFTER_VALUE = {"share": "%", "money": "k"}
_AFTER_DIFF = {"share": " pp", "money": "k"}


def _number(x: float, unit: str, sign: bool = False) -> str:
    """``x`` scaled and rounded for its unit, with thousands separators."""
    scale, decimals = _DISPLAY.get(unit, (1.0, 1))
    v = round(x * scale, decimals)
    if v == 0:
        v = 0.0  # no "-0"
    return format(v, ("+" if sign and v != 0 else "") + f",.{decimals}f")


def format_value(value: float, unit: str) -> str:
    """A metric value for people: shares in %, money in thousands, counts whole."""
    if value != value:  # NaN
        return "–"
    return _number(value, unit, unit == "score") + _AFTER_VALUE.get(unit, "")


def format_half(half: float, unit: str) -> str:
    """The half-width of an interval, in the unit's display form (without sign)."""
    if half != half:
        return ""
    return "±" + _number(half, unit) + ("k" if unit == "money" else "")


def format_diff(diff: float, lo: float, hi: float, unit: str) -> str:
    """A difference with its interval, units on each bound: ``+6.1 pp [+5.6 pp, +6.6 pp]``."""
    if diff != diff:
        return ""
    after = _AFTER_DIFF.get(unit, "")
    text = _number(diff, unit, True) + after
    if lo == lo and hi == hi:
        text += f" [{_number(lo, unit, True)}{after}, {_number(hi, unit, True)}{after}]"
    return text


def significant(row: pd.Series | dict[str, Any]) -> bool:
    """Whether the difference's interval excludes zero."""
    lo, hi = row["diff_ci_low"], row["diff_ci_high"]
    return bool(lo == lo and hi == hi and (lo > 0 or hi < 0))


def reps_warning(reps: int) -> str:
    """A note for tables made of fewer than 5 replications (empty from 5 on)."""
    if reps > FEW_REPS:
        return ""
    return (
        f"Only {reps} replication{'s' if reps != 1 else ''}: intervals rest on very few values and "
        "are wide; use --reps 5 or more (10 or more for store NPS and cash) before you decide."
    )
