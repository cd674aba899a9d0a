"""A Vega-Lite view in the browser that embeds a spec once and then streams new data into it.

:class:`VegaView` is a small Vue widget (ipyvuetify template): the spec and the
named datasets travel as JSON strings, and a new ``datasets`` value is applied
with ``view.change`` instead of a new embed, so a redraw sends data, not
pictures, and costs the server a few milliseconds. vega@5, vega-lite@5 and
vega-embed@6 come from Solara's offline asset proxy (``/_solara/cdn``), which
``scripts/setup_app_assets.sh`` fills at install time.
"""

# ruff: noqa: N802 - Solara components are named like classes
from __future__ import annotations

from collections.abc import Callable

import ipyvuetify as v
import solara
import traitlets

VEGA_TEMPLATE = r"""
<template>
  <div class="cx-vega" :data-chart="name" style="width: 100%">
    <div ref="plot" class="cx-vega-plot" style="width: 100%"></div>
  </div>
</template>
<script>
module.exports = {
  mounted() {
    this.queue = this.loadVega().then(() => this.embed());
  },
  destroyed() {
    if (this.observer) { this.observer.disconnect(); this.observer = null; }
    if (this.view) { this.view.finalize(); this.view = null; }
  },
  watch: {
    spec() { this.queue = this.queue.then(() => this.embed()); },
    datasets() {
      // coalesce: while an update waits its turn, newer data need no extra update of their own
      if (this.updatePending) { return; }
      this.updatePending = true;
      this.queue = this.queue.then(() => { this.updatePending = false; return this.update(); });
    },
  },
  methods: {
    async embed() {
      if (this.view) { this.view.finalize(); this.view = null; }
      const spec = JSON.parse(this.spec || '{}');
      spec.datasets = Object.assign({}, spec.datasets || {}, JSON.parse(this.datasets || '{}'));
      const vegaEmbed = await this.need('vega-embed');
      const result = await vegaEmbed(this.$refs.plot, spec, {
        actions: false, renderer: this.renderer || 'svg', tooltip: {theme: 'light'}
      });
      this.view = result.view;
      this.$el.__cxsimView = result.view;  // for tests: scales and scenegraph of the view
      if (this.clickable) {
        // click to inspect: a shopper's dot (field i) or a store's marker or name (field store)
        this.view.addEventListener('click', (event, item) => {
          const d = item && item.datum;
          if (!d) { return; }
          let pick = null;
          if (d.i !== undefined && d.i !== null && !Array.isArray(d.i)) {
            pick = {kind: 'shopper', key: String(d.i)};
          } else if (typeof d.store === 'string') {
            pick = {kind: 'store', key: d.store};
          }
          if (pick) { pick.t = Date.now(); this.selected = JSON.stringify(pick); }
        });
        this.view.addEventListener('mousemove', (event, item) => {
          const d = item && item.datum;
          const hit = d && (d.i !== undefined || typeof d.store === 'string');
          this.$refs.plot.style.cursor = hit ? 'pointer' : '';
        });
      }
      if (!this.observer && window.ResizeObserver) {
        this.observer = new ResizeObserver(() => { if (this.view) { this.view.resize().runAsync(); } });
        this.observer.observe(this.$refs.plot);
      }
      this.rendered();
    },
    async update() {
      if (!this.view) { return this.embed(); }
      const vega = await this.need('vega');
      const data = JSON.parse(this.datasets || '{}');
      for (const name of Object.keys(data)) {
        this.view.change(name, vega.changeset().remove(vega.truthy).insert(data[name]));
      }
      await this.view.runAsync();
      this.rendered();
    },
    rendered() {
      const n = Number(this.$el.getAttribute('data-renders') || 0) + 1;
      this.$el.setAttribute('data-renders', String(n));
    },
    need(name) {
      return new Promise((resolve, reject) => require([name], resolve, reject));
    },
    async loadVega() {
      if (!window.requirejs) {
        await new Promise((resolve, reject) => {
          const script = document.createElement('script');
          script.src = `${this.getCdn()}/requirejs@2.3.6/require.js`;
          script.onload = resolve;
          script.onerror = reject;
          document.head.appendChild(script);
        });
      }
      const cdn = this.getCdn();
      require.config({ map: { '*': {
        'vega': `${cdn}/vega@5/build/vega.min.js`,
        'vega-lite': `${cdn}/vega-lite@5/build/vega-lite.min.js`,
        'vega-embed': `${cdn}/vega-embed@6/build/vega-embed.min.js`,
      } } });
      await this.need('vega-embed');
    },
    getCdn() {
      if (window.solara && window.solara.cdn) { return window.solara.cdn; }
      return './_solara/cdn';
    },
  },
};
</script>
<style id="cxsim-vega-style">
.cx-vega .vega-embed { width: 100%; }
.cx-vega .vega-embed summary { display: none; }
#vg-tooltip-element { font-family: Roboto, Helvetica, Arial, sans-serif; font-size: 12px; }
</style>
"""


class VegaView(v.VuetifyTemplate):
    """A Vega-Lite view in the browser: the spec is embedded once, new data streams in.

    Offline: vega, vega-lite and vega-embed come from Solara's asset proxy
    (``/_solara/cdn``), which the project fills at install time
    (``scripts/setup_app_assets.sh``).
    """

    template = traitlets.Unicode(VEGA_TEMPLATE).tag(sync=True)
    spec = traitlets.Unicode("{}").tag(sync=True)
    """The Vega-Lite spec, as JSON."""
    datasets = traitlets.Unicode("{}").tag(sync=True)
    """``{name: rows}`` of the spec's named datasets, as JSON.

    JSON strings rather than dicts: reacton walks dict and list props
    looking for elements, which costs ~100 ms for a few thousand rows.
    """
    name = traitlets.Unicode("").tag(sync=True)
    clickable = traitlets.Bool(False).tag(sync=True)
    """Report clicks on shoppers' dots and stores' markers in :attr:`selected`."""
    selected = traitlets.Unicode("").tag(sync=True)
    """The last click, set by the browser: ``{"kind": "shopper"|"store", "key": ..., "t": ms}`` as JSON
    (untrusted: read with :func:`cxsim.app.inspect.parse_selection`)."""
    renderer = traitlets.Unicode("svg").tag(sync=True)
    """``svg`` (crisp, inspectable) or ``canvas`` (faster for the map's thousand dots)."""


@solara.component
def VegaChart(
    name: str,
    spec: str,
    datasets: str,
    renderer: str = "svg",
    on_select: Callable[[str], None] | None = None,
) -> None:
    """A :class:`VegaView` element; ``spec`` and ``datasets`` are JSON.

    With ``on_select``, clicks on shoppers and stores are reported (as JSON, see
    :attr:`VegaView.selected`): Vega's click event -> the widget's synced trait -> Python.

    The datasets of each chart are listed in :data:`~cxsim.app.chart_data.CHART_DATA`.

    ``name`` marks it in the page: ``div.cx-vega[data-chart=name]``.
    """
    if on_select is None:
        VegaView.element(name=name, spec=spec, datasets=datasets, renderer=renderer)
    else:
        VegaView.element(
            name=name, spec=spec, datasets=datasets, renderer=renderer, clickable=True, on_selected=on_select
        )
