"""The report of a comparison: headline numbers, clear differences, what happened, switching.

Headline numbers with 95% CIs and the differences against the reference, the
differences that are clear, what happened in each scenario (its first
replication's log, :func:`cxsim.analysis.narration.what_happened`), and where
customers switched between stores (:mod:`cxsim.experiments.switching`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cxsim.analysis import narration
from cxsim.analysis.report.content import (
    GENERIC_TOWN,
    Cell,
    Findings,
    Report,
    Row,
    SubTable,
    provenance_rows,
    scenario_block,
)
from cxsim.experiments.compare import (
    Comparison,
    format_diff,
    format_half,
    format_value,
    log_entries,
    significant,
)
from cxsim.experiments.compare_format import reps_warning
from cxsim.experiments.promotions import decomposition_text

HEADLINE_FINDINGS = ("online_share", "nps", "mean_satisfaction", "return_rate", "purchases", "stores_closed")
"""Town metrics named in the findings when their difference is clear, in this order."""
STORE_FINDINGS = (("market_share:", 3), ("profit:", 2), ("nps:", 2), ("cash:", 2))
"""Store metrics (row prefix) named in the findings: at most this many, the clearest first."""


def _finding(row: pd.Series, table: pd.DataFrame, ref: str) -> str:
    base = table[(table["metric"] == row["metric"]) & (table["scenario"] == ref)]
    was = format_value(float(base["mean"].iloc[0]), row["unit"]) if not base.empty else "–"
    diff = format_diff(row["diff"], row["diff_ci_low"], row["diff_ci_high"], row["unit"])
    return f"{row['label']}: {format_value(row['mean'], row['unit'])} (vs {was}; Δ {diff})"


def comparison_findings(
    table: pd.DataFrame, scenarios: list[str], reference: str | None = None
) -> list[Findings]:
    """Plain-words findings: the differences against the reference whose 95% CI excludes zero."""
    ref = reference if reference is not None else scenarios[0]
    out: list[Findings] = []
    for scen in scenarios:
        if scen == ref:
            continue
        rows = table[(table["scenario"] == scen) & table["diff"].notna()]
        sig = rows[[significant(r) for _, r in rows.iterrows()]]
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


def comparison_rows(table: pd.DataFrame, scenarios: list[str], reference: str | None = None) -> list[Row]:
    """One row per metric: mean ± half-width per scenario, and Δ against the reference."""
    ref = reference if reference is not None else scenarios[0]
    rows: list[Row] = []
    section = None
    for _, g in table.groupby("metric", sort=False):
        g = g.set_index("scenario")
        store = g["store"].iloc[0]
        now = "stores" if isinstance(store, str) and store else "town"
        new = section is not None and now != section
        section = now
        cells = [Cell(str(g["label"].iloc[0]))]
        for s in scenarios:
            if s not in g.index:
                cells.append(Cell("–"))
                continue
            r = g.loc[s]
            diff = format_diff(r["diff"], r["diff_ci_low"], r["diff_ci_high"], r["unit"]) if s != ref else ""
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


SWITCHING_ROWS = 12
"""The largest switching flows a report lists (all are in ``switching_flows.csv``)."""


def switching_table(comp: Comparison) -> SubTable | None:
    """The largest store-to-store flows per scenario, mean with 95% CI (None without switching data)."""
    flows = comp.switching_flows()
    flows = flows[flows["kind"] == "switch"]
    if flows.empty:
        return None
    head = [Cell("from (previous store)"), Cell("to (store bought from)")]
    head += [Cell(s, small="(purchases, mean [95% CI])") for s in comp.scenarios]
    wide = flows.set_index(["from_label", "to_label", "scenario"])
    ref_flows = flows[flows["scenario"] == comp.reference].sort_values("mean", ascending=False)
    order = ref_flows if not ref_flows.empty else flows.sort_values("mean", ascending=False)
    rows: list[Row] = []
    for a, b in order[["from_label", "to_label"]].drop_duplicates().head(SWITCHING_ROWS).to_numpy():
        cells = [Cell(str(a)), Cell(str(b))]
        for s in comp.scenarios:
            if (a, b, s) not in wide.index:
                cells.append(Cell("–"))
                continue
            r = wide.loc[(a, b, s)]
            lo, hi = float(r["ci_low"]), float(r["ci_high"])
            interval = f"[{max(lo, 0):,.0f}, {hi:,.0f}]" if lo == lo else ""
            cells.append(Cell(f"{float(r['mean']):,.0f}", small=interval))
        rows.append(Row(cells))
    window = int(comp.replications["window_days"].max()) if "window_days" in comp.replications else None
    over = f"the last {window} days" if window else "the summary window"
    note = (
        f"Purchases over {over} by shoppers whose previous purchase was at another store; the "
        f"{SWITCHING_ROWS} largest flows of {comp.reference}. A row's store lost these customers to the "
        "column's store. Every flow, repeat purchases included, is in switching_flows.csv."
    )
    return SubTable("Where customers switched", head, rows, note)


def balance_table(comp: Comparison) -> SubTable | None:
    """Per store and scenario: the net of customers won from and lost to rivals (95% CI)."""
    bal = comp.switching_balance()
    if bal.empty:
        return None
    head = [Cell("store")] + [Cell(s, small="(net [95% CI] · won / lost)") for s in comp.scenarios]
    wide = bal.set_index(["store", "scenario"])
    rows: list[Row] = []
    for store, label in dict(zip(bal["store"], bal["label"], strict=True)).items():
        cells = [Cell(str(label))]
        for s in comp.scenarios:
            if (store, s) not in wide.index:
                cells.append(Cell("–"))
                continue
            r = wide.loc[(store, s)]
            lo, hi = float(r["net_ci_low"]), float(r["net_ci_high"])
            cells.append(
                Cell(
                    f"{float(r['net']):+,.0f}",
                    small=(f"[{lo:+,.0f}, {hi:+,.0f}] " if lo == lo else "")
                    + f"· {float(r['won']):,.0f} / {float(r['lost']):,.0f}",
                )
            )
        rows.append(Row(cells))
    note = (
        "Net: purchases by rivals' previous customers (won) minus purchases by the store's previous "
        "customers at rivals (lost), over the summary window; mean over replications. "
        "switching_balance.csv has the intervals of won and lost too."
    )
    return SubTable("Customers won and lost, by store", head, rows, note)


def promotion_tables(comp: Comparison) -> list[SubTable]:
    """Where each promotion's bump came from: switching, acceleration and expansion (95% CIs)."""
    out = []
    for title, rows in decomposition_text(comp.promotion_decomposition()):
        head = [
            Cell("source"),
            Cell("mean", small="[95% CI]"),
            Cell("share of the bump", small="[95% CI]"),
        ]
        body = [Row([Cell(label), Cell(count), Cell(share)]) for label, count, share in rows]
        note = (
            f"{title}. Paired replications (same seed with and without the promotion): the bump is the "
            "promoting store's extra sales on the promotion's days; from rivals, the sales the other "
            "stores lost on those days; acceleration, the sales the whole town lost in the days after "
            "(needs bought early); expansion, the rest (van Heerde, Gupta and Wittink 2003 find about one "
            "third of a bump comes from rivals). promotion_decomposition.csv has every number."
        )
        out.append(SubTable("Where the promotion's sales came from", head, body, note))
    return out


