"""A tiny SolaraViz app of a toy Mesa model, served by the e2e harness smoke test.

Run by hand with (offline env from docs/dev/offline-app.md):
    solara run tests/e2e/toy_app.py --host 127.0.0.1 --port 8765 --production --no-open

It uses the Mesa 3.5 API without deprecated calls: a SpaceRenderer set up with
``setup_structure()`` / ``setup_agents()`` (altair backend, exercises vega),
portrayals returning ``AgentPortrayalStyle``, ``rng=`` instead of ``seed=``,
and a matplotlib plot component (exercises the image path).
"""

from __future__ import annotations

import mesa
from mesa.discrete_space import CellAgent, OrthogonalMooreGrid
from mesa.visualization import SolaraViz, SpaceRenderer, make_plot_component
from mesa.visualization.components import AgentPortrayalStyle


class Walker(CellAgent):
    """Moves to a random neighbouring cell each step."""

    def __init__(self, model: mesa.Model, cell) -> None:
        super().__init__(model)
        self.cell = cell
        self.moves = 0

    def step(self) -> None:
        self.cell = self.cell.neighborhood.select_random_cell()
        self.moves += 1


class ToyModel(mesa.Model):
    def __init__(self, n: int = 10, width: int = 8, height: int = 8, rng=None) -> None:
        super().__init__(rng=rng)
        self.grid = OrthogonalMooreGrid((width, height), torus=True, random=self.random)
        cells = self.random.choices(list(self.grid.all_cells.cells), k=n)
        Walker.create_agents(self, n, cells)
        self.datacollector = mesa.DataCollector(
            model_reporters={"TotalMoves": lambda m: sum(a.moves for a in m.agents)}
        )
        self.datacollector.collect(self)

    def step(self) -> None:
        self.agents.shuffle_do("step")
        self.datacollector.collect(self)


def agent_portrayal(agent: Walker) -> AgentPortrayalStyle:
    return AgentPortrayalStyle(color="#1f77b4", size=60)


model_params = {
    "rng": {"type": "InputText", "value": 42, "label": "Random seed"},
    "n": {"type": "SliderInt", "value": 10, "label": "Walkers", "min": 1, "max": 40, "step": 1},
    "width": 8,
    "height": 8,
}

model = ToyModel(n=10, width=8, height=8, rng=42)
renderer = SpaceRenderer(model, backend="altair").setup_structure().setup_agents(agent_portrayal)
renderer.render()

page = SolaraViz(
    model,
    renderer,
    components=[make_plot_component("TotalMoves")],
    model_params=model_params,
    name="Toy walkers",
)
