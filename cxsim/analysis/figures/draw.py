"""Drawing every figure of a run or a comparison into a folder (PNG)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cxsim.analysis import narration
from cxsim.analysis.figures.journeys import journey_flow, journey_rates
from cxsim.analysis.figures.stores import market_share_nps, store_cash
from cxsim.analysis.figures.style import save, store_labels, style
from cxsim.analysis.figures.switching import switching_figure
from cxsim.analysis.figures.timeseries import channel_shares
from cxsim.core.errors import InputError
from cxsim.experiments.compare import Comparison
from cxsim.experiments.results import RunResult
from cxsim.model.journeys import purchases_journeys

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class FigureData:
    """The tidy tables every figure reads (``scenario`` and ``rep`` columns throughout)."""

    scenarios: Sequence[str]
    timeseries: pd.DataFrame
    stores: pd.DataFrame
    store_summary: pd.DataFrame
    replications: pd.DataFrame
    journeys: pd.DataFrame | None
    log: pd.DataFrame | None
    shoppers: int | None = None
    journey_note: str = ""
    switching: pd.DataFrame | None = None
    """Store-to-store flows (:func:`cxsim.experiments.switching.switching_summary`), if counted."""
    journey_store: str | None = None
    """Draw the journey flow of this store's purchases only (``cxsim report --journey-store``)."""


def check_store(store: str, names: list[str]) -> None:
    """Bad input unless ``store`` is one of the stores ``names`` (``--journey-store``)."""
    if store not in names:
        found = store if names else f"{store} (this folder has no journeys by store; rerun it)"
        raise InputError("--journey-store", "", f"a store name, one of {', '.join(names) or 'none'}", found)


def draw_all(data: FigureData, folder: Path, progress: Callable[[], None] | None = None) -> dict[str, Path]:
    """Draw every figure into ``folder``; returns the paths by figure name.

    ``progress`` is called after each figure (for a progress bar).
    """
    reps = data.replications
    window = int(reps["window_days"].max()) if "window_days" in reps else 365
    drawers: dict[str, Callable[[], Figure]] = {
        "channel_shares": lambda: channel_shares(
            data.timeseries, data.scenarios, stores=data.stores, log=data.log
        ),
        "market_share_nps": lambda: market_share_nps(data.store_summary, data.scenarios, window),
        "journey_rates": lambda: journey_rates(reps, data.scenarios),
        "store_cash": lambda: store_cash(
            data.stores, data.scenarios, ts=data.timeseries, log=data.log, shoppers=data.shoppers
        ),
    }
    journeys = data.journeys
    if journeys is not None and not journeys.empty:
        drawers["journey_flow"] = lambda: journey_flow(
            journeys, data.scenarios, note=data.journey_note, store=data.journey_store
        )
    flows = data.switching
    if flows is not None and not flows.empty:
        drawers["switching"] = lambda: switching_figure(flows, data.scenarios, window)
    out: dict[str, Path] = {}
    with style():
        for name, draw in drawers.items():
            out[name] = save(draw(), folder / f"{name}.png")
            if progress is not None:
                progress()
    return out


def comparison_data(comp: Comparison, journey_store: str | None = None) -> FigureData:
    """A comparison's tables, as the figures read them."""
    shoppers = set(comp.meta.get("shoppers", {}).values())
    journeys = comp.journeys
    if journey_store is not None:
        by_store = comp.store_journeys
        names = sorted(set(by_store["store"])) if "store" in by_store else []
        check_store(journey_store, names)
        journeys = by_store[by_store["store"] == journey_store].drop(columns="store")
    return FigureData(
        scenarios=comp.scenarios,
        timeseries=comp.timeseries,
        stores=comp.stores,
        store_summary=comp.store_summary,
        replications=comp.replications,
        journeys=journeys,
        log=comp.log,
        shoppers=shoppers.pop() if len(shoppers) == 1 else None,
        switching=comp.switching_flows(),
        journey_store=store_labels(comp.stores).get(journey_store) if journey_store else None,
    )


def comparison_figures(
    comp: Comparison,
    folder: str | Path,
    progress: Callable[[], None] | None = None,
    journey_store: str | None = None,
) -> dict[str, Path]:
    """Every figure of a comparison, under ``folder`` (the journey flow of one store, if named)."""
    return draw_all(comparison_data(comp, journey_store), Path(folder), progress)


def run_data(result: RunResult, journey_store: str | None = None) -> FigureData:
    """A single run's tables in the tidy form of a comparison (one scenario, replication 0)."""
    name = str(result.summary["scenario"].iloc[0])
    tag = {"scenario": name, "rep": 0}
    window = int(result.summary["window_days"].iloc[0])
    journeys = None
    note = ""
    if journey_store is not None:
        check_store(journey_store, sorted(set(result.stores["store"])))
    if result.purchases is not None and len(result.purchases):
        p = result.purchases
        p = p[p["day"] > int(p["day"].max()) - window]
        if journey_store is not None:
            p = p[p["store"] == journey_store]
        journeys = purchases_journeys(p).assign(**tag)
        note = "(A single run's purchases table does not record avoidance; `cxsim compare` counts it.)"
    labels = narration.labels_from_scenario(result.scenario)
    log = pd.DataFrame(
        [
            {"day": e.day, "kind": e.kind, "store": e.store, "message": narration.entry_text(e, labels)}
            for e in result.log
        ],
        columns=["day", "kind", "store", "message"],
    )
    return FigureData(
        scenarios=[name],
        timeseries=result.timeseries.assign(**tag),
        stores=result.stores.assign(**tag),
        store_summary=result.store_summary.assign(**tag),
        replications=result.summary.assign(rep=0),
        journeys=journeys,
        log=log.assign(**tag),
        shoppers=int(result.summary["shoppers"].iloc[0]) if "shoppers" in result.summary else None,
        journey_note=note,
        journey_store=store_labels(result.stores).get(journey_store) if journey_store else None,
    )


def run_figures(
    result: RunResult,
    folder: str | Path,
    progress: Callable[[], None] | None = None,
    journey_store: str | None = None,
) -> dict[str, Path]:
    """Every figure of a single run (the journey flow only if purchases were collected)."""
    return draw_all(run_data(result, journey_store), Path(folder), progress)
