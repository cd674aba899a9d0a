"""The comparison as an Excel workbook (``cxsim compare --xlsx``), for people who live in spreadsheets.

Sheets:

- ``comparison``: the table as the terminal and the report show it (one row per
  metric, per scenario the mean, the half-width of its 95% CI and the Δ against
  the reference with its interval), as numbers in the unit of display (shares in
  %, money in thousands) with a number format per unit, so they can be summed and
  charted; the title, the ``--set`` overrides and the notes above it;
- ``switching``: store-to-store flows over the summary window (mean, 95% CI);
- ``won and lost``: per store, customers won from and lost to rivals, and the net;
- ``data``: ``comparison.csv`` as it is (fractions, currency units);
- ``about``: reference, replications, seeds, variants and overrides.

Written in memory, then atomically (:func:`cxsim.core.io.atomic_write_bytes`).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd

from cxsim.core.io import atomic_write_bytes
from cxsim.experiments.compare import Comparison
from cxsim.experiments.compare_format import reps_warning, significant

__all__ = ["UNIT_FORMATS", "write_workbook"]

UNIT_FORMATS: dict[str, tuple[float, str, str]] = {
    "share": (100.0, "0.0", "%"),
    "score": (1.0, "+0.0;-0.0;0.0", "points"),
    "ratio": (1.0, "0.000", ""),
    "money": (1e-3, "#,##0", "thousands"),
    "count": (1.0, "#,##0", ""),
    "index": (1.0, "0.00", ""),
    "days": (1.0, "0", "days"),
}
"""Per unit: scale to the display unit, Excel number format, unit as the sheet names it."""


def _comparison_sheet(ws: Any, comp: Comparison) -> None:
    from openpyxl.styles import Font

    m = comp.meta
    ref = comp.reference
    bold = Font(bold=True)
    title = " vs ".join(comp.scenarios)
    if m.get("overrides"):
        title += f" — all scenarios with --set {', '.join(m['overrides'])}"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([f"{m.get('reps')} replications; mean, 95% CI half-width and Δ vs {ref} (paired, 95% CI)"])
    warning = reps_warning(int(m.get("reps", 0)))
    if warning:
        ws.append([warning])
    ws.append([])
    head = ["metric", "unit"]
    for s in comp.scenarios:
        head += [s, "± (95% CI)"]
        if s != ref:
            head += [f"Δ vs {ref}", "Δ low", "Δ high", "clear"]
    ws.append(head)
    for cell in ws[ws.max_row]:
        cell.font = bold
    for _, g in comp.table.groupby("metric", sort=False):
        g = g.set_index("scenario")
        unit = str(g["unit"].iloc[0])
        scale, fmt, unit_name = UNIT_FORMATS.get(unit, (1.0, "0.00", ""))
        row: list[Any] = [str(g["label"].iloc[0]), unit_name]
        formats: list[str | None] = [None, None]
        for s in comp.scenarios:
            if s not in g.index:
                row += [None, None] + ([None] * 4 if s != ref else [])
                formats += [None] * (2 + (4 if s != ref else 0))
                continue
            r = g.loc[s]
            half = r["ci_high"] - r["mean"]
            row += [_num(r["mean"] * scale), _num(half * scale)]
            formats += [fmt, fmt]
            if s != ref:
                row += [_num(r[k] * scale) for k in ("diff", "diff_ci_low", "diff_ci_high")]
                row.append("yes" if significant(r) else "no")
                formats += [fmt, fmt, fmt, None]
        ws.append(row)
        for cell, f in zip(ws[ws.max_row], formats, strict=False):
            if f:
                cell.number_format = f
    ws.append([])
    ws.append(["clear: the 95% CI of the paired difference excludes 0. Shares in %, Δ of shares in pp."])
    ws.column_dimensions["A"].width = 38


def _num(x: Any) -> float | None:
    v = float(x)
    return None if v != v else v


def _frame_sheet(ws: Any, frame: pd.DataFrame) -> None:
    ws.append([str(c) for c in frame.columns])
    for values in frame.itertuples(index=False):
        ws.append([_cell(v) for v in values])


def _cell(v: Any) -> Any:
    if isinstance(v, float) and v != v:
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def write_workbook(comp: Comparison, path: str | Path) -> Path:
    """Write the comparison to ``path`` as an ``.xlsx`` workbook (see the module docstring)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "comparison"
    _comparison_sheet(ws, comp)
    _frame_sheet(wb.create_sheet("switching"), comp.switching_flows())
    _frame_sheet(wb.create_sheet("won and lost"), comp.switching_balance())
    _frame_sheet(wb.create_sheet("data"), comp.table)
    about = wb.create_sheet("about")
    m = comp.meta
    for k, v in (
        ("reference", comp.reference),
        ("replications", m.get("reps")),
        ("root seed", m.get("root_seed")),
        ("seeds", ", ".join(str(s) for s in m.get("seeds", []))),
        ("--set (every scenario)", ", ".join(m.get("overrides", [])) or "none"),
        *(
            (f"variant {name}", " + ".join([v["scenario"], *v["overrides"]]))
            for name, v in m.get("variants", {}).items()
        ),
    ):
        about.append([k, _cell(v)])
    buf = io.BytesIO()
    wb.save(buf)
    return atomic_write_bytes(path, buf.getvalue())
