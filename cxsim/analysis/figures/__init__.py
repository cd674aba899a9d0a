"""Figures of a run or a comparison (matplotlib, Agg backend, PNG).

Every figure takes tidy tables with ``scenario`` and ``rep`` columns (a single
run is one scenario with one replication), so the same code draws a run and a
comparison. Lines are means over replications, bands their 95% confidence
intervals; event periods (lockdowns, promotions, recessions, disruptions) are
shaded in the colour of the scenario that has them.

- ``channel_shares.png``: walk-in, home-delivery and pick-up shares over time, and purchases a day
  (:mod:`.timeseries`);
- ``market_share_nps.png``: market share and NPS by store (:mod:`.stores`);
- ``journey_rates.png``: showrooming and webrooming, as shares of purchases and of shoppers
  (:mod:`.journeys`);
- ``store_cash.png``: each store's cash over time, closures marked (:mod:`.stores`);
- ``journey_flow.png``: research channel → fulfilment → outcome, as customer-experience teams
  draw it, showrooming and webrooming ribbons coloured; for all stores or one (:mod:`.journeys`);
- ``switching.png``: where each store's lost customers went and where its new ones came from
  (a comparison only, :mod:`.switching`).

Time figures mark the typed log: dotted lines where a store opens, closes or goes
online, triangles for strategy moves, diamonds for calendar changes of a store.
"""

from cxsim.analysis.figures.draw import (
    FigureData,
    comparison_data,
    comparison_figures,
    draw_all,
    run_data,
    run_figures,
)
from cxsim.analysis.figures.journeys import journey_flow, journey_rates
from cxsim.analysis.figures.stores import market_share_nps, store_cash
from cxsim.analysis.figures.style import FIGURES, band, colours, finish, save, style
from cxsim.analysis.figures.switching import switching_figure
from cxsim.analysis.figures.timeseries import (
    channel_shares,
    event_label,
    event_spans,
    log_marks,
    mark_log,
    smoothed_shares,
)

__all__ = [
    "FIGURES",
    "FigureData",
    "band",
    "channel_shares",
    "colours",
    "comparison_data",
    "comparison_figures",
    "draw_all",
    "event_label",
    "event_spans",
    "finish",
    "journey_flow",
    "journey_rates",
    "log_marks",
    "mark_log",
    "market_share_nps",
    "run_data",
    "run_figures",
    "save",
    "smoothed_shares",
    "store_cash",
    "style",
    "switching_figure",
]
