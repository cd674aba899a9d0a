"""The cxsim app: an interactive town for classrooms and strategy workshops (Solara).

Run it with ``cxsim app`` (or ``solara run cxsim/app/page.py --production`` with
the offline environment of docs/dev/offline-app.md); docs/APP.md is the
user's guide and says why it is built the way it is.

How it is put together (each module has one job; only this package imports Solara):

- :mod:`cxsim.app.levers`: the sliders' values and the scenario overrides they stand for;
- :mod:`cxsim.app.session`: one browser session's :class:`~cxsim.app.session.Session`
  (a :class:`~cxsim.model.cxmodel.CXModel` plus the history the charts need)
  and its immutable :class:`~cxsim.app.session.View` (plain lists and dicts);
  components render views only, never the live model, so Play can step the
  model in a background thread while the page stays responsive;
- :mod:`cxsim.app.chart_data`: the datasets the charts draw;
- :mod:`cxsim.app.charts` and :mod:`cxsim.app.map`: the charts and the town map
  as Altair (Vega-Lite 5) specs;
- :mod:`cxsim.app.vega`: ``VegaView``, a small Vue widget that embeds a spec
  once and then streams new data into it (vega, vega-lite and vega-embed
  from Solara's offline asset cache);
- :mod:`cxsim.app.state`: ``AppState``, one session's reactive variables and actions;
- :mod:`cxsim.app.components` and :mod:`cxsim.app.controls`: the cards and the sidebar;
- :mod:`cxsim.app.classroom`: the words of the classroom panel.

Every browser session gets its own ``AppState`` and ``Session``, created by
:func:`Page` with ``solara.use_memo``: nothing mutable lives at module level.
"""

# ruff: noqa: N802 - Solara components are named like classes
from __future__ import annotations

import reacton.core
import solara

from cxsim.app.components import Charts, ClassroomPanel, KpiRow, MainChart, TownMap
from cxsim.app.controls import AppBarDay, Controls
from cxsim.app.panels import Inspector, TakeHome
from cxsim.app.state import AppState
from cxsim.model.scenario import scenario_names


@solara.component
def Main(state: AppState) -> None:
    """KPIs, map, classroom panel and charts."""
    if state.error.value:
        solara.Error(state.error.value, classes=["cx-error"])
    view = state.view.value
    if state.session.value is None or view is None:
        solara.Warning(
            "No scenario found: put scenario files (*.toml) under scenarios/ or set CXSIM_SCENARIOS."
        )
        return
    classroom_mode = state.classroom.value
    with solara.Column(style={"padding": "4px 8px", "gap": "12px"}, classes=["cx-main"]):
        KpiRow(view, compact=state.projector.value)
        if state.projector.value:
            # one 1280×720 screen: the map and the main chart side by side; the rest below
            with solara.ColumnsResponsive(default=12, medium=[6, 6]):
                TownMap(state)
                MainChart(state)
            Inspector(state)
            if classroom_mode:
                ClassroomPanel(state)
            Charts(state, main=False)
            return
        with solara.ColumnsResponsive(default=12, large=[7, 5] if classroom_mode else [12]):
            TownMap(state)
            if classroom_mode:
                ClassroomPanel(state)
        Inspector(state)
        Charts(state)


@solara.component
def Page() -> None:
    """The app: one town per browser session."""
    state = solara.use_memo(lambda: AppState(scenario_names()), [])
    state.render_context = reacton.core.get_render_context(required=False)
    sess = state.session.value
    solara.use_thread(
        state.play_loop,
        dependencies=[state.playing.value, sess.id if sess is not None else 0],
        intrusive_cancel=False,
    )
    solara.Title("cxsim — a town of shoppers")
    with solara.AppBar():
        solara.AppBarTitle("cxsim — a town of shoppers")
        solara.v.Spacer()
        AppBarDay(state)
        solara.Button(
            "Projector: on" if state.projector.value else "Projector",
            icon_name="mdi-projector-screen",
            on_click=lambda: state.projector.set(not state.projector.value),
            text=True,
            dark=True,
            classes=["cx-projector"],
            style={"margin-left": "12px"},
        )
    with solara.Sidebar():
        Controls(state)
        TakeHome(state)
    Main(state)