def comparison_happened(comp: Comparison) -> list[Findings]:
    """What happened in each scenario (the log of its first replication), in words."""
    log = comp.log
    if log.empty:
        return []
    labels = dict(comp.stores.drop_duplicates("store")[["store", "label"]].to_numpy())
    out: list[Findings] = []
    for scen in comp.scenarios:
        part = log[log["scenario"] == scen]
        if part.empty:
            continue
        first = part[part["rep"] == part["rep"].min()]
        items = narration.what_happened(log_entries(first), labels)
        if items:
            out.append(Findings(scen, "(first replication):", items))
    return out


def comparison_report(comp: Comparison, figures: dict[str, Path]) -> Report:
    """The report of a comparison."""
    m = comp.meta
    ref = comp.reference
    days = sorted(set(m.get("days", {}).values()))
    shoppers = sorted(set(m.get("shoppers", {}).values()))
    head = [Cell("metric")] + [
        Cell(s, small="(reference)") if s == ref else Cell(s, small=f"(Δ vs {ref} [95% CI])")
        for s in comp.scenarios
    ]
    overrides = ", ".join(m.get("overrides", []))
    variants = [
        f"{name} = {' + '.join([v['scenario'], *v['overrides']])}"
        for name, v in m.get("variants", {}).items()
        if v.get("overrides")
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
        "Rates, shares and NPS are over each run's summary window (its last year at most): the town's "
        "NPS pools the window's answers, a store's NPS is the window's mean of each day's trailing NPS "
        "(the label names the window); cash is at the last day; money is in currency units for the "
        "whole town, in thousands (k) in the tables.",
        GENERIC_TOWN,
    ]
    if overrides:
        method.insert(0, f"Every scenario was run with --set {overrides}.")
    if variants:
        method.insert(0, "Variants written inline: " + "; ".join(variants) + ".")
    provenance = provenance_rows(m.get("provenance", {}), libraries=True)
    provenance.append(("overrides (all scenarios)", overrides or "none"))
    note = "Bold Δ: the 95% CI of the paired difference excludes 0. Grey Δ: no clear difference."
    warning = reps_warning(int(m["reps"]))
    if warning:
        note = f"{warning} {note}"
    switching = [t for t in (balance_table(comp), switching_table(comp)) if t is not None]
    switching = promotion_tables(comp) + switching
    title = f"What if…? {' vs '.join(comp.scenarios)}"
    return Report(
        title=title + (f" (all scenarios with --set {overrides})" if overrides else ""),
        subtitle=(
            f"cxsim comparison · {m['reps']} replications per scenario · "
            f"{' / '.join(f'{n:,}' for n in shoppers)} shoppers · {' / '.join(map(str, days))} days · "
            "common random numbers · mean with 95% confidence intervals"
        ),
        scenarios=[scenario_block(s, m.get("resolved", {}).get(s, {})) for s in comp.scenarios],
        findings=comparison_findings(comp.table, comp.scenarios, ref),
        table_head=head,
        table_rows=comparison_rows(comp.table, comp.scenarios, ref),
        table_note=note,
        figures=figures,
        method=method,
        provenance=provenance,
        happened=comparison_happened(comp),
        tables=switching,
    )
