"""``cxsim validate``: check the model against the published patterns (docs/VALIDATION.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from cxsim.analysis.validation_figures import write_figures
from cxsim.cli.main import Quiet, ScenariosOpt, SetOpt, console, fail_cleanly
from cxsim.cli.output_options import OverwriteOpt, out_folder
from cxsim.core.errors import InputError
from cxsim.core.io import check_output
from cxsim.core.progress import progress_bar, progress_enabled
from cxsim.experiments.validation import (
    format_value,
    needs_price_runs,
    plan_jobs,
    resolve_scenarios,
    validate_patterns,
)
from cxsim.experiments.validation_drift import (
    DRIFT_REPS,
    DRIFT_YEARS,
    Drift,
    drift_passed,
    format_change,
    format_level,
    format_tolerance,
    year_columns,
)
from cxsim.experiments.validation_measures import ELASTICITY_STEP, band_verdict, format_elasticity
from cxsim.experiments.validation_patterns import load_patterns

PatternsOpt = Annotated[
    list[Path] | None,
    typer.Option("--patterns", help="A patterns file that adds or replaces patterns by id (repeatable)."),
]
"""``--patterns FILE`` (repeatable), of validate and calibrate."""


STATUS_RICH = {"pass": "[green]pass[/]", "fail": "[bold red]FAIL[/]", "finding": "[yellow]finding[/]"}
"""A check's status in the terminal: a finding failed its band for a documented reason."""


def rich_table(table: pd.DataFrame, title: str) -> Table:
    """The pattern table for the terminal."""
    t = Table(title=title, title_justify="left")
    for col in ("pattern", "check", "value [95% CI]", "target", "result", "source"):
        t.add_column(col, overflow="fold", no_wrap=col in ("pattern", "result"))
    last = None
    for _, r in table.iterrows():
        first = r["pattern"] != last
        if first and last is not None:
            t.add_section()
        last = r["pattern"]
        verdict = STATUS_RICH[str(r["status"])]
        t.add_row(
            str(r["pattern"]) if first else "",
            str(r["label"]),
            format_value(r),
            str(r["target"]),
            verdict,
            str(r["source"]) if first else "",
        )
    return t


def elasticity_rich_table(table: pd.DataFrame) -> Table:
    """The elasticity table for the terminal."""
    step = float(table["step"].iloc[0])
    t = Table(
        title=f"price elasticities of purchases (paired runs, price x (1 ± {step:.0%}), same seeds)",
        title_justify="left",
    )
    columns = (
        "scenario",
        "store",
        "elasticity [95% CI]",
        "in a store's band",
        "purchases in the window",
        "reps",
    )
    for col in columns:
        t.add_column(col, overflow="fold", no_wrap=col == "reps")
    for _, r in table.iterrows():
        verdict = {"yes": "[green]yes[/]", "no": "[bold red]no[/]"}.get(band_verdict(r), "—")
        t.add_row(
            str(r["scenario"]),
            str(r["store"]),
            format_elasticity(r),
            verdict,
            f"{r['purchases']:,.0f}",
            str(r["reps"]),
        )
    return t


def drift_rich_table(table: pd.DataFrame, about: str) -> Table:
    """The drift check for the terminal."""
    t = Table(title=f"drift check (steady state): {about}", title_justify="left")
    years = year_columns(table)
    for col in ("check", *(c.replace("_", " ") for c in years), f"largest change vs year {len(years)}"):
        t.add_column(col, overflow="fold")
    t.add_column("tolerance", no_wrap=True)
    t.add_column("result", no_wrap=True)
    for _, r in table.iterrows():
        verdict = "[green]pass[/]" if r["passed"] else "[bold red]FAIL[/]"
        levels = [format_level(r[c], str(r["metric"])) for c in years]
        t.add_row(str(r["label"]), *levels, format_change(r), format_tolerance(r), verdict)
    return t


