"""``cxsim report``: a self-contained report of a run or a comparison, to send to a colleague.

HTML (default) embeds its figures as PNG data, so the one file is the whole
report; Markdown writes ``report.md`` beside a ``figures/`` folder. The report
says what was simulated and why (each scenario's question), gives the headline
numbers with 95% confidence intervals, the differences that are clear, the
figures with a line on how to read each, how the numbers were made, and the
provenance needed to reproduce them.
"""

import base64
import html
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd

from cxsim.analysis import narration
from cxsim.core.errors import InputError

if TYPE_CHECKING:
    from cxsim.experiments.compare import Comparison

CAPTIONS = {
    "channel_shares": (
        "How purchases split between buying in a shop, home delivery and pick-up in store, day by day "
        "(a 7-day average). Shaded periods are the scenario's events (lockdown, promotion, recession, "
        "delivery disruption); dotted lines mark a store opening or a new channel. The lower right panel "
        "shows demand: a spike is a promotion pulling purchases forward, a dip the weeks it borrowed from."
    ),
    "market_share_nps": (
        "Each store's share of all purchases and its Net Promoter Score (promoters minus detractors, "
        "in points from −100 to +100) over the summary window. Bars that differ by more than their "
        "error bars are clear differences."
    ),
    "journey_rates": (
        "Showrooming: the shopper looked at the product in a shop, then had it delivered (competitive: "
        "bought from another retailer). Webrooming: researched online, then bought in a shop. Left: as a "
        "share of purchases; right: the share of shoppers who did it at least once in the last year."
    ),
    "store_cash": (
        "Each store's cash over time. A store whose cash falls below zero (dashed line) closes for good, "
        "and its customers must choose again."
    ),
    "journey_flow": (
        "The customer journey as customer-experience teams draw it: how shoppers researched (left), how "
        "they bought (middle) and how it ended (right). Band widths are shares of all purchases."
    ),
}
HEADLINE_FINDINGS = ("online_share", "nps", "mean_satisfaction", "return_rate", "purchases", "stores_closed")


@dataclass
class Report:
    """The content of a report, independent of its format."""

    title: str
    subtitle: str
    scenarios: list[dict[str, Any]]
    findings: list[tuple[str, list[str]]]
    """(heading, items): per compared scenario, its clear differences."""
    table_head: list[str]
    table_rows: list[tuple[list[str], bool]]
    """Cells of each row and whether it starts a new section."""
    table_note: str
    figures: dict[str, Path]
    method: list[str]
    provenance: list[tuple[str, str]]
    extra: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- content


def describe_event(ev: dict[str, Any], labels: dict[str, str]) -> str:
    """One line in plain words for a scenario event."""
    kind = ev.get("type")
    start = int(ev.get("start", 1))
    store = labels.get(ev.get("store", ""), ev.get("store", ""))
    if "days" in ev:
        when = f"days {start}–{start + int(ev['days']) - 1}" if int(ev["days"]) > 1 else f"day {start}"
    else:
        when = f"day {start}"
    if kind == "lockdown":
        what = "lockdown: shop floors closed" + (
            "; pick-up in store allowed" if ev.get("pickup", True) else ""
        )
    elif kind == "promotion":
        what = (
            f"promotion at {store}: {100 * float(ev['discount']):.0f}% off"
            + (" online only" if ev.get("online_only") else "")
            + f", pulling forward needs due within {ev.get('pull_forward_days', 30)} days"
        )
    elif kind == "recession":
        what = f"recession (severity {ev.get('severity', 0.3)})"
    elif kind == "delivery_disruption":
        what = (
            f"delivery disruption: +{ev.get('extra_days', 3.0)} days, "
            f"on-time reliability ×{ev.get('reliability_factor', 0.6)}"
        )
    elif kind == "store_entry":
        what = f"{store} enters the town"
    elif kind == "set":
        what = f"{store}: {ev.get('attribute')} set to {ev.get('value')}"
    else:
        what = str(kind)
    return f"{when}: {what}"


def _scenario_block(name: str, resolved: dict[str, Any]) -> dict[str, Any]:
    stores = resolved.get("stores", {})
    labels = {k: v.get("label") or k for k, v in stores.items()}
    return {
        "name": name,
        "description": resolved.get("description", ""),
        "question": resolved.get("question", ""),
        "events": [describe_event(e, labels) for e in resolved.get("events", [])],
        "stores": ", ".join(f"{labels[k]} ({v.get('kind')})" for k, v in stores.items()),
        "days": resolved.get("days"),
        "shoppers": resolved.get("town", {}).get("shoppers"),
    }


