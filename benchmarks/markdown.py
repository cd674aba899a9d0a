"""Markdown helpers of the benchmark report."""

from __future__ import annotations

from typing import Any


def m(x: float) -> str:
    """A rate in millions, two decimals."""
    return f"{x / 1e6:.2f}"


def row(cells: list[Any]) -> str:
    """One Markdown table row."""
    return "| " + " | ".join(str(c) for c in cells) + " |"


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    """A Markdown table (and a blank line after it)."""
    out = [row(header), row(["---"] * len(header))]
    out += [row(r) for r in rows]
    return [*out, ""]


def pct(x: float) -> str:
    """A fraction as a whole percentage (``n/a`` for NaN)."""
    return "n/a" if x != x else f"{100 * x:.0f}%"
