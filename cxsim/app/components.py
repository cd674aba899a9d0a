"""The page's display components: headline numbers, the town map, the chart cards and the classroom panel.

Components render a :class:`~cxsim.app.session.View` (plain data), never the
live model. Headline labels and units come from the metric registry
(:mod:`cxsim.model.registry`).
"""

# ruff: noqa: N802 - Solara components are named like classes
from __future__ import annotations

import solara

from cxsim.analysis import narration
from cxsim.app import classroom
from cxsim.app.charts import chart_specs
from cxsim.app.map import town_map_spec
from cxsim.app.palette import short_label
from cxsim.app.session import MAX_DOTS, MIN_KPI_DAYS, SHARE_WINDOW, View
from cxsim.app.state import AppState
from cxsim.app.vega import VegaChart
from cxsim.model.registry import metric

MAP_HEIGHT = 440
"""Height of the map's plot, in px."""
MAP_HEIGHT_PROJECTOR = 300
"""In projector mode: the map and the main chart share one 1280×720 screen."""


def format_value(name: str, value: float | None) -> str:
    """A headline number as its registered unit shows it (``—`` when there is no value)."""
    if value is None:
        return "—"
    unit = metric(name, "timeseries").unit
    if unit == "share":
        return f"{value:.0%}"
    if unit == "score":
        return f"{value:+.0f}"
    return f"{value:,.0f}"


def kpi_label(name: str) -> str:
    """A headline's label: the registered metric's short label, capitalised."""
    label = short_label(metric(name, "timeseries"))
    return label[:1].upper() + label[1:]


@solara.component
def Kpi(label: str, value: str, hint: str = "") -> None:
    """One headline number."""
    with solara.v.Sheet(
        elevation=1,
        rounded=True,
        class_="cx-kpi px-3 py-2",
        style_="min-width: 96px; flex: 1 1 0",
    ):
        solara.v.Html(tag="div", children=[label], class_="caption text--secondary")
        solara.v.Html(
            tag="div", children=[value], class_="text-h6 font-weight-medium", style_="line-height: 1.3"
        )
        if hint:
            solara.v.Html(
                tag="div", children=[hint], class_="caption text--secondary", style_="line-height: 1.2"
            )


def window_words(view: View) -> str:
    """The window the headline rates pool, named as it is: "last 12 days", or "no data yet"."""
    if view.kpis.get("online_share") is None and view.day < MIN_KPI_DAYS:
        return f"no data yet (from day {MIN_KPI_DAYS})"
    if view.kpi_window == 1:
        return "last day"
    return f"last {view.kpi_window} days"


@solara.component
def KpiRow(view: View, compact: bool = False) -> None:
    """Headline numbers of the town today (``compact``: only the window as a hint, for projector mode)."""
    k = view.kpis
    window = window_words(view)

    def kpi(name: str, hint: str) -> None:
        Kpi(kpi_label(name), format_value(name, k[name]), window if compact else hint)

    with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}, classes=["cx-kpis"]):
        Kpi("Day", f"{view.day} / {view.days}", "" if compact else "simulated days")
        Kpi(
            "Purchases today",
            format_value("purchases", k["purchases"]),
            "" if compact else f"{view.shoppers:,} shoppers",
        )
        kpi("online_share", window)
        kpi("showrooming_rate", f"visit, then delivery; {window}")
        kpi("webrooming_rate", f"research online, buy in a shop; {window}")
        Kpi(kpi_label("nps"), format_value("nps", k["nps"]), "" if compact else "whole town")
        Kpi(kpi_label("open_stores"), f"{k['open_stores']} of {k['stores']}")


@solara.component
def TownMap(state: AppState) -> None:
    """The map card with its colour toggle; a click on a shopper or a store opens the inspector."""
    view, sess = state.view.value, state.session.value
    color_by = state.color_by.value
    height = MAP_HEIGHT_PROJECTOR if state.projector.value else MAP_HEIGHT
    spec = solara.use_memo(
        lambda: town_map_spec(sess, color_by, height) if sess is not None else "{}",
        [sess.id if sess is not None else 0, color_by, height],
    )
    if view is None or sess is None:
        return
    with solara.Card(classes=["cx-map-card"], margin=0):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.v.Html(tag="div", children=["Town map"], class_="text-h6")
            solara.v.Spacer()
            solara.v.Html(tag="span", children=["Colour shoppers by"], class_="caption mr-2")
            with solara.ToggleButtonsSingle(value=state.color_by, dense=True):
                solara.Button("last channel", value="channel", text=True, classes=["cx-color-channel"])
                solara.Button("loyalty", value="loyalty", text=True, classes=["cx-color-loyalty"])
        VegaChart("map", spec, view.charts["map"], renderer="canvas", on_select=state.select)
        if state.projector.value:
            return
        solara.v.Html(
            tag="div",
            class_="caption text--secondary",
            children=[
                "Squares: shops · diamonds: omnichannel stores · triangles: online stores (right). "
                f"Marker size: market share over the last {SHARE_WINDOW} days; ✕: closed. "
                "Hover over a dot or a store to see who it is; click it to follow it."
                + (f" {MAX_DOTS:,} of {view.shoppers:,} shoppers drawn." if view.shoppers > MAX_DOTS else "")
            ],
        )


@solara.component
def ChartCard(title: str, subtitle: str, children: list[solara.Element] = []) -> None:  # noqa: B006 - solara's convention
    """A titled card for one chart."""
    header = [
        solara.v.Html(tag="div", children=[title], class_="text-subtitle-1 font-weight-medium"),
        solara.v.Html(tag="div", children=[subtitle], class_="caption text--secondary mb-1"),
    ]
    solara.Card(margin=0, classes=["cx-chart-card"], style={"height": "100%"}, children=[*header, *children])