def comparison_findings(table: pd.DataFrame, scenarios: list[str]) -> list[tuple[str, list[str]]]:
    """Plain-words findings: the differences against the reference whose 95% CI excludes zero."""
    from cxsim.experiments.compare import significant

    ref = scenarios[0]
    out: list[tuple[str, list[str]]] = []
    for scen in scenarios[1:]:
        rows = table[(table["scenario"] == scen) & table["diff"].notna()]
        sig = rows[rows.apply(significant, axis=1)]
        parts: list[str] = []
        for key in HEADLINE_FINDINGS:
            r = sig[sig["metric"] == key]
            if not r.empty:
                parts.append(_finding(r.iloc[0], table, ref))
        for prefix, k in (("market_share:", 3), ("nps:", 2), ("cash:", 2)):
            r = sig[sig["metric"].str.startswith(prefix)].copy()
            if r.empty:
                continue
            r["size"] = (r["diff"] / (r["diff_ci_high"] - r["diff_ci_low"]).abs().clip(lower=1e-12)).abs()
            for _, row in r.sort_values("size", ascending=False).head(k).iterrows():
                parts.append(_finding(row, table, ref))
        if not parts:
            parts = ["no headline metric differs clearly (every 95% CI includes 0)"]
        out.append((f"<b>{html.escape(scen)}</b> compared with {html.escape(ref)}:", parts))
    return out


def _finding(row: pd.Series, table: pd.DataFrame, ref: str) -> str:
    from cxsim.experiments.compare import format_diff, format_value

    base = table[(table["metric"] == row["metric"]) & (table["scenario"] == ref)]
    was = format_value(float(base["mean"].iloc[0]), row["unit"]) if not base.empty else "–"
    diff = format_diff(row["diff"], row["diff_ci_low"], row["diff_ci_high"], row["unit"])
    label = html.escape(str(row["label"]))
    return f"{label}: {format_value(row['mean'], row['unit'])} (vs {was}; Δ {html.escape(diff)})"


def _table_rows(table: pd.DataFrame, scenarios: list[str]) -> list[tuple[list[str], bool]]:
    from cxsim.experiments.compare import format_diff, format_half, format_value, significant

    rows: list[tuple[list[str], bool]] = []
    section = None
    for _, g in table.groupby("metric", sort=False):
        g = g.set_index("scenario")
        store = g["store"].iloc[0]
        now = "stores" if isinstance(store, str) and store else "town"
        new = section is not None and now != section
        section = now
        cells = [html.escape(str(g["label"].iloc[0]))]
        for i, s in enumerate(scenarios):
            if s not in g.index:
                cells.append("–")
                continue
            r = g.loc[s]
            half = format_half(r["ci_high"] - r["mean"], r["unit"])
            text = f"{format_value(r['mean'], r['unit'])} <small>{half}</small>"
            if i > 0:
                d = format_diff(r["diff"], r["diff_ci_low"], r["diff_ci_high"], r["unit"])
                if d:
                    d = html.escape(d)
                    text += f"<br><span class='{'sig' if significant(r) else 'ns'}'>Δ {d}</span>"
            cells.append(text)
        rows.append((cells, new))
    return rows


def comparison_report(comp: "Comparison", figures: dict[str, Path]) -> Report:
    """The report of a comparison."""
    m = comp.meta
    prov = m.get("provenance", {})
    days = sorted(set(m.get("days", {}).values()))
    shoppers = sorted(set(m.get("shoppers", {}).values()))
    head = ["metric"] + [
        s if i == 0 else f"{s}<br><small>Δ vs {comp.scenarios[0]} [95% CI]</small>"
        for i, s in enumerate(comp.scenarios)
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
        "(Student t). Δ is the mean of the paired differences against "
        f"{comp.scenarios[0]}, with its own 95% confidence interval; a Δ whose interval excludes 0 is "
        "shown in bold and counts as a clear difference.",
        "Rates and shares are over each run's summary window (its last year at most); cash is at the "
        "last day; money is in currency units for the whole town.",
        "The model is of a generic town and product category: read the numbers as directions and "
        "sizes of effects under its assumptions, not as forecasts for a particular store.",
    ]
    provenance = [
        (
            "cxsim",
            f"{prov.get('cxsim_version', '?')} (commit {str(prov.get('git_commit') or 'unknown')[:10]})",
        ),
        ("command", " ".join(str(a) for a in prov.get("argv", [])) or "–"),
        ("run at", str(prov.get("finished", "?"))),
        ("python / platform", f"{prov.get('python', '?')} / {prov.get('platform', '?')}"),
        ("libraries", ", ".join(f"{k} {v}" for k, v in prov.get("libraries", {}).items())),
        ("overrides", ", ".join(m.get("overrides", [])) or "none"),
    ]
    return Report(
        title=f"What if…? {' vs '.join(comp.scenarios)}",
        subtitle=(
            f"cxsim comparison · {m['reps']} replications per scenario · "
            f"{' / '.join(f'{n:,}' for n in shoppers)} shoppers · {' / '.join(map(str, days))} days · "
            "common random numbers · mean with 95% confidence intervals"
        ),
        scenarios=[_scenario_block(s, m.get("resolved", {}).get(s, {})) for s in comp.scenarios],
        findings=comparison_findings(comp.table, comp.scenarios),
        table_head=head,
        table_rows=_table_rows(comp.table, comp.scenarios),
        table_note="Bold Δ: the 95% CI of the paired difference excludes 0. Grey Δ: no clear difference.",
        figures=figures,
        method=method,
        provenance=provenance,
    )


