"""Mesa's own SolaraViz on a CXModel (no cxsim app code), served by test_solaraviz_reset.py.

The information card shows the model's seed, so the test can see that Reset built a
new model with a fresh seed (Mesa's ``rng=None``) of the same scenario.
"""

from __future__ import annotations

import solara
from mesa.visualization import SolaraViz, make_plot_component

from cxsim import CXModel


def seed_and_scenario(model: CXModel) -> solara.Markdown:
    """Text the test reads: the scenario, its seed and the number of shoppers."""
    return solara.Markdown(
        f"cx scenario {model.spec.name}, seed {model.spec.seed}, shoppers {model.shoppers.n}, day {model.day}"
    )


model = CXModel("price_war", rng=5, shoppers=300, days=20, warmup_days=5)
page = SolaraViz(
    model,
    components=[seed_and_scenario, make_plot_component("online_share")],
    model_params={
        "shoppers": {"type": "SliderInt", "value": 300, "label": "Shoppers", "min": 200, "max": 400}
    },
    name="CXModel in SolaraViz",
)
