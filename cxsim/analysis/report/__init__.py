"""``cxsim report``: a self-contained report of a run or a comparison, to send to a colleague.

HTML (default) embeds its figures as PNG data, so the one file is the whole
report; Markdown writes ``report.md`` beside a ``figures/`` folder. The report
says what was simulated and why (each scenario's question), gives the headline
numbers with 95% confidence intervals, the differences that are clear, the
figures with a line on how to read each, how the numbers were made, and the
provenance needed to reproduce them.

- :mod:`.content`: the :class:`Report` and the parts every report shares;
- :mod:`.comparison` and :mod:`.single_run`: the report of a comparison and of a run;
- :mod:`.render`: HTML and Markdown from the Jinja2 templates in ``cxsim/analysis/templates``;
- :mod:`.write`: reading a folder, drawing its figures, writing the file;
- :mod:`.workbook`: the comparison as an Excel workbook (``cxsim compare --xlsx``).
"""

from cxsim.analysis.report.comparison import comparison_findings, comparison_report
from cxsim.analysis.report.content import CAPTIONS, Cell, Findings, Report, Row, ScenarioBlock
from cxsim.analysis.report.render import render_html, render_markdown
from cxsim.analysis.report.single_run import run_report
from cxsim.analysis.report.workbook import write_workbook
from cxsim.analysis.report.write import build_report, folder_kind, write_report

__all__ = [
    "CAPTIONS",
    "Cell",
    "Findings",
    "Report",
    "Row",
    "ScenarioBlock",
    "build_report",
    "comparison_findings",
    "comparison_report",
    "folder_kind",
    "render_html",
    "render_markdown",
    "run_report",
    "write_report",
    "write_workbook",
]
