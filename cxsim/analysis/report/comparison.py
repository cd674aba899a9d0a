"""The report of a comparison: headline numbers with 95% CIs and the differences that are clear."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cxsim.analysis.report.content import (
    GENERIC_TOWN,
    Cell,
    Findings,
    Report,
    Row,
    provenance_rows,
    scenario_block,
)
from cxsim.experiments.compare import Comparison, format_diff, format_half, format_value, significant

HEADLINE_FINDINGS = ("online_share", "nps", "mean_satisfaction", "return_rate", "purchases", "stores_closed")
"""Town metrics named in the findings when their difference is clear, in this order."""
STORE_FINDINGS = (("market_share:", 3), ("nps:", 2), ("cash:", 2))
"""Store metrics (row prefix) named in the findings: at most this many, the clearest first."""


def _finding(row: pd.Series, table: pd.DataFrame, ref: str) -> str:
    base = table[(table["metric"] == row["metric"]) & (table["scenario"] == ref)]
    was = format_value(float(base["mean"].iloc[0]), row["unit"]) if not base.empty else "–"
    diff = format_diff(row["diff"], row["diff_ci_low"], row["diff_ci_high"], row["unit"])
    return f"{row['label']}: {format_value(row['mean'], row['unit'])} (vs {was}; Δ {diff})"


def comparison_findings(table: pd.DataFrame, scenarios: list[str]) -> list[Findings]:
    """Plain-words findings: the differences against the reference whose 95% CI excludes zero."""
    ref = scenarios[0]
    out: list[Findings] = []
    for scen in scenarios[1:]:
        rows = table[(table["scenario"] == scen) & table["diff"].notna()]
        sig = rows[rows.apply(significant, axis=1)]
        parts: list[str] = []
        for key in HEADLINE_FINDINGS:
            r = sig[sig["metric"] == key]
            if not r.empty:
                parts.append(_finding(r.iloc[0], table, ref))
        for prefix, k in STORE_FINDINGS:
            r = sig[sig["metric"].str.startswith(prefix)].copy()
            if r.empty:
                continue
            r["size"] = (r["diff"] / (r["diff_ci_high"] - r["diff_ci_low"]).abs().clip(lower=1e-12)).abs()
            for _, row in r.sort_values("size", ascending=False).head(k).iterrows():
                parts.append(_finding(row, table, ref))
        if not parts:
            parts = ["no headline metric differs clearly (every 95% CI includes 0)"]
        out.append(Findings(scen, f"compared with {ref}:", parts))
    return out


def comparison_rows(table: pd.DataFrame, scenarios: list[str]) -> list[Row]:
    """One row per metric: mean ± half-width per scenario, and Δ against the first."""
    rows: list[Row] = []
    section = None
    for _, g in table.groupby("metric", sort=False):
        g = g.set_index("scenario")
        store = g["store"].iloc[0]
        now = "stores" if isinstance(store, str) and store else "town"
        new = section is not None and now != section
        section = now
        cells = [Cell(str(g["label"].iloc[0]))]
        for i, s in enumerate(scenarios):
            if s not in g.index:
                cells.append(Cell("–"))
                continue
            r = g.loc[s]
            diff = format_diff(r["diff"], r["diff_ci_low"], r["diff_ci_high"], r["unit"]) if i > 0 else ""
            cells.append(
                Cell(
                    format_value(r["mean"], r["unit"]),
                    small=format_half(r["ci_high"] - r["mean"], r["unit"]),
                    diff=f"Δ {diff}" if diff else "",
                    clear=bool(diff) and significant(r),
                )
            )
        rows.append(Row(cells, new))
    return rows


def comparison_report(comp: Comparison, figures: dict[str, Path]) -> Report:
    """The report of a comparison."""
    m = comp.meta
    ref = comp.scenarios[0]
    days = sorted(set(m.get("days", {}).values()))
    shoppers = sorted(set(m.get("shoppers", {}).values()))
    head = [Cell("metric")] + [
        Cell(s) if i == 0 else Cell(s, small=f"Δ vs {ref} [95% CI]") for i, s in enumerate(comp.scenarios)
    ]
    method = [
        f"Each scenario was run {m['reps']} times (replications) with "
        f"{', '.join(f'{n:,}' for n in shoppers)} simulated shoppers for "
        f"{', '.join(str(d) for d in days)} days, after a warm-up.",
        "Replication r of every scenario used the same random seed (common random numbers): the "
        "scenarios start from the same town and the same shoppers, so a difference between them is the "
        "effect of what they change, not luck. Seeds derive from the root seed "
        f"{m['root_seed']} (numpy SeedSequence): {', '.join(str(s) for s in m['seeds'])}.",
        "A value is the mean over replications ± the half-width of its 95% confidence interval "
        f"(Student t). Δ is the mean of the paired differences against {ref}, with its own 95% "
        "confidence interval; a Δ whose interval excludes 0 is shown in bold and counts as a clear "
        "difference.",
        "Rates and shares are over each run's summary window (its last year at most); cash is at the "
        "last day; money is in currency units for the whole town.",
        GENERIC_TOWN,
    ]
    provenance = provenance_rows(m.get("provenance", {}), libraries=True)
    provenance.append(("overrides", ", ".join(m.get("overrides", [])) or "none"))
    return Report(
        title=f"What if…? {' vs '.join(comp.scenarios)}",
        subtitle=(
            f"cxsim comparison · {m['reps']} replications per scenario · "
            f"{' / '.join(f'{n:,}' for n in shoppers)} shoppers · {' / '.join(map(str, days))} days · "
            "common random numbers · mean with 95% confidence intervals"
        ),
        scenarios=[scenario_block(s, m.get("resolved", {}).get(s, {})) for s in comp.scenarios],
        findings=comparison_findings(comp.table, comp.scenarios),
        table_head=head,
        table_rows=comparison_rows(comp.table, comp.scenarios),
        table_note="Bold Δ: the 95% CI of the paired difference excludes 0. Grey Δ: no clear difference.",
        figures=figures,
        method=method,
        provenance=provenance,
    )