def run_report(result: Any, figures: dict[str, Path]) -> Report:
    """The report of a single run (``cxsim run --out``)."""
    from cxsim.experiments.compare import store_summary

    s = result.summary.iloc[0]
    name = str(s["scenario"])
    prov = result.provenance
    window = int(s["window_days"])
    pct = lambda v: f"{100 * float(v):.1f}%"  # noqa: E731
    rows: list[tuple[list[str], bool]] = [
        (["purchases", f"{int(s['purchases']):,}"], False),
        (["online share of purchases", pct(s["online_share"])], False),
        (
            [
                "walk-in · delivery · pick-up",
                f"{pct(s['share_walk_in'])} · {pct(s['share_delivery'])} · {pct(s['share_pickup'])}",
            ],
            False,
        ),
        (
            [
                "showrooming · webrooming (of purchases)",
                f"{pct(s['showrooming_rate'])} · {pct(s['webrooming_rate'])}",
            ],
            False,
        ),
        (
            [
                "shoppers who showroomed · webroomed",
                f"{pct(s['share_shoppers_showroomed'])} · {pct(s['share_shoppers_webroomed'])}",
            ],
            False,
        ),
        (
            [
                "return rate (walk-in · delivery)",
                f"{pct(s['return_rate'])} ({pct(s['return_rate_walk_in'])} · "
                f"{pct(s['return_rate_delivery'])})",
            ],
            False,
        ),
        (["mean satisfaction · NPS", f"{float(s['mean_satisfaction']):.3f} · {float(s['nps']):+.1f}"], False),
        (["stores closed", f"{int(s['stores_closed'])}"], False),
    ]
    ss = store_summary(result.stores, window)
    first = True
    for _, r in ss.iterrows():
        nps = "–" if r["nps"] != r["nps"] else f"{r['nps']:+.0f}"
        rows.append(
            (
                [
                    html.escape(f"{r['label']} ({r['kind']})"),
                    f"market share {pct(r['market_share'])} · NPS {nps} · cash {r['cash'] / 1000:,.0f}k"
                    + ("" if r["is_open"] else " · <b>closed</b>"),
                ],
                first,
            )
        )
        first = False
    log = narration.sentences(result.log, narration.labels_from_scenario(result.scenario))
    closures = [f"day {d}: {m}" for d, m in log if "closed" in m or "opens" in m]
    return Report(
        title=f"What if…? {name}",
        subtitle=(
            f"cxsim run · seed {int(s['seed'])} · {int(s['shoppers']):,} shoppers · {int(s['days'])} days"
        ),
        scenarios=[_scenario_block(name, result.scenario)],
        findings=[("Store events:", [html.escape(c) for c in closures])] if closures else [],
        table_head=["metric", f"{name} (last {window} days)"],
        table_rows=rows,
        table_note=(
            "One run: no confidence intervals. Use `cxsim compare` for replications with intervals and "
            "differences against another scenario."
        ),
        figures=figures,
        method=[
            f"One run of {int(s['days'])} days with seed {int(s['seed'])}, after a warm-up. Rates are over "
            f"the last {window} days; cash at the last day; money in currency units for the whole town.",
            "The model is of a generic town and product category: read the numbers as directions and "
            "sizes of effects under its assumptions, not as forecasts for a particular store.",
        ],
        provenance=[
            (
                "cxsim",
                f"{prov.get('cxsim_version', '?')} (commit {str(prov.get('git_commit') or 'unknown')[:10]})",
            ),
            ("command", " ".join(str(a) for a in prov.get("argv", [])) or "–"),
            ("run at", str(prov.get("finished", "?"))),
            ("python / platform", f"{prov.get('python', '?')} / {prov.get('platform', '?')}"),
        ],
    )


