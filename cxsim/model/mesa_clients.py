"""CXModel under Mesa's own clients: ``mesa.batch_run`` seeds and ``SolaraViz``'s Reset.

Two Mesa conventions meet cxsim's here (decisions, issue 15):

- **Seeds.** Mesa passes ``rng=None`` to mean *fresh entropy* (``batch_run(...,
  iterations=2)`` passes ``rng=None`` twice and expects two different
  replications). cxsim keeps its own default, the scenario's seed, when ``rng`` is
  *not given at all* (``CXModel("baseline")`` is reproducible, as ``cxsim run``
  is); an explicit ``rng=None`` draws a fresh 31-bit seed from the operating
  system's entropy and records it in ``model.spec.seed`` (and so in the summary's
  ``seed``), so ``CXModel(..., rng=model.spec.seed)`` repeats the run.
- **Mesa's ``scenario``.** Mesa 3.5 keeps a ``mesa.experimental.scenarios.Scenario``
  in ``model.scenario`` and SolaraViz's Reset re-creates the model with
  ``scenario=type(model.scenario)(**...)``, which collides with CXModel's own
  ``scenario`` argument (a cxsim scenario name, path or object). CXModel therefore
  accepts a Mesa scenario too, and keeps in ``model.scenario`` a :class:`CXScenario`
  whose class carries the model's resolved cxsim scenario: Reset then rebuilds
  the same scenario (with the model parameters of SolaraViz's sliders applied on
  top), and a fresh seed unless ``rng`` is one of those parameters. Other values of
  a plain Mesa scenario are keyword parameters (``shoppers=500``,
  ``stores__giant__price=0.8``); without a cxsim scenario it is ``baseline``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from mesa.experimental.scenarios import Scenario as MesaScenario


class Unset:
    """The type of :data:`UNSET`: ``rng`` not given."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset()
"""``rng`` was not given: use the scenario's seed (``rng=None`` means fresh entropy, as in Mesa)."""


class CXScenario(MesaScenario):  # type: ignore[misc]  # mesa ships no type information
    """Mesa's scenario of a CXModel; its class carries the resolved cxsim scenario (``cxsim``)."""

    cxsim: ClassVar[Any] = None


def fresh_seed() -> int:
    """A 31-bit seed from the operating system's entropy (what Mesa means by ``rng=None``)."""
    return int(np.random.SeedSequence().generate_state(1, dtype=np.uint32)[0]) >> 1


def from_mesa_scenario(scenario: Any, rng: Any) -> tuple[Any, Any, dict[str, Any]]:
    """``(cxsim scenario, rng, keyword parameters)`` of CXModel's arguments.

    A Mesa scenario gives its cxsim scenario (:class:`CXScenario`) or ``baseline``,
    its ``rng`` (unless ``rng`` was given) and its other values as parameters.
    Anything else passes through unchanged.
    """
    if not isinstance(scenario, MesaScenario):
        return scenario, rng, {}
    params = {k: v for k, v in dict(scenario).items() if k not in ("rng", "model", "cxsim")}
    source = getattr(type(scenario), "cxsim", None) or "baseline"
    return source, (scenario.rng if isinstance(rng, Unset) else rng), params


def model_seed(spec_seed: int, rng: Any) -> Any:
    """The seed CXModel hands to Mesa: the scenario's if ``rng`` is unset, fresh if None."""
    if isinstance(rng, Unset):
        return spec_seed
    if rng is None:
        return fresh_seed()
    return rng


def mesa_scenario(spec: Any) -> CXScenario:
    """A Mesa scenario whose class carries ``spec`` (what SolaraViz's Reset rebuilds)."""
    cls = type("CXScenario", (CXScenario,), {"cxsim": spec, "__module__": __name__})
    scenario: CXScenario = cls(rng=int(spec.seed))
    return scenario