def validate(
    reps: Annotated[
        int, typer.Option(help="Replications per scenario (at least 2, for the CI).", min=2, max=100_000)
    ] = 5,
    workers: Annotated[int, typer.Option(help="Parallel processes (0: one per core).", min=0, max=1024)] = 0,
    patterns: PatternsOpt = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Check only this pattern id (repeatable).")
    ] = None,
    out: Annotated[str, typer.Option(help="Write the table, replications and figures here.")] = "validation",
    overwrite: OverwriteOpt = False,
    set_: SetOpt = None,
    scenario_folders: ScenariosOpt = None,
    days: Annotated[int | None, typer.Option(help="Override every scenario's horizon.", min=1)] = None,
    elasticities: Annotated[
        bool,
        typer.Option(
            "--elasticities/--no-elasticities",
            help="Measure price elasticities (P7: paired price runs, 2 per store + 2 per replication); "
            "--no-elasticities leaves out the patterns that need them.",
        ),
    ] = True,
    price_step: Annotated[
        float,
        typer.Option(help="Relative price change of the elasticities' paired runs.", min=0.001, max=0.2),
    ] = ELASTICITY_STEP,
    drift: Annotated[
        bool | None,
        typer.Option(
            "--drift/--no-drift",
            help="Check that the baseline is at a steady state: run it --drift-years years at --drift-reps "
            "seeds; yearly online share within ±1 pp, NPS ±5, word-of-mouth ratio ±0.5, each store's "
            "market share ±2 pp of the last year (a failing drift check exits 1). "
            "Default: on, unless --only or --days narrows the run.",
        ),
    ] = None,
    drift_years: Annotated[
        int, typer.Option(help="Years of the drift check's runs (after the warm-up).", min=2, max=100)
    ] = DRIFT_YEARS,
    drift_reps: Annotated[
        int, typer.Option(help="Seeds of the drift check (at least 2, for the CI).", min=2, max=100_000)
    ] = DRIFT_REPS,
    quiet: Quiet = False,
) -> None:
    """Check the model against the published patterns (docs/VALIDATION.md).

    Runs each pattern's scenario with replications and prints, per pattern, the
    mean with its 95% confidence interval, the target band, pass or fail and the
    source, then each store's own-price elasticity and the category's, then the
    drift check (is the baseline at a steady state over --drift-years years). Exit
    status 0 when every pattern checked and the drift check pass, 1 when one fails,
    2 on bad input.
    """
    chosen = load_patterns(patterns or (), only or ())
    left_out = [] if elasticities else [p.id for p in chosen if needs_price_runs(p)]
    chosen = [p for p in chosen if p.id not in left_out]
    if not chosen:
        raise InputError("--no-elasticities", "", "a pattern that does not need price elasticities", "none")
    target = out_folder(out)
    check_output(target, "validate", overwrite=overwrite)
    plan = resolve_scenarios(chosen, set_ or (), days, price_step)
    if drift is None:  # on for a full validate; a quick check (--only, --days) asks for it with --drift
        drift = not (only or days)
    run_drift = Drift(drift_years, drift_reps) if drift else None
    n_jobs = len(plan_jobs(plan, chosen, reps)) + (run_drift.reps if run_drift is not None else 0)
    with progress_bar(n_jobs, "validate", progress_enabled(quiet)) as tick:
        result = validate_patterns(
            chosen,
            reps,
            overrides=set_ or (),
            days=days,
            workers=workers or None,
            progress=tick,
            step=price_step,
            drift=run_drift,
        )
    result.write(target, also=lambda folder: write_figures(result, folder / "figures"), overwrite=overwrite)
    sizes = ", ".join(
        f"{s['name']} ({s['shoppers']:,} shoppers, {s['days']} days)"
        for s in result.info["scenarios"].values()
    )
    console.print(rich_table(result.table, f"validation — {reps} replications of {sizes}"))
    if not result.elasticities.empty:
        console.print(elasticity_rich_table(result.elasticities))
    if not result.drift.empty:
        console.print(drift_rich_table(result.drift, result.info["drift"]["about"]))
    if left_out:
        console.print(f"left out (--no-elasticities): {', '.join(left_out)}")
    status = result.table.groupby("pattern", sort=False)["status"]
    n_fail = int(status.apply(lambda s: (s == "fail").any()).sum())
    verdict = "[green]all patterns pass[/]" if n_fail == 0 else f"[bold red]{n_fail} pattern(s) fail[/]"
    findings = result.table[result.table["status"] == "finding"]
    if n_fail == 0 and len(findings):
        verdict = f"[green]no pattern fails[/] ({len(findings)} check(s) a documented finding)"
    for _, r in findings.iterrows():
        console.print(f"[yellow]finding[/] {r['pattern']} {r['label']}: {r['finding']}")
    if not result.drift.empty:
        drifting = "[green]at a steady state[/]" if drift_passed(result.drift) else "[bold red]drifts[/]"
        verdict += f", the baseline {drifting}"
    console.print(f"{verdict}; table, replications and figures written to [bold]{target}[/]")
    raise typer.Exit(0 if result.passed else 1)


def register(app: typer.Typer) -> None:
    """Add ``cxsim validate`` to the command line."""
    app.command("validate")(fail_cleanly(validate))
