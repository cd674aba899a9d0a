"""Rendering a :class:`~.content.Report` from the Jinja2 templates in ``cxsim/analysis/templates``.

HTML embeds its figures as PNG data (one self-contained file, no external
resources); Markdown links them from a folder beside the report.
"""

from __future__ import annotations

import base64
import functools
from pathlib import Path

import jinja2

from cxsim.analysis.figures import FIGURES
from cxsim.analysis.report.content import CAPTIONS, Report


def data_uri(path: Path) -> str:
    """A PNG file as a ``data:`` URI."""
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def md_escape(text: object) -> str:
    """Text for a Markdown table cell: pipes, asterisks and brackets escaped.

    An unescaped ``*`` in a cell could pair with the ``**`` of a bold difference
    and leave it open; ``[+5.6, +6.6]`` could be read as a link reference.
    """
    out = str(text)
    for ch in ("\\", "|", "*", "[", "]"):
        out = out.replace(ch, "\\" + ch)
    return out


def md_bold(text: object) -> str:
    """Bold Markdown that always closes: ``**text**`` with no space inside the markers."""
    inner = str(text).strip()
    return f"**{inner}**" if inner else ""


@functools.cache
def environment() -> jinja2.Environment:
    """The templates' environment: HTML autoescaped, Markdown not; filters ``data_uri`` and ``md``."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cxsim.analysis", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["data_uri"] = data_uri
    env.filters["md"] = md_escape
    env.filters["bold"] = md_bold
    return env


def _figures(rep: Report) -> list[tuple[str, str]]:
    """(key, title) of the report's figures, in the order of :data:`FIGURES`."""
    return [(key, title) for key, title in FIGURES.items() if key in rep.figures]


def render_html(rep: Report) -> str:
    """The report as one self-contained HTML page (figures embedded)."""
    template = environment().get_template("report.html")
    return template.render(rep=rep, figures=_figures(rep), captions=CAPTIONS)


def render_markdown(rep: Report, figure_dir: str = "figures") -> str:
    """The report as Markdown; figures are linked from ``figure_dir``."""
    template = environment().get_template("report.md")
    return template.render(rep=rep, figures=_figures(rep), captions=CAPTIONS, figure_dir=figure_dir)
