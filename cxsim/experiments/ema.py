"""cxsim as an EMA Workbench model: exploratory modelling, scenario discovery, feature scoring.

`EMA Workbench <https://emaworkbench.readthedocs.io>`_ (``ema-workbench`` 3.x,
``pip install 'cxsim[ema]'``) samples uncertainties and levers, runs a model over
them (``perform_experiments``) and finds what drives its outcomes (PRIM, CART,
feature scoring). :func:`ema_model` turns a cxsim scenario into an EMA ``Model``::

    from ema_workbench import perform_experiments
    from ema_workbench.analysis import prim, feature_scoring
    from cxsim.experiments.ema import ema_model

    model = ema_model(
        "baseline",
        uncertainties={"stores.giant.price": (0.75, 1.0), "category.touch_feel": (0.2, 0.9)},
        levers={"stores.corner_shop.service_quality": (0.6, 0.95)},
        outcomes=["online_share", "showrooming_rate"],
        overrides=["town.shoppers=1000"],
        replications=2,
        seed=1,
    )
    experiments, outcomes = perform_experiments(model, scenarios=64, policies=4)

Decisions (issue 15):

- **Uncertainties and levers are scenario paths** (any value ``cxsim show`` prints,
  as ``--set`` addresses it), each with its range: ``(low, high)`` of floats is a
  ``RealParameter``, of ints an ``IntegerParameter``, a list of values a
  ``CategoricalParameter``. EMA needs Python identifiers, so a path's EMA name
  is the path with ``__`` for its dots (``stores__giant__price``, the column
  name ``cxsim sweep`` uses); ``ModelSpec.paths`` maps them back. Both ends of
  every range are checked against the scenario before anything runs (bad input:
  :class:`~cxsim.core.errors.InputError`, with the scenario's own message).
- **Outcomes come from the metric registry**: numeric columns of the summary
  table (:data:`cxsim.model.registry.SUMMARY`), over the run's last
  ``summary_window_days`` days; a wrong name lists the valid ones.
- **Seeds, reproducibly**: replication *r* of every experiment uses seed *r* of
  ``derive_seeds(seed, replications)`` (the numpy ``SeedSequence`` derivation of
  ``cxsim compare``): common random numbers, so experiments differ by their
  inputs, not by their shoppers, and the same call gives the same numbers, on
  EMA's sequential or multiprocessing evaluator alike. An outcome is the mean
  over the replications. (Seed EMA's own sampling too:
  ``perform_experiments(..., uncertainty_sampling_kwargs={"rng": 1})``.)
- **One runner**: each experiment's replications run through
  :func:`cxsim.experiments.runner.run_replications` in the evaluating process (EMA's
  evaluator decides the parallelism).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxsim.core.errors import InputError, did_you_mean
from cxsim.experiments.compare import derive_seeds
from cxsim.experiments.results import run
from cxsim.experiments.runner import Replication, run_replications
from cxsim.model.registry import SUMMARY
from cxsim.model.scenario import Scenario, load_scenario

__all__ = ["DEFAULT_OUTCOMES", "ModelSpec", "ema_model", "evaluate", "outcome_names", "parameter_name"]

DEFAULT_OUTCOMES = ("online_share", "showrooming_rate", "webrooming_rate", "nps")
INSTALL_HINT = "install the EMA extra: pip install 'cxsim[ema]' (ema-workbench 3.x)"

Range = tuple[float, float] | Sequence[Any]


def outcome_names() -> list[str]:
    """The summary metrics an EMA model can have as outcomes (numeric, from the registry)."""
    return [m.name for m in SUMMARY if m.unit not in ("text", "flag")]


def parameter_name(path: str) -> str:
    """EMA's name of a scenario path: ``stores.giant.price`` -> ``stores__giant__price``."""
    return path.replace(".", "__")


