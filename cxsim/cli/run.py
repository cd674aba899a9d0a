"""``cxsim run``: one scenario, its summary on the terminal and its tables on disk."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cxsim.cli.main import Quiet, ScenariosOpt, SetOpt, console, fail_cleanly
from cxsim.cli.output_options import OverwriteOpt, out_folder
from cxsim.core.io import check_output
from cxsim.core.progress import progress_bar, progress_enabled
from cxsim.experiments.compare import format_value
from cxsim.experiments.results import RunResult
from cxsim.experiments.results import run as run_scenario
from cxsim.model.scenario import load_scenario


def run(
    scenario: Annotated[str, typer.Argument(help="Scenario name (built-in or yours) or a path.")],
    days: Annotated[int | None, typer.Option(help="Days to simulate.", min=1)] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.", min=0)] = None,
    set_: SetOpt = None,
    scenario_folders: ScenariosOpt = None,
    out: Annotated[str | None, typer.Option(help="Write the tables (Parquet) here.")] = None,
    overwrite: OverwriteOpt = False,
    purchases: Annotated[bool, typer.Option(help="Also write one row per purchase.")] = False,
    reviews: Annotated[bool, typer.Option(help="Also write one row per review (the reviews table).")] = False,
    quiet: Quiet = False,
) -> None:
    """Run one scenario, print its summary and write its tables."""
    extra = ["collect_reviews=true"] if reviews else []
    spec = load_scenario(scenario, [*(set_ or []), *extra], days=days, seed=seed)
    target = out_folder(out) if out is not None else None
    if target is not None:
        check_output(target, "run", overwrite=overwrite)
    with progress_bar(spec.days, spec.name, progress_enabled(quiet), unit="day") as tick:
        result = run_scenario(spec, purchases=purchases or None, progress=lambda _day: tick())
    print_summary(result)
    if target is not None:
        result.save(target, overwrite=overwrite)
        console.print(f"tables written to [bold]{target}[/]")


def print_summary(result: RunResult) -> None:
    """A short, readable summary of one run."""
    s = result.summary.iloc[0]
    head = Table(
        title=f"{s['scenario']} — {int(s['days'])} days, seed {int(s['seed'])}, "
        f"{int(s['shoppers']):,} shoppers",
        show_header=False,
        title_justify="left",
    )
    rows = [
        ("purchases", f"{int(s['purchases']):,}"),
        (
            "channel shares",
            f"walk-in {s['share_walk_in']:.1%} · delivery "
            f"{s['share_delivery']:.1%} · pick-up {s['share_pickup']:.1%}",
        ),
        (
            "online share",
            f"{s['online_share']:.1%} of purchases, {s['online_revenue_share']:.1%} of kept revenue",
        ),
        (
            "showrooming",
            f"{s['showrooming_rate']:.1%} of purchases "
            f"({s['competitive_showrooming_rate']:.1%} competitive); "
            f"{s['share_shoppers_showroomed']:.0%} of shoppers",
        ),
        (
            "webrooming",
            f"{s['webrooming_rate']:.1%} of purchases; {s['share_shoppers_webroomed']:.0%} of shoppers",
        ),
        (
            "returns",
            f"{s['return_rate']:.1%} (walk-in {s['return_rate_walk_in']:.1%}, "
            f"delivery {s['return_rate_delivery']:.1%})",
        ),
        (
            f"satisfaction / NPS (last {int(s['window_days'])} days)",
            f"{s['mean_satisfaction']:.2f} / {s['nps']:+.0f}",
        ),
        (
            "word of mouth",
            f"{int(s['wom_positive']):,} positive, {int(s['wom_negative']):,} "
            f"negative (ratio {s['wom_ratio']:.1f})",
        ),
        ("churn events", f"{int(s['churn_events']):,}"),
        ("open stores", f"{int(s['open_stores'])}"),
    ]
    for k, v in rows:
        head.add_row(k, v)
    console.print(head)
    console.print(store_table(result))


def store_table(result: RunResult) -> Table:
    """Market share, revenue share, NPS, loyalty, profit and cash by store over the summary window."""
    st = result.stores
    window = int(result.summary.iloc[0]["window_days"])
    last_day = int(st["day"].max())
    final = st[st["day"] == last_day].set_index("store")
    t = Table(
        title=f"stores — over the last {window} days: share of purchases, share of kept revenue, NPS "
        "(the mean of each day's trailing NPS, as `cxsim report` and `cxsim compare` show it) and "
        "profit; loyalty and cash at the end",
        title_justify="left",
    )
    summary = result.store_summary  # the one per-store summary (registry: store_summary)
    for col in ("store", "share", "revenue", "NPS", "loyalty", "profit", "cash", "open"):
        t.add_column(col, justify="left" if col == "store" else "right")
    for row in summary.itertuples(index=False):
        f = final.loc[row.store]
        t.add_row(
            str(f["label"]),
            f"{row.market_share:.1%}",
            f"{row.revenue_share:.1%}",
            format_value(row.nps, "score"),
            f"{f['mean_loyalty']:.2f}",
            f"{row.profit:,.0f}",
            f"{f['cash']:,.0f}",
            "yes" if f["is_open"] else "closed",
        )
    return t


def register(app: typer.Typer) -> None:
    """Add ``cxsim run`` to the command line."""
    app.command("run")(fail_cleanly(run))