def use_chart_specs(state: AppState) -> dict[str, str]:
    """The session's chart specs (built once per session)."""
    sess = state.session.value
    specs: dict[str, str] = solara.use_memo(
        lambda: chart_specs(sess) if sess is not None else {}, [sess.id if sess is not None else 0]
    )
    return specs


@solara.component
def MainChart(state: AppState) -> None:
    """The main chart, channel shares over time (beside the map in projector mode)."""
    view, specs = state.view.value, use_chart_specs(state)
    if view is None or not specs:
        return
    with ChartCard("Channel shares over time", "How purchases are fulfilled; shaded: events"):
        VegaChart("channels", specs["channels"], view.charts["channels"])


@solara.component
def Charts(state: AppState, main: bool = True) -> None:
    """The chart cards (``main``: with the channel-share chart, which projector mode puts beside the map)."""
    view, sess = state.view.value, state.session.value
    specs = use_chart_specs(state)
    if view is None or sess is None or not specs:
        return
    c = view.charts
    with solara.ColumnsResponsive(default=12, large=[6, 6]):
        if main:
            MainChart(state)
        with ChartCard(
            "Showrooming and webrooming",
            "Showrooming: see it in a shop, buy it online. Webrooming: research online, buy in a shop.",
        ):
            VegaChart("rates", specs["rates"], c["rates"])
        with ChartCard(
            "Market share by store", f"Purchases over the last {SHARE_WINDOW} days; click a store"
        ):
            VegaChart("shares", specs["shares"], c["shares"], on_select=state.select)
        with ChartCard("NPS by store", f"Net Promoter Score of the last {SHARE_WINDOW} days' buyers"):
            VegaChart("nps", specs["nps"], c["nps"], on_select=state.select)
        with ChartCard(
            "Store cash", "A store closes when it expects to run out of money; dashed red: a closure"
        ):
            VegaChart("cash", specs["cash"], c["cash"])
        with ChartCard("What happened", "Events, closures and the stores' strategy moves"):
            EventLog(view.happenings, view.day, limit=12)
    with ChartCard(
        "Customer journeys",
        f"Last {SHARE_WINDOW} days: how shoppers researched (left) and how they bought (right)",
    ):
        if not view.data["journey_links"]:
            solara.v.Html(tag="div", children=["No purchases yet: press Step or Play."], class_="caption")
        VegaChart("journeys", specs["journeys"], c["journeys"])


@solara.component
def EventLog(items: list[narration.Happening], day: int, limit: int = 6) -> None:
    """The latest happenings, newest first."""
    latest = list(reversed(items))[:limit]
    if not latest:
        solara.v.Html(tag="div", children=["Nothing special yet."], class_="caption text--secondary")
        return
    with solara.v.Html(tag="ul", class_="cx-happenings", style_="padding-left: 18px; margin: 0"):
        for h in latest:
            fresh = day - h.day <= 7
            solara.v.Html(
                tag="li",
                children=[h.headline],
                class_="body-2" + (" font-weight-bold" if fresh else ""),
                style_="color: #b71c1c" if h.kind == "closure" else "",
            )


@solara.component
def StoryBlock(story: classroom.ScenarioStory) -> None:
    """What the scenario is about (changes only with the preset)."""
    solara.v.Html(tag="div", children=[f"Classroom — {story.title}"], class_="text-h6")
    solara.v.Html(tag="p", children=[story.about], class_="body-2 mb-1 cx-about")
    solara.v.Html(
        tag="p",
        class_="body-2 mb-2",
        children=[solara.v.Html(tag="b", children=["The question: "]), story.question],
    )
    if story.calendar:
        solara.v.Html(tag="div", children=["On the calendar"], class_="subtitle-2")
        with solara.v.Html(tag="ul", class_="body-2 cx-calendar", style_="padding-left: 18px"):
            for line in story.calendar:
                solara.v.Html(tag="li", children=[line])
    with (
        solara.Details("The stores of this town"),
        solara.v.Html(tag="ul", class_="body-2", style_="padding-left: 18px"),
    ):
        for line in story.stores:
            solara.v.Html(tag="li", children=[line])


@solara.component
def ClassroomPanel(state: AppState) -> None:
    """Plain words: what the scenario is about, what just happened, what to discuss."""
    view = state.view.value
    if view is None:
        return
    with solara.Card(margin=0, classes=["cx-classroom"], style={"height": "100%"}):
        StoryBlock(view.story)
        if view.notes:
            solara.v.Html(
                tag="p",
                class_="body-2 mb-1 cx-notes",
                children=["You changed: " + "; ".join(view.notes) + "."],
            )
        solara.v.Html(tag="div", children=["What just happened"], class_="subtitle-2 mt-2")
        solara.v.Html(tag="p", children=[view.today], class_="body-2 mb-1 cx-today")
        recent = [h for h in view.happenings if view.day - h.day <= 7]
        if recent:
            solara.Info(recent[-1].headline, dense=True, classes=["cx-headline"])
        EventLog(view.happenings, view.day, limit=4)
        solara.v.Html(tag="div", children=["To discuss"], class_="subtitle-2 mt-2")
        with solara.v.Html(tag="ol", class_="body-2 cx-questions", style_="padding-left: 18px"):
            for q in view.questions:
                solara.v.Html(tag="li", children=[q])