# ----------------------------------------------------------------------------- rendering

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1.2em;color:#1d2733;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.1em}h2{margin-top:1.8em;border-bottom:2px solid #e3e8ee;padding-bottom:.2em}
.sub{color:#5b6b7c;margin-top:0}
.scen{background:#f5f8fb;border-left:4px solid #1f5fa6;padding:.6em 1em;margin:.8em 0}
.q{font-style:italic}table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{padding:.35em .6em;border-bottom:1px solid #e3e8ee;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}tr.sec td{border-top:2px solid #9aa5b1}
small{color:#5b6b7c}.sig{font-weight:600;color:#1d2733}.ns{color:#8a97a5}
figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #e3e8ee}
figcaption{color:#3d4b5a;font-size:.93em}
li{margin:.3em 0}.prov td{text-align:left;font-size:.85em;color:#3d4b5a}
"""


def _img_src(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def render_html(rep: Report) -> str:
    """The report as one self-contained HTML page (figures embedded)."""
    from cxsim.analysis.figures import FIGURES

    e = html.escape
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(rep.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{e(rep.title)}</h1><p class='sub'>{e(rep.subtitle)}</p>",
        "<h2>What was simulated</h2>",
    ]
    for s in rep.scenarios:
        out.append(f"<div class='scen'><b>{e(s['name'])}</b> — {e(s['description'])}")
        if s["question"]:
            out.append(f"<br><span class='q'>Question: {e(s['question'])}</span>")
        out.append(f"<br><small>Stores: {e(s['stores'])}</small>")
        if s["events"]:
            out.append("<br><small>Events: " + e("; ".join(s["events"])) + "</small>")
        out.append("</div>")
    if rep.findings:
        out.append("<h2>Key findings</h2><ul>")
        for head, items in rep.findings:
            out.append(f"<li>{head}<ul>" + "".join(f"<li>{x}</li>" for x in items) + "</ul></li>")
        out.append("</ul>")
    out.append("<h2>Headline numbers</h2><table><thead><tr>")
    out += [f"<th>{h}</th>" for h in rep.table_head]
    out.append("</tr></thead><tbody>")
    for cells, new in rep.table_rows:
        out.append(f"<tr{' class=sec' if new else ''}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append(f"</tbody></table><p><small>{e(rep.table_note)}</small></p>")
    out.append("<h2>Figures</h2>")
    for key, title in FIGURES.items():
        if key in rep.figures:
            out.append(
                f"<figure><img alt='{e(title)}' src='{_img_src(rep.figures[key])}'>"
                f"<figcaption><b>{e(title)}.</b> {e(CAPTIONS[key])}</figcaption></figure>"
            )
    out.append("<h2>How these numbers were made</h2><ul>")
    out += [f"<li>{e(x)}</li>" for x in rep.method]
    out.append("</ul><h2>Provenance</h2><table class='prov'>")
    out += [f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in rep.provenance]
    out.append("</table></body></html>")
    return "\n".join(out)


def _md_cell(text: str) -> str:
    return (
        text.replace("<br>", " ")
        .replace("<small>", "")
        .replace("</small>", "")
        .replace("<span class='sig'>", "**")
        .replace("<span class='ns'>", "")
        .replace("</span>", "")
        .replace("<b>", "**")
        .replace("</b>", "**")
        .replace("|", "\\|")
    )


def render_markdown(rep: Report, figure_dir: str = "figures") -> str:
    """The report as Markdown; figures are linked from ``figure_dir``."""
    from cxsim.analysis.figures import FIGURES

    out = [f"# {rep.title}", "", f"*{rep.subtitle}*", "", "## What was simulated", ""]
    for s in rep.scenarios:
        out.append(f"- **{s['name']}** — {s['description']}")
        if s["question"]:
            out.append(f"  *Question: {s['question']}*")
        if s["events"]:
            out.append("  Events: " + "; ".join(s["events"]))
    if rep.findings:
        out += ["", "## Key findings", ""]
        for head, items in rep.findings:
            out.append(f"- {_md_cell(head)}")
            out += [f"  - {_md_cell(x)}" for x in items]
    out += ["", "## Headline numbers", ""]
    out.append("| " + " | ".join(_md_cell(h) for h in rep.table_head) + " |")
    out.append("|" + "---|" * len(rep.table_head))
    for cells, _ in rep.table_rows:
        out.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
    out += ["", f"*{rep.table_note}*", "", "## Figures", ""]
    for key, title in FIGURES.items():
        if key in rep.figures:
            out += [f"![{title}]({figure_dir}/{key}.png)", "", f"**{title}.** {CAPTIONS[key]}", ""]
    out += ["## How these numbers were made", ""] + [f"- {x}" for x in rep.method]
    out += ["", "## Provenance", ""] + [f"- {k}: {v}" for k, v in rep.provenance]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- writing


def folder_kind(folder: Path) -> str:
    """``compare`` or ``run``; bad input if the folder is neither."""
    if (folder / "compare.json").is_file():
        return "compare"
    if (folder / "timeseries.parquet").is_file() and (folder / "summary.parquet").is_file():
        return "run"
    if not folder.is_dir():
        raise InputError(
            str(folder), "", "a folder written by `cxsim run --out` or `cxsim compare`", "no such folder"
        )
    raise InputError(
        str(folder),
        "",
        "a folder written by `cxsim run --out` or `cxsim compare`",
        "neither compare.json nor timeseries.parquet",
    )


def build_report(
    folder: Path,
    figure_dir: Path,
    data: "Comparison | None" = None,
    progress: Callable[[], None] | None = None,
) -> Report:
    """Read a run or comparison folder (or use ``data``), draw its figures into ``figure_dir``."""
    if data is not None:
        from cxsim.analysis.figures import FIGURES

        figs = {k: figure_dir / f"{k}.png" for k in FIGURES if (figure_dir / f"{k}.png").is_file()}
        if not figs:
            from cxsim.analysis.figures import comparison_figures

            figs = comparison_figures(data, figure_dir, progress)
        return comparison_report(data, figs)
    kind = folder_kind(folder)
    if kind == "compare":
        from cxsim.analysis.figures import comparison_figures
        from cxsim.experiments.compare import load_comparison

        comp = load_comparison(folder)
        return comparison_report(comp, comparison_figures(comp, figure_dir, progress))
    from cxsim.analysis.figures import run_figures
    from cxsim.experiments.results import load_result

    result = load_result(folder)
    return run_report(result, run_figures(result, figure_dir, progress))


def write_report(
    folder: str | Path,
    out: str | Path,
    *,
    fmt: str = "html",
    data: "Comparison | None" = None,
    progress: Callable[[], None] | None = None,
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
            rep = build_report(folder, folder / "figures", data, progress)
            text = render_html(rep)
        else:
            with tempfile.TemporaryDirectory(prefix=".cxsim-figures-") as tmp:
                rep = build_report(folder, Path(tmp), progress=progress)
                text = render_html(rep)
        _write_atomic(out, text)
        return out
    rep = build_report(folder, out.parent / "figures", data, progress)
    _write_atomic(out, render_markdown(rep, "figures"))
    return out


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def register(app: Any) -> None:
    """Add ``cxsim report`` to the command line."""
    import typer

    from cxsim.cli.main import Quiet, console, fail_cleanly
    from cxsim.experiments.compare import figure_progress

    @app.command()
    @fail_cleanly
    def report(
        folder: Annotated[
            Path, typer.Argument(help="A folder written by `cxsim run --out` or `cxsim compare`.")
        ],
        out: Annotated[
            Path | None, typer.Option(help="Report file (default: report.html or report.md in FOLDER).")
        ] = None,
        markdown: Annotated[
            bool, typer.Option("--markdown", help="Markdown with PNG figures instead of one HTML file.")
        ] = False,
        quiet: Quiet = False,
    ) -> None:
        """Write a self-contained report of a run or a comparison, to send to a colleague."""
        from cxsim.experiments.results import check_writable

        folder_kind(folder)
        target = out if out is not None else folder / ("report.md" if markdown else "report.html")
        if target.exists() and target.is_dir():
            raise InputError("--out", str(target), "a file path for the report", "a folder")
        check_writable(target.parent)
        if markdown:
            # figures/ is (re)drawn beside the report: stage everything, then move it in.
            from cxsim.experiments.results import atomic_dir

            with atomic_dir(target.parent) as tmp, figure_progress(quiet) as tick:
                write_report(folder, tmp / target.name, fmt="markdown", progress=tick)
        else:
            with figure_progress(quiet) as tick:
                write_report(folder, target, fmt="html", progress=tick)
        if not quiet:
            console.print(f"report written to [bold]{target}[/]")
