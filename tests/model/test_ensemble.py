"""The ensemble engine: a town's tables are identical whether it ran alone or in a batch of any size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxsim.model.cxmodel import CXModel
from cxsim.model.ensemble import Ensemble, batchable
from cxsim.model.scenario import Scenario, load_scenario
from cxsim.model.towns import TownDraws

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
OUTPUTS = ("collect_purchases=true", "collect_reviews=true")


def tables(model: CXModel) -> dict[str, object]:
    """Every table a run gives, its log and its final shopper state."""
    out: dict[str, object] = {
        "timeseries": model.timeseries(),
        "stores": model.store_table(),
        "purchases": model.purchases(),
        "reviews": model.review_table(),
        "summary": pd.DataFrame([model.summary()]),
        "log": [(e.day, e.kind, e.store, e.data) for e in model.log],
    }
    for name, value in vars(model.shoppers).items():
        out[f"state.{name}"] = np.array(value, copy=True)
    return out


def assert_identical(alone: dict[str, object], batched: dict[str, object], what: str) -> None:
    assert alone.keys() == batched.keys()
    for name, a in alone.items():
        b = batched[name]
        if isinstance(a, pd.DataFrame):
            assert isinstance(b, pd.DataFrame), f"{what}: {name}"
            pd.testing.assert_frame_equal(a, b, check_exact=True, obj=f"{what}: {name}")
        elif isinstance(a, np.ndarray):
            assert isinstance(b, np.ndarray) and a.dtype == b.dtype, f"{what}: {name}"
            assert a.tobytes() == b.tobytes(), f"{what}: {name} differs"
        else:
            assert a == b, f"{what}: {name} differs"


def run_alone(spec: Scenario) -> dict[str, object]:
    model = CXModel(spec)
    model.run()
    return tables(model)


def run_batched(specs: list[Scenario]) -> list[dict[str, object]]:
    ensemble = Ensemble(specs)
    ensemble.run()
    return [tables(m) for m in ensemble.models]


def specs(scenario: str, seeds: list[int], days: int, *overrides: str) -> list[Scenario]:
    return [load_scenario(scenario, [*OUTPUTS, *overrides], days=days, seed=s) for s in seeds]


@pytest.mark.parametrize(
    ("scenario", "overrides", "days"),
    [
        ("baseline", ("town.shoppers=600", "warmup_days=60"), 90),
        # every event type, strategy rules, a store entry and a closure (the golden events run)
        (str(GOLDEN / "events.toml"), ("town.shoppers=800",), 150),
        ("pandemic", ("town.shoppers=500", "warmup_days=30"), 200),
        ("singles_day", ("town.shoppers=300", "warmup_days=30"), 330),
        ("baseline", ("town.shoppers=500", "warmup_days=20", "collect_every=7"), 50),
    ],
)
def test_every_table_is_identical_alone_and_in_batches_of_any_size(
    scenario: str, overrides: tuple[str, ...], days: int
) -> None:
    """Timeseries, stores, purchases, reviews, summary, log and shopper state: bit for bit."""
    seeds = [5, 6, 7]
    towns = specs(scenario, seeds, days, *overrides)
    alone = [run_alone(spec) for spec in towns]
    for size in (1, 2, 3):
        for start in range(0, len(towns), size):
            batch = towns[start : start + size]
            for offset, got in enumerate(run_batched(batch)):
                what = f"{Path(scenario).stem} seed {seeds[start + offset]} in a batch of {len(batch)}"
                assert_identical(alone[start + offset], got, what)


def test_design_points_over_store_attributes_share_a_batch() -> None:
    """Towns that differ in their stores' attributes (a sweep's design points) batch, identically."""
    prices = ["stores.giant.price=0.82", "stores.giant.price=0.97", "stores.chain.service_quality=0.75"]
    towns = [
        load_scenario("baseline", [*OUTPUTS, "town.shoppers=500", "warmup_days=40", p], days=80, seed=3)
        for p in prices
    ]
    assert all(batchable(towns[0], t) for t in towns)
    for spec, got in zip(towns, run_batched(towns), strict=True):
        assert_identical(run_alone(spec), got, str(spec.stores["giant"].price))


def test_only_compatible_towns_batch() -> None:
    base = load_scenario("baseline", ["town.shoppers=500"], days=30, seed=1)
    assert batchable(base, base.model_copy(update={"seed": 2}))
    other_behaviour = load_scenario("baseline", ["town.shoppers=500", "behaviour.choice.lapse=0.05"], days=30)
    assert not batchable(base, other_behaviour)
    assert not batchable(base, load_scenario("baseline", ["town.shoppers=600"], days=30, seed=1))
    assert not batchable(base, load_scenario("baseline", ["town.shoppers=500"], days=31, seed=1))
    with pytest.raises(ValueError, match="seed, store attributes and per-town coefficients"):
        Ensemble([base, other_behaviour])
    with pytest.raises(ValueError, match="at least one"):
        Ensemble([])


def test_a_town_draws_from_its_own_stream_in_the_order_of_its_run_alone() -> None:
    """Each town's rows come from its own generator; a town without rows draws nothing."""
    gens = [np.random.default_rng(1), np.random.default_rng(2), np.random.default_rng(3)]
    draws = TownDraws(gens, np.array([2, 0, 3]))
    got = draws.random((5, 4))
    ref1, ref3 = np.random.default_rng(1), np.random.default_rng(3)
    assert np.array_equal(got, np.concatenate([ref1.random((2, 4)), ref3.random((3, 4))]))
    assert gens[1].bit_generator.state == np.random.default_rng(2).bit_generator.state
    p = np.array([0.1, 0.5, 0.2, 0.9, 0.3])
    assert np.array_equal(draws.geometric(p), np.concatenate([ref1.geometric(p[:2]), ref3.geometric(p[2:])]))
    normals = draws.standard_normal(5)
    assert np.array_equal(normals, np.concatenate([ref1.standard_normal(2), ref3.standard_normal(3)]))
    gumbel = draws.gumbel(size=(5, 2))
    assert np.array_equal(gumbel, np.concatenate([ref1.gumbel(size=(2, 2)), ref3.gumbel(size=(3, 2))]))
    with pytest.raises(ValueError, match="rows"):
        draws.random(4)
    nobody = TownDraws(gens, np.array([0, 0, 0]))  # a day no town has rows for: shapes as a Generator's
    assert nobody.standard_normal((0, 4)).shape == (0, 4) and nobody.geometric(0.5, size=0).shape == (0,)


def test_design_points_over_per_town_coefficients_share_a_batch() -> None:
    """Towns that differ in the word-of-mouth and review coefficients of a Sobol design batch, identically."""
    points = [
        ("behaviour.word_of_mouth.negative=0.45", "behaviour.word_of_mouth.credibility=0.3"),
        ("behaviour.word_of_mouth.negative=0.75", "behaviour.beliefs.review_credibility=0.35"),
        ("stores.giant.price=0.85", "behaviour.word_of_mouth.credibility=0.7"),
    ]
    towns = [
        load_scenario("baseline", [*OUTPUTS, "town.shoppers=500", "warmup_days=40", *p], days=80, seed=s)
        for s, p in enumerate(points)
    ]
    assert all(batchable(towns[0], t) for t in towns)
    for spec, got in zip(towns, run_batched(towns), strict=True):
        assert_identical(run_alone(spec), got, str(spec.behaviour.word_of_mouth))
