"""Figures (legible: titles, units, legends, events shaded) and `cxsim report` of runs and comparisons."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from typer.testing import CliRunner

from cxsim.analysis import figures as fg
from cxsim.cli.main import app
from cxsim.experiments.compare import Comparison, run_comparison

matplotlib.use("Agg")
runner = CliRunner()


@pytest.fixture(scope="module")
def comp() -> Comparison:
    """A tiny comparison whose second scenario has a lockdown within the horizon (days 60-90)."""
    return run_comparison(
        ["baseline", "pandemic"], reps=3, days=90, seed=5, overrides=["town.shoppers=500", "warmup_days=10"]
    )


def test_event_spans_from_the_events_column() -> None:
    ts = pd.DataFrame(
        {
            "scenario": "s",
            "rep": 0,
            "day": range(1, 11),
            "events": [
                "",
                "lockdown",
                "lockdown",
                "lockdown,promotion:giant",
                "promotion:giant",
                "",
                "",
                "",
                "",
                "recession",
            ],
        }
    )
    assert fg.event_spans(ts) == {"s": [("lockdown", 2, 4), ("promotion:giant", 4, 5), ("recession", 10, 10)]}
    assert fg.event_label("promotion:giant", {"giant": "OnlineGiant"}) == "promotion (OnlineGiant)"
    assert fg.event_label("delivery_disruption") == "delivery disruption"


def _texts(fig) -> str:
    return " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


def test_channel_shares_is_legible_and_shades_the_lockdown(comp: Comparison) -> None:
    fig = fg.channel_shares(comp.timeseries, comp.scenarios, stores=comp.stores, log=comp.log)
    text = _texts(fig)
    for words in ("Channel shares over time", "Walk-in", "Home delivery", "Pick-up", "% of purchases", "day"):
        assert words in text, words
    assert "mean of 3 replications, band = 95% CI" in text
    assert "baseline" in text and "pandemic" in text and "lockdown" in text, "legend names lines and events"
    first = fig.axes[0]
    spans = [p for p in first.patches if abs(p.get_x() - 59.5) < 1e-6]
    assert spans and spans[0].get_width() == pytest.approx(31.0), "days 60-90 shaded"
    bands = [c for c in first.collections if c.get_alpha() == pytest.approx(0.2)]
    assert len(bands) == 2, "one confidence band per scenario"
    matplotlib.pyplot.close(fig)


@pytest.mark.parametrize(
    "name, words",
    [
        ("market_share_nps", ("Market share", "Net Promoter Score", "OnlineGiant", "error bar = 95% CI")),
        ("journey_rates", ("showrooming", "webrooming", "Share of purchases", "Share of shoppers")),
        ("store_cash", ("Store cash", "thousands", "Corner Shop", "cash (thousands)")),
        ("journey_flow", ("Research", "Fulfilment", "Outcome", "satisfied", "returned", "avoids store")),
    ],
)
def test_figures_name_what_they_show(comp: Comparison, name: str, words: tuple[str, ...]) -> None:
    draw = {
        "market_share_nps": lambda: fg.market_share_nps(comp.store_summary, comp.scenarios, 90),
        "journey_rates": lambda: fg.journey_rates(comp.replications, comp.scenarios),
        "store_cash": lambda: fg.store_cash(comp.stores, comp.scenarios, ts=comp.timeseries, log=comp.log),
        "journey_flow": lambda: fg.journey_flow(comp.journeys, comp.scenarios),
    }[name]
    with fg.style():
        fig = draw()
    text = _texts(fig)
    for w in words:
        assert w in text, w
    assert fig._suptitle is not None and fig._suptitle.get_text()
    matplotlib.pyplot.close(fig)


def test_journey_flow_shares_add_up(comp: Comparison) -> None:
    j = comp.journeys[comp.journeys["scenario"] == "baseline"]
    reps = comp.replications[comp.replications["scenario"] == "baseline"]
    assert j["purchases"].sum() == reps["purchases"].sum(), "every purchase of the window is counted once"
    assert set(j["outcome"]) == {"satisfied", "disappointed", "returned", "avoids store"}
    returned = j[j["outcome"] == "returned"]["purchases"].sum() / j["purchases"].sum()
    assert 0 < returned < 0.3


def test_comparison_figures_are_written(comp: Comparison, tmp_path: Path) -> None:
    paths = fg.comparison_figures(comp, tmp_path / "figures")
    assert sorted(paths) == sorted(fg.FIGURES)
    for path in paths.values():
        img = matplotlib.image.imread(path)
        assert img.shape[1] >= 1000 and img.shape[0] >= 450, (path.name, img.shape)


def test_report_of_a_comparison_in_markdown(comp: Comparison, tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    comp.save(out)
    res = runner.invoke(app, ["report", str(out), "--markdown"])
    assert res.exit_code == 0, res.output
    md = (out / "report.md").read_text()
    for words in ("# What if…? baseline vs pandemic", "## Key findings", "## Headline numbers", "Question:"):
        assert words in md, words
    links = re.findall(r"!\[[^]]*\]\((figures/[^)]+)\)", md)
    assert len(links) == len(fg.FIGURES) and all((out / link).is_file() for link in links)
    assert "lockdown" in md and "pandemic" in md


def test_report_of_a_run_is_one_self_contained_file(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    args = ["run", "singles_day", "--set", "town.shoppers=600", "--set", "warmup_days=10", "--purchases"]
    assert runner.invoke(app, [*args, "--out", str(run_dir), "-q"]).exit_code == 0
    target = tmp_path / "elsewhere" / "singles.html"
    res = runner.invoke(app, ["report", str(run_dir), "--out", str(target)])
    assert res.exit_code == 0, res.output
    html = target.read_text()
    srcs = re.findall(r"src='([^']*)'", html)
    run_figures = len(fg.FIGURES) - 1  # a run has no switching figure (compare counts switching)
    assert len(srcs) == run_figures and all(s.startswith("data:image/png;base64,") for s in srcs)
    links = re.findall(r"(?:src|href)=['\"]([^'\"]*)", html)
    assert all(link.startswith("data:") for link in links), "no external resources"
    for words in (
        "Singles",
        "Question:",
        "promotion at OnlineGiant",
        "Headline numbers",
        "Provenance",
        "What happened",
        "NPS (all stores, last",
    ):
        assert words in html, words
    assert not (run_dir / "figures").exists(), "an HTML report leaves nothing else behind"


def _bold_markers(line: str) -> int:
    return len(re.findall(r"(?<!\\)\*\*", line))


def test_markdown_bold_always_closes(comp: Comparison, tmp_path: Path) -> None:
    """Issue 15: `| 21.9% ±0.0 **Δ +6.1 pp [+5.6, +6.6] |` opened bold and never closed it."""
    from cxsim.analysis.report import Cell, Report, Row, render_markdown

    cells = [Cell("x"), Cell("21.9%", small="±0.0", diff="Δ +6.1 pp [+5.6 pp, +6.6 pp]", clear=True)]
    cells.append(Cell("3 *", diff="Δ -1 [-2, -0]", clear=True, strong="closed"))
    rep = Report("t", "s", [], [], [Cell("m"), Cell("a"), Cell("b")], [Row(cells)], "n", {}, [], [])
    line = next(x for x in render_markdown(rep).splitlines() if x.startswith("| x |"))
    assert "**Δ +6.1 pp \\[+5.6 pp, +6.6 pp\\]**" in line, line
    assert _bold_markers(line) % 2 == 0 and "3 \\*" in line, line
    out = tmp_path / "cmp"
    comp.save(out)
    assert runner.invoke(app, ["report", str(out), "--markdown", "-q"]).exit_code == 0
    md = (out / "report.md").read_text()
    rows = [x for x in md.splitlines() if x.startswith("|")]
    assert any("**Δ" in x for x in rows), "some difference is clear (the lockdown)"
    for x in rows:
        for cell in x.split(" | "):
            assert _bold_markers(cell) % 2 == 0, cell


def test_comparison_report_says_what_happened_and_where_customers_switched(
    comp: Comparison, tmp_path: Path
) -> None:
    from cxsim.analysis.report import comparison_report

    rep = comparison_report(comp, {})
    (pandemic,) = [f for f in rep.happened if f.subject == "pandemic"]
    assert any("lockdown" in item.lower() for item in pandemic.items), pandemic.items
    assert "all scenarios with --set town.shoppers=500, warmup_days=10" in rep.title
    assert "Only 3 replications" in rep.table_note
    balance, switching = rep.tables
    assert switching.title == "Where customers switched" and switching.rows
    assert balance.title == "Customers won and lost, by store" and len(balance.rows) == 5
    assert [c.text for c in rep.table_head[1:]] == ["baseline", "pandemic"]
    assert rep.table_head[1].small == "(reference)"
    labels = [r.cells[0].text for r in rep.table_rows]
    assert "NPS (all stores, last 90 days)" in labels and "NPS (last 90 days) · Corner Shop" in labels


def test_what_happened_groups_repeated_strategy_moves() -> None:
    from cxsim.analysis.narration import what_happened
    from cxsim.model.log import LogEntry

    log = [
        LogEntry(1, "set", "giant", {"type": "set", "start": 1, "attribute": "price", "value": 0.8}),
        *(
            LogEntry(
                d,
                "strategy",
                "corner_shop",
                {"strategy": "invest_personalization", "attribute": "personalization", "value": v},
            )
            for d, v in ((30, 0.65), (60, 0.7), (90, 0.75))
        ),
        LogEntry(95, "closure", "boutique", {"customers": 12}),
    ]
    labels = {"giant": "OnlineGiant", "corner_shop": "Corner Shop", "boutique": "Boutique"}
    lines = what_happened(log, labels)
    assert lines[0].startswith("day 1: OnlineGiant")
    assert (
        lines[1]
        == "days 30–90: Corner Shop: invest in personalization, 3 moves (personalization 0.65 → 0.75)"
    )
    assert lines[2].startswith("day 95: Boutique closed") and "12 customers" in lines[2]


def test_time_figures_mark_strategy_moves_and_closures() -> None:
    log = pd.DataFrame(
        {
            "scenario": "s",
            "rep": 0,
            "day": [1, 30, 40, 60],
            "kind": ["set", "strategy", "closure", "event_start"],
            "store": ["giant", "corner_shop", "boutique", None],
            "message": [
                "giant: price set to 0.8",
                "Corner Shop invests",
                "Boutique closed: 3",
                "lockdown begins",
            ],
        }
    )
    marks = fg.log_marks(log)
    assert list(marks["mark"]) == ["set", "strategy", "line"], "span events are shaded, not marked"
    with fg.style():
        fig, axes = matplotlib.pyplot.subplots(1, 2)
        handles = fg.mark_log(list(axes), log, {"s": "#123456"}, stores=["corner_shop", "boutique"])
    assert {h.get_label() for h in handles} == {"strategy move", "a store opens, closes or goes online"}
    assert len(axes[0].lines) == 1 and len(axes[1].lines) == 1, "each store's panel shows its own moves"
    matplotlib.pyplot.close(fig)


def test_switching_figure_and_journey_flow_legend(comp: Comparison) -> None:
    with fg.style():
        fig = fg.switching_figure(comp.switching_flows(), comp.scenarios, 90)
        text = _texts(fig)
        assert "Where customers switched" in text and "previous store (lost the customer)" in text
        matplotlib.pyplot.close(fig)
        fig = fg.journey_flow(comp.journeys, comp.scenarios, store="OnlineGiant")
        text = _texts(fig)
        assert "showrooming (store visit → home delivery)" in text and "OnlineGiant's purchases" in text
        matplotlib.pyplot.close(fig)


def test_journey_flow_of_one_store_on_request(comp: Comparison, tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    comp.save(out)
    res = runner.invoke(app, ["report", str(out), "--journey-store", "giant", "-q"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["report", str(out), "--journey-store", "nowhere", "-q"])
    assert res.exit_code == 2 and "one of" in res.output and "giant" in res.output


def test_report_of_a_comparison_written_before_switching(comp: Comparison, tmp_path: Path) -> None:
    """Folders of earlier versions: no switching or store journeys, a log without kinds."""
    out = tmp_path / "old"
    comp.save(out)
    for name in ("switching.parquet", "store_journeys.parquet"):
        (out / name).unlink()
    log = pd.read_parquet(out / "log.parquet")[["day", "message", "scenario", "rep"]]
    log.to_parquet(out / "log.parquet", index=False)
    res = runner.invoke(app, ["report", str(out), "-q"])
    assert res.exit_code == 0, res.output
    html = (out / "report.html").read_text()
    assert "What happened" in html and "lockdown" in html
    assert "Where customers switched" not in html
