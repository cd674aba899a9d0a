"""The report of a single run (``cxsim run --out``): its numbers, stores, store events and what happened."""

from __future__ import annotations

from pathlib import Path

from cxsim.analysis import narration
from cxsim.analysis.report.content import (
    GENERIC_TOWN,
    Cell,
    Findings,
    Report,
    Row,
    provenance_rows,
    scenario_block,
)
from cxsim.experiments.compare import HEADLINE, format_value, windowed_label
from cxsim.experiments.results import RunResult
from cxsim.model.log import LogEntry
from cxsim.model.registry import metric


def _value(value: float, unit: str) -> str:
    """A run's value: counts as whole numbers, the rest as :func:`format_value` shows them."""
    return f"{int(value):,}" if unit == "count" else format_value(float(value), unit)


def is_milestone(entry: LogEntry) -> bool:
    """Whether a log entry is a store event: a store opens, closes, or opens an online channel."""
    return entry.kind in ("closure", "store_entry") or (
        entry.kind == "strategy"
        and (entry.data.get("strategy") == "open_online" or " opens " in str(entry.data.get("text", "")))
    )


def run_report(result: RunResult, figures: dict[str, Path]) -> Report:
    """The report of a single run (``cxsim run --out``)."""
    s = result.summary.iloc[0]
    name = str(s["scenario"])
    window = int(s["window_days"])
    rows: list[Row] = []
    for m in HEADLINE:  # the comparison's headline metrics, as the registry names them
        if m.name in s:
            rows.append(Row([Cell(windowed_label(m, window)), Cell(_value(s[m.name], m.unit))]))
    share, nps, cash, costs, profit = (
        windowed_label(metric(k, "store_summary"), window)
        for k in ("market_share", "nps", "cash", "costs", "profit")
    )
    for i, (_, r) in enumerate(result.store_summary.iterrows()):
        text = (
            f"{share} {format_value(r['market_share'], 'share')} · {nps} {format_value(r['nps'], 'score')}"
            f" · {costs} {format_value(r['costs'], 'money')} · {profit} {format_value(r['profit'], 'money')}"
            f" · {cash} {format_value(r['cash'], 'money')}"
        )
        rows.append(
            Row(
                [Cell(f"{r['label']} ({r['kind']})"), Cell(text, strong="" if r["is_open"] else "closed")],
                i == 0,
            )
        )
    labels = narration.labels_from_scenario(result.scenario)
    events = [f"day {e.day}: {narration.entry_text(e, labels)}" for e in result.log if is_milestone(e)]
    return Report(
        title=f"What if…? {name}",
        subtitle=(
            f"cxsim run · seed {int(s['seed'])} · {int(s['shoppers']):,} shoppers · {int(s['days'])} days"
        ),
        scenarios=[scenario_block(name, result.scenario)],
        findings=[Findings("", "Store events:", events)] if events else [],
        table_head=[Cell("metric"), Cell(f"{name} (last {window} days)")],
        table_rows=rows,
        table_note=(
            "One run: no confidence intervals. Use `cxsim compare` for replications with intervals and "
            "differences against another scenario."
        ),
        figures=figures,
        method=[
            f"One run of {int(s['days'])} days with seed {int(s['seed'])}, after a warm-up. Rates are over "
            f"the last {window} days; cash at the last day; money in currency units for the whole town.",
            GENERIC_TOWN,
        ],
        provenance=provenance_rows(result.provenance),
        happened=[Findings("", "", narration.what_happened(result.log, labels))] if result.log else [],
    )
