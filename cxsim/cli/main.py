"""The ``cxsim`` command line.

Every command turns bad input (:class:`~cxsim.core.errors.InputError`) into one
clear line on stderr and exit status 2, and writes nothing. Commands of
other modules (compare, sweep, analyze, app, validate...) register
themselves from :data:`COMMAND_MODULES`.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cxsim.core.errors import InputError

app = typer.Typer(
    name="cxsim",
    help="Agent-based simulation of retail customer experience (Mesa).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

# Modules that add commands: each defines ``register(app)``. Missing modules are skipped.
COMMAND_MODULES = (
    "cxsim.experiments.compare",
    "cxsim.cli.report",
    "cxsim.experiments.sweep",
    "cxsim.cli.analyze",
    "cxsim.cli.app_cmd",
    "cxsim.experiments.validation",
    "cxsim.experiments.calibration",
)


def fail_cleanly[F: Callable[..., Any]](func: F) -> F:
    """Report :class:`InputError` as one line and exit with status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            message = escape(exc.message)  # keep "[low, high]" and the like: not rich markup
            err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def progress_enabled(quiet: bool) -> bool:
    """Progress bars only on a terminal and when not ``--quiet``."""
    return not quiet and sys.stderr.isatty()


Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", help="Override one value: PATH=VALUE (repeatable)."),
]


@app.command()
@fail_cleanly
def run(
    scenario: Annotated[str, typer.Argument(help="Scenario name under scenarios/ or a path.")],
    days: Annotated[int | None, typer.Option(help="Days to simulate.", min=1)] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.", min=0)] = None,
    set_: SetOpt = None,
    out: Annotated[Path | None, typer.Option(help="Write the tables (Parquet) here.")] = None,
    purchases: Annotated[bool, typer.Option(help="Also write one row per purchase.")] = False,
    quiet: Quiet = False,
) -> None:
    """Run one scenario, print its summary and write its tables."""
    from cxsim.experiments.results import check_writable
    from cxsim.experiments.results import run as run_scenario
    from cxsim.model.scenario import load_scenario

    spec = load_scenario(scenario, set_ or [], days=days, seed=seed)
    if out is not None:
        check_writable(out)
    with day_progress(spec.days, f"{spec.name}", quiet) as tick:
        result = run_scenario(spec, purchases=purchases or None, progress=tick)
    print_summary(result)
    if out is not None:
        result.save(out)
        console.print(f"tables written to [bold]{out}[/]")


class day_progress:  # noqa: N801 - used as a context manager like a function
    """A tqdm progress bar over days; a no-op when quiet or not on a terminal."""

    def __init__(self, total: int, label: str, quiet: bool) -> None:
        self.bar = None
        if progress_enabled(quiet):
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=label, unit="day", leave=False)

    def __enter__(self) -> Callable[[int], None]:
        def tick(_day: int) -> None:
            if self.bar is not None:
                self.bar.update(1)

        return tick

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def print_summary(result: Any) -> None:
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
        ("online share", f"{s['online_share']:.1%}"),
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
        ("satisfaction / NPS", f"{s['mean_satisfaction']:.2f} / {s['nps']:+.0f}"),
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


def store_table(result: Any) -> Table:
    """Market share, NPS, loyalty and cash by store over the summary window."""
    st = result.stores
    window = int(result.summary.iloc[0]["window_days"])
    last_day = int(st["day"].max())
    recent = st[st["day"] > last_day - window]
    total = recent["purchases"].sum()
    final = st[st["day"] == last_day].set_index("store")
    t = Table(title="stores", title_justify="left")
    for col in ("store", "kind", "market share", "NPS", "loyalty", "cash", "open"):
        t.add_column(col, justify="left" if col in ("store", "kind") else "right")
    for name, g in recent.groupby("store", sort=False):
        f = final.loc[name]
        share = g["purchases"].sum() / total if total else 0.0
        t.add_row(
            str(f["label"]),
            str(f["kind"]),
            f"{share:.1%}",
            "–" if f["nps"] != f["nps"] else f"{f['nps']:+.0f}",
            f"{f['mean_loyalty']:.2f}",
            f"{f['cash']:,.0f}",
            "yes" if f["is_open"] else "closed",
        )
    return t


@app.command("scenarios")
@fail_cleanly
def list_scenarios() -> None:
    """List the scenarios under scenarios/ with their one-line description."""
    from cxsim.model.scenario import load_raw, scenario_names

    t = Table(show_header=True, title="scenarios", title_justify="left")
    t.add_column("name")
    t.add_column("description")
    for name in scenario_names():
        data, _ = load_raw(name)
        t.add_row(name, str(data.get("description", "")))
    console.print(t)


@app.command()
@fail_cleanly
def show(
    scenario: Annotated[str, typer.Argument(help="Scenario name or path.")],
    set_: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of TOML.")] = False,
) -> None:
    """Print the resolved scenario, after `extends` and overrides."""
    from cxsim.model.scenario import load_scenario

    spec = load_scenario(scenario, set_ or [])
    data = spec.to_toml_dict()
    if as_json:
        typer.echo(json.dumps(data, indent=2))
    else:
        typer.echo(to_toml(data))


def to_toml(data: dict[str, Any], prefix: str = "") -> str:
    """Write plain scenario data as TOML (tables and arrays of tables)."""
    lines: list[str] = []
    tables: list[tuple[str, dict[str, Any]]] = []
    arrays: list[tuple[str, list[dict[str, Any]]]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            arrays.append((key, value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    out = "\n".join(lines)
    for key, value in tables:
        name = f"{prefix}{key}"
        body = to_toml(value, prefix=f"{name}.")
        if any(not isinstance(v, dict) for v in value.values()) or not value:
            out += f"\n\n[{name}]\n" + body
        else:
            out += "\n" + body
    for key, items in arrays:
        for item in items:
            out += f"\n\n[[{prefix}{key}]]\n" + to_toml(item)
    return out.strip("\n") + "\n" if not prefix else out


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def _register_extensions() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(app)


_register_extensions()


def main() -> None:
    """Entry point of the ``cxsim`` command."""
    app()


if __name__ == "__main__":
    main()
