"""The inspector (click a shopper or a store on the map) and "Take it home" (downloads, the commands).

The data come from :mod:`cxsim.app.inspect` and :mod:`cxsim.app.export` (no
Solara there); these components only lay them out.
"""

# ruff: noqa: N802 - Solara components are named like classes
from __future__ import annotations

from typing import Any

import ipyvuetify
import solara
import traitlets

from cxsim.app import export
from cxsim.app.inspect import shopper_card, store_card
from cxsim.app.state import AppState

COPY_TEMPLATE = r"""
<template>
  <v-btn small outlined color="primary" class="cx-copy" @click="copy">{{ done ? 'Copied' : 'Copy' }}</v-btn>
</template>
<script>
module.exports = {
  methods: {
    async copy() {
      try { await navigator.clipboard.writeText(this.text); }
      catch (e) {  // no clipboard permission: select a hidden textarea and copy it
        const t = document.createElement('textarea'); t.value = this.text;
        document.body.appendChild(t); t.select(); document.execCommand('copy'); t.remove();
      }
      this.done = true; setTimeout(() => { this.done = false; }, 1500);
    },
  },
};
</script>
"""


class CopyButton(ipyvuetify.VuetifyTemplate):
    """A button that copies ``text`` to the clipboard, in the browser."""

    template = traitlets.Unicode(COPY_TEMPLATE).tag(sync=True)
    text = traitlets.Unicode("").tag(sync=True)
    done = traitlets.Bool(False).tag(sync=True)


def _table(columns: list[str], rows: list[dict[str, Any]], classes: str) -> None:
    def cell(value: Any) -> str:
        if value is None:
            return "—"
        if isinstance(value, bool):
            return "yes" if value else ""
        if isinstance(value, float):
            return f"{value:.2f}"
        return str(value)

    with solara.v.Html(
        tag="table",
        class_=f"cx-table {classes}",
        style_="font-size: 16px; border-spacing: 12px 2px; white-space: nowrap",
    ):
        with solara.v.Html(tag="thead"), solara.v.Html(tag="tr"):
            for c in columns:
                solara.v.Html(tag="th", children=[c], style_="text-align: left")
        with solara.v.Html(tag="tbody"):
            for row in rows:
                with solara.v.Html(tag="tr"):
                    for c in columns:
                        solara.v.Html(tag="td", children=[cell(row.get(c))])


@solara.component
def Inspector(state: AppState) -> None:
    """The clicked shopper's journey or the clicked store's panel, in a dialog (refreshed with every step)."""
    sel, sess = state.selected.value, state.session.value
    _ = state.view.value  # re-render after every step: the journey goes on
    if sel is None or sess is None:
        return
    card = shopper_card(sess, sel.key) if sel.kind == "shopper" else store_card(sess, sel.key)
    if card is None:
        return

    def closed(is_open: bool) -> None:
        if not is_open:
            state.selected.set(None)

    # a dialog over the page: seen at once on a projector, whatever is scrolled into view;
    # a click outside it or Close (or Esc) closes it, and the next click on the map opens another
    with (
        solara.v.Dialog(v_model=True, on_v_model=closed, max_width="1100px", scrollable=True),
        solara.Card(margin=0, classes=["cx-inspect", f"cx-inspect-{sel.kind}"]),
    ):
        with solara.Row(style={"align-items": "center"}):
            solara.v.Html(tag="div", children=[card["title"]], class_="text-h6 cx-inspect-title")
            solara.v.Spacer()
            solara.Button("Close", on_click=lambda: state.selected.set(None), text=True, classes=["cx-close"])
        if sel.kind == "shopper":
            solara.v.Html(tag="div", children=[f"{card['who']}; {card['last']}."], class_="body-1 mb-2")
            if card["avoids"]:
                solara.v.Html(
                    tag="div", children=["Avoids for now: " + ", ".join(card["avoids"])], class_="body-1"
                )
            solara.v.Html(tag="div", children=["Recent purchases (newest first)"], class_="subtitle-1 mt-2")
            if card["purchases"]:
                cols = ["day", "store", "research", "visited", "fulfilment", "satisfaction", "returned"]
                _table(cols, card["purchases"], "cx-journey")
            else:
                solara.v.Html(
                    tag="div", children=["No purchase since day 1 yet."], class_="body-1 cx-journey-empty"
                )
            solara.v.Html(tag="div", children=["Loyalty and beliefs, per store"], class_="subtitle-1 mt-2")
            _table(card["columns"], card["per_store"], "cx-beliefs")
            if card["beliefs"]:
                solara.v.Html(
                    tag="div",
                    children=["What they believe about each store (mean ± uncertainty, 0–1)"],
                    class_="subtitle-1 mt-2",
                )
                with solara.v.Html(tag="div", style_="overflow-x: auto"):
                    _table(card["belief_columns"], card["beliefs"], "cx-attribute-beliefs")
        else:
            _table(["fact", "value"], [{"fact": k, "value": x} for k, x in card["facts"]], "cx-store-facts")
            solara.v.Html(
                tag="div", children=["What it did (strategy moves and other news)"], class_="subtitle-1 mt-2"
            )
            if card["moves"]:
                with solara.v.Html(tag="ul", class_="body-1 cx-store-moves", style_="padding-left: 18px"):
                    for line in card["moves"]:
                        solara.v.Html(tag="li", children=[line])
            else:
                solara.v.Html(tag="div", children=["Nothing yet."], class_="body-1 cx-store-moves")


@solara.component
def TakeHome(state: AppState) -> None:
    """Download the run's tables and the levers as a scenario; copy the equivalent commands."""
    sess, view = state.session.value, state.view.value
    if sess is None or view is None:
        return
    run_cmd = export.run_command(sess.preset, sess.overrides, sess.levers.seed)
    compare_cmd = export.compare_command(sess.preset, sess.overrides)
    with solara.Card("Take it home", margin=0, classes=["cx-take-home"]):
        with solara.Row(style={"gap": "6px", "flex-wrap": "wrap"}):
            solara.FileDownload(
                lambda: export.tables_zip(sess),
                filename=export.zip_name(sess),
                label="Tables (CSV)",
                mime_type="application/zip",
            )
            solara.FileDownload(
                lambda: export.session_scenario_toml(sess),
                filename=export.scenario_file_name(sess.preset),
                label="Scenario (TOML)",
                mime_type="application/toml",
            )
        _command_line("The same run on the command line:", run_cmd, "cx-run-command")
        _command_line("Compare with the preset (save the scenario first):", compare_cmd, "cx-compare-command")


def _command_line(caption: str, command: str, class_: str) -> None:
    """A caption, a command line to copy (``class_`` names it for the tests) and its copy button."""
    solara.v.Html(tag="div", children=[caption], class_="caption mt-2")
    solara.v.Html(
        tag="code", children=[command], class_=class_, style_="font-size: 12px; word-break: break-all"
    )
    CopyButton.element(text=command)
