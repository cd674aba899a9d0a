"""What a report says, independent of its format: the :class:`Report` and the parts every report shares.

A report says what was simulated and why (each scenario's question), gives the
headline numbers, the differences that are clear, the figures with a line on
how to read each, how the numbers were made, and the provenance needed to
reproduce them. The content is plain text in structured fields; the templates
(:mod:`.render`) turn it into HTML or Markdown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxsim.analysis import narration

CAPTIONS = {
    "channel_shares": (
        "How purchases split between buying in a shop, home delivery and pick-up in store, day by day "
        "(a 7-day average). Shaded periods are the scenario's events (lockdown, promotion, recession, "
        "delivery disruption); dotted lines mark a store opening, closing or opening an online channel, "
        "triangles at the top a strategy move, diamonds a change of the calendar. The lower right panel "
        "shows demand: a spike is a promotion pulling purchases forward, a dip the weeks it borrowed from."
    ),
    "market_share_nps": (
        "Each store's share of all purchases and its Net Promoter Score (promoters minus detractors, "
        "in points from −100 to +100) over the summary window; a store's NPS is the window's mean of "
        "each day's trailing NPS. Bars that differ by more than their error bars are clear differences."
    ),
    "journey_rates": (
        "Showrooming: the shopper looked at the product in a shop, then had it delivered (competitive: "
        "bought from another retailer). Webrooming: researched online, then bought in a shop. Left: as a "
        "share of purchases; right: the share of shoppers who did it at least once in the last year."
    ),
    "store_cash": (
        "Each store's cash over time, with the store's own strategy moves (triangles) and calendar "
        "changes (diamonds); the dashed line is zero cash. A store closes for good (cross) when its cash "
        "plus 90 days of its expected profit is negative, or its debt passes its credit limit, so it may "
        "close with cash in hand; its customers must choose again."
    ),
    "journey_flow": (
        "The customer journey as customer-experience teams draw it: how shoppers researched (left), how "
        "they bought (middle) and how it ended (right). Band widths are shares of all purchases; "
        "showrooming (a store visit, then home delivery) and webrooming (online research, then a "
        "purchase in a shop) are the coloured ribbons."
    ),
    "switching": (
        "Where customers went: each purchase of the summary window counted by the store of the "
        "shopper's previous purchase (rows) and the store bought from (columns). Off the diagonal, a "
        "row is where a store's lost customers went, a column where a store's new customers came from; "
        "the diagonal (grey) is repeat purchases. Mean over replications with its 95% CI."
    ),
}
"""How to read each figure, by its file stem."""

GENERIC_TOWN = (
    "The model is of a generic town and product category: read the numbers as directions and "
    "sizes of effects under its assumptions, not as forecasts for a particular store."
)


@dataclass(frozen=True)
class Cell:
    """A table cell: a value, its small print (± half-width), and a difference against the reference."""

    text: str
    small: str = ""
    diff: str = ""
    """``Δ +6.7 pp [+6.3, +7.1]``, or empty."""
    clear: bool = False
    """Whether the difference's 95% CI excludes zero."""
    strong: str = ""
    """A word in bold after the value (``closed``)."""


@dataclass(frozen=True)
class Row:
    """A table row; ``section`` when it starts a new section (the stores after the town)."""

    cells: list[Cell]
    section: bool = False


@dataclass(frozen=True)
class Findings:
    """A group of findings: ``subject`` (in bold, may be empty), a heading, the items."""

    subject: str
    heading: str
    items: list[str]


@dataclass(frozen=True)
class ScenarioBlock:
    """What one scenario simulates, in words."""

    name: str
    description: str
    question: str
    events: list[str]
    stores: str
    days: int | None
    shoppers: int | None


@dataclass(frozen=True)
class SubTable:
    """A further table of a report (the switching flows): title, head, rows, a note."""

    title: str
    head: list[Cell]
    rows: list[Row]
    note: str = ""


@dataclass
class Report:
    """The content of a report, independent of its format."""

    title: str
    subtitle: str
    scenarios: list[ScenarioBlock]
    findings: list[Findings]
    """Per compared scenario its clear differences; for a run, its store events."""
    table_head: list[Cell]
    table_rows: list[Row]
    table_note: str
    figures: dict[str, Path]
    method: list[str]
    provenance: list[tuple[str, str]]
    extra: list[str] = field(default_factory=list)
    happened: list[Findings] = field(default_factory=list)
    """What happened (the typed log in words, :func:`cxsim.analysis.narration.what_happened`)."""
    tables: list[SubTable] = field(default_factory=list)
    """Further tables after the headline numbers (the switching flows of a comparison)."""


def scenario_block(name: str, resolved: Mapping[str, Any]) -> ScenarioBlock:
    """A scenario's description, question, stores and events (calendar lines from the narration)."""
    stores: Mapping[str, Mapping[str, Any]] = resolved.get("stores", {})
    labels = narration.labels_from_scenario(resolved)
    return ScenarioBlock(
        name=name,
        description=str(resolved.get("description", "")),
        question=str(resolved.get("question", "")),
        events=[narration.calendar_line(e, labels) for e in resolved.get("events", [])],
        stores=", ".join(f"{labels[k]} ({v.get('kind')})" for k, v in stores.items()),
        days=resolved.get("days"),
        shoppers=resolved.get("town", {}).get("shoppers"),
    )


def provenance_rows(prov: Mapping[str, Any], *, libraries: bool = False) -> list[tuple[str, str]]:
    """The provenance lines of a report: version and commit, command, time, platform (and libraries)."""
    commit = str(prov.get("git_commit") or "unknown")[:10]
    rows = [
        ("cxsim", f"{prov.get('cxsim_version', '?')} (commit {commit})"),
        ("command", " ".join(str(a) for a in prov.get("argv", [])) or "–"),
        ("run at", str(prov.get("finished", "?"))),
        ("python / platform", f"{prov.get('python', '?')} / {prov.get('platform', '?')}"),
    ]
    if libraries:
        rows.append(("libraries", ", ".join(f"{k} {v}" for k, v in prov.get("libraries", {}).items())))
    return rows
