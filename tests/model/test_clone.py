"""The clone test: an exact copy of a store must not double the pair's appeal (no IIA).

Under the plain logit an exact copy of a store takes share from every rival
in proportion, so the pair's combined share rises almost as if a new,
different store had opened. The nested logit by store format (docs/ODD.md,
choice) puts the copy in its original's nest, where it takes share mostly
from its twin. Measured in the whole model, paired seeds, with the nests and
with every dissimilarity set to 1 (plain logit).

The pair's share is its expected share of the purchases: every day, the
choice probabilities of today's shoppers (the closed form of the model's own
draw) summed over the pair's alternatives, over those summed over all stores'.
It has the model's dynamics (learning, loyalty, habit, word of mouth) but not
the sampling noise of the day's draws, so a small town tells the two apart.
"""

from __future__ import annotations

import numpy as np

from cxsim import CXModel
from cxsim.model.scenario import Scenario, load_scenario, validate
from cxsim.rules import nesting

PLAIN = [f"behaviour.choice.nest_{k}=1.0" for k in ("physical", "online", "omnichannel")]


def with_clone(store: str, base: Scenario) -> Scenario:
    """The scenario with an exact copy of ``store`` (same attributes, another name)."""
    data = base.model_dump(mode="python")
    copy = dict(data["stores"][store])
    copy["label"] = f"{copy.get('label') or store} (copy)"
    data["stores"][f"{store}_copy"] = copy
    return validate(data, f"{base.name} with a copy of {store}")


def pair_share(spec: Scenario, store: str) -> tuple[float, float]:
    """Expected and realized share of purchases of ``store`` and its copy (if any) over the run."""
    model = CXModel(spec)  # the warm-up runs here, before the count
    names = model.store_names
    pair = [names.index(s) for s in (store, f"{store}_copy") if s in names]
    cols = np.array([3 * s + f for s in pair for f in range(3)])
    sums = {"pair": 0.0, "bought": 0.0}
    draw = nesting.nested_logit_draw

    def counting(rng, utilities, nest, lambdas):
        p = nesting.nested_logit_probabilities(utilities, nest, lambdas)
        sums["pair"] += float(p[:, cols].sum())
        sums["bought"] += float(p[:, :-1].sum())
        return draw(rng, utilities, nest, lambdas)

    nesting.nested_logit_draw = counting
    try:
        model.run()
    finally:
        nesting.nested_logit_draw = draw
    counts = model.store_table().groupby("store")["purchases"].sum()
    realized = float(counts[counts.index.isin([store, f"{store}_copy"])].sum() / counts.sum())
    return sums["pair"] / sums["bought"], realized


def clone_gains(
    store: str, *, shoppers: int, days: int, seeds: tuple[int, ...], overrides: tuple[str, ...] = ()
) -> dict[str, float]:
    """Mean gain of the pair's share from adding the copy, nested and plain logit (expected and realized).

    ``overrides`` change the town first (the copy copies the changed store).

    ``python -c "from tests.model.test_clone import clone_gains; print(clone_gains('giant', shoppers=10000,
    days=365, seeds=(1, 2, 3)))"``
    """
    out: dict[str, float] = {}
    for name, extra in (("nested", []), ("plain", PLAIN)):
        expected, realized = [], []
        for seed in seeds:
            base = load_scenario(
                "baseline", [f"town.shoppers={shoppers}", *overrides, *extra], days=days, seed=seed
            )
            before, after = pair_share(base, store), pair_share(with_clone(store, base), store)
            expected.append(after[0] - before[0])
            realized.append(after[1] - before[1])
        out[name] = float(np.mean(expected))
        out[f"{name}_realized"] = float(np.mean(realized))
    return out


def test_a_copy_of_the_online_giant_gains_less_than_a_third_of_the_plain_logit_gain():
    gains = clone_gains("giant", shoppers=2000, days=90, seeds=(1, 2))
    assert gains["plain"] > 0.02
    assert gains["nested"] < gains["plain"] / 3
