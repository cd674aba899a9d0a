"""Reading a run or comparison folder, drawing its figures and writing its report file."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from cxsim.analysis.figures import FIGURES, comparison_figures, run_figures
from cxsim.analysis.report.comparison import comparison_report
from cxsim.analysis.report.content import Report
from cxsim.analysis.report.render import render_html, render_markdown
from cxsim.analysis.report.single_run import run_report
from cxsim.core.errors import InputError
from cxsim.core.io import atomic_write_text
from cxsim.experiments.compare import Comparison, load_comparison
from cxsim.experiments.results import load_result

FOLDER_KINDS = "a folder written by `cxsim run --out` or `cxsim compare`"


def folder_kind(folder: Path) -> str:
    """``compare`` or ``run``; bad input if the folder is neither."""
    if (folder / "compare.json").is_file():
        return "compare"
    if (folder / "timeseries.parquet").is_file() and (folder / "summary.parquet").is_file():
        return "run"
    if not folder.is_dir():
        raise InputError(str(folder), "", FOLDER_KINDS, "no such folder")
    raise InputError(str(folder), "", FOLDER_KINDS, "neither compare.json nor timeseries.parquet")


def build_report(
    folder: Path,
    figure_dir: Path,
    data: Comparison | None = None,
    progress: Callable[[], None] | None = None,
    journey_store: str | None = None,
) -> Report:
    """Read a run or comparison folder (or use ``data``), draw its figures into ``figure_dir``.

    With ``data``, figures already in ``figure_dir`` are used as they are.
    ``journey_store`` draws the journey flow of that store's purchases only.
    """
    if data is not None:
        figs = {k: figure_dir / f"{k}.png" for k in FIGURES if (figure_dir / f"{k}.png").is_file()}
        return comparison_report(data, figs or comparison_figures(data, figure_dir, progress, journey_store))
    if folder_kind(folder) == "compare":
        comp = load_comparison(folder)
        return comparison_report(comp, comparison_figures(comp, figure_dir, progress, journey_store))
    result = load_result(folder)
    return run_report(result, run_figures(result, figure_dir, progress, journey_store))


def write_report(
    folder: str | Path,
    out: str | Path,
    *,
    fmt: str = "html",
    data: Comparison | None = None,
    progress: Callable[[], None] | None = None,
    journey_store: str | None = None,
) -> Path:
    """Write the report of ``folder`` to ``out`` (HTML with embedded figures, or Markdown).

    For HTML the figures are drawn in a temporary folder (or taken from
    ``folder/figures`` when ``data`` is given); for Markdown they are written to
    ``figures/`` beside ``out``. The report file appears only when complete.
    ``progress`` is called after each figure drawn.
    """
    folder, out = Path(folder), Path(out)
    if fmt == "html":
        if data is not None:
            text = render_html(build_report(folder, folder / "figures", data, progress, journey_store))
        else:
            with tempfile.TemporaryDirectory(prefix=".cxsim-figures-") as tmp:
                text = render_html(
                    build_report(folder, Path(tmp), progress=progress, journey_store=journey_store)
                )
        atomic_write_text(out, text)
        return out
    rep = build_report(folder, out.parent / "figures", data, progress, journey_store)
    atomic_write_text(out, render_markdown(rep, "figures"))
    return out