def _override(path: str, value: Any) -> str:
    """``PATH=VALUE`` of a sampled value (numpy scalars as plain numbers)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return f"{path}={str(value).lower()}"
    if isinstance(value, int | float):
        return f"{path}={value!r}"
    return f"{path}={json.dumps(str(value))}"


@dataclass(frozen=True)
class ModelSpec:
    """Everything an experiment needs (picklable, for EMA's multiprocessing evaluator)."""

    scenario: Scenario
    paths: dict[str, str]
    """EMA name -> scenario path."""
    outcomes: tuple[str, ...]
    seeds: tuple[int, ...]
    days: int | None = None


def _summary_values(spec: Scenario, *, outcomes: tuple[str, ...]) -> dict[str, float]:
    """Run one replication and keep its summary outcomes (top-level: workers execute it)."""
    row = run(spec).summary.iloc[0]
    return {m: float(row[m]) for m in outcomes}


def evaluate(spec: ModelSpec, **values: Any) -> dict[str, float]:
    """One EMA experiment: the mean of each outcome over the replications (the function EMA calls)."""
    overrides = tuple(_override(spec.paths[k], v) for k, v in values.items() if k in spec.paths)
    collect = functools.partial(_summary_values, outcomes=spec.outcomes)
    reps = [
        Replication(spec.scenario, seed, collect, overrides=overrides, days=spec.days, key=r, batchable=True)
        for r, seed in enumerate(spec.seeds)
    ]
    rows = run_replications(reps, workers=0)
    return {m: sum(r[m] for r in rows) / len(rows) for m in spec.outcomes}


def _parameters(ema: Any, base: Scenario, ranges: Mapping[str, Range], what: str) -> list[Any]:
    """EMA parameters of ``ranges`` (path -> range), each end checked against the scenario."""
    out = []
    for path, rng in ranges.items():
        name = parameter_name(path)
        if not name.isidentifier():
            raise InputError("ema_model", f"{what}.{path}", "a scenario path of names and dots", path)
        values = list(rng)
        for v in values:
            load_scenario(base, [_override(path, v)])  # the scenario's own message if it refuses
        if isinstance(rng, tuple) and len(values) == 2 and not any(isinstance(v, bool | str) for v in values):
            low, high = values
            if isinstance(low, int) and isinstance(high, int):
                out.append(ema.IntegerParameter(name, low, high))
            else:
                out.append(ema.RealParameter(name, float(low), float(high)))
        else:
            out.append(ema.CategoricalParameter(name, values))
    return out


def ema_model(
    scenario: str | Path | Scenario = "baseline",
    *,
    uncertainties: Mapping[str, Range],
    levers: Mapping[str, Range] | None = None,
    outcomes: Sequence[str] = DEFAULT_OUTCOMES,
    overrides: Sequence[str] = (),
    days: int | None = None,
    replications: int = 1,
    seed: int = 0,
    name: str = "cxsim",
) -> Any:
    """An EMA Workbench ``Model`` of a cxsim scenario (see the module docstring).

    Args:
        scenario: a scenario name, a TOML path or a Scenario.
        uncertainties: scenario path -> ``(low, high)`` or a list of values.
        levers: the same, for the policy levers (EMA's ``policies``).
        outcomes: summary metrics (:func:`outcome_names`).
        overrides: fixed ``PATH=VALUE`` changes of the scenario (e.g. a smaller town).
        days: the horizon (default: the scenario's).
        replications: runs per experiment (common random numbers); outcomes are their mean.
        seed: the root of the replications' seeds.
        name: the EMA model's name (an identifier).

    Returns:
        ``ema_workbench.Model``; ``model.function.args[0]`` is its :class:`ModelSpec`.
    """
    try:
        import ema_workbench as ema
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"cxsim.experiments.ema needs ema-workbench: {INSTALL_HINT}") from exc
    valid = outcome_names()
    for m in outcomes:
        if m not in valid:
            hint = "; ".join(h for h in (did_you_mean(m, valid), "valid: " + ", ".join(valid)) if h)
            raise InputError("ema_model", "outcomes", "a numeric summary metric", m, hint)
    if replications < 1:
        raise InputError("ema_model", "replications", "at least 1", replications)
    base = load_scenario(scenario, list(overrides), days=days)
    model = ema.Model(
        name,
        function=functools.partial(
            evaluate,
            ModelSpec(
                scenario=base,
                paths={parameter_name(p): p for p in [*uncertainties, *(levers or {})]},
                outcomes=tuple(outcomes),
                seeds=tuple(derive_seeds(seed, replications)),
                days=days,
            ),
        ),
    )
    model.uncertainties = _parameters(ema, base, uncertainties, "uncertainties")
    model.levers = _parameters(ema, base, levers or {}, "levers")
    model.outcomes = [ema.ScalarOutcome(m) for m in outcomes]
    return model
