"""The clone test: an exact copy of a store must not double the pair's appeal (no IIA).

Under the plain logit an exact copy of a store takes share from every rival
in proportion, so the pair's combined share rises almost as if a new,
different store had opened. The nested logit by store format (docs/ODD.md,
choice) puts the copy in its original's nest, where it takes share mostly
from its twin. Measured in the whole model, paired seeds, with the nests and
with every dissimilarity set to 1 (plain logit).
"""

from __future__ import annotations

import numpy as np

from cxsim import CXModel
from cxsim.model.scenario import Scenario, load_scenario, validate

PLAIN = [f"behaviour.choice.nest_{k}=1.0" for k in ("physical", "online", "omnichannel")]


def with_clone(store: str, base: Scenario) -> Scenario:
    """The scenario with an exact copy of ``store`` (same attributes, another name)."""
    data = base.model_dump(mode="python")
    copy = dict(data["stores"][store])
    copy["label"] = f"{copy.get('label') or store} (copy)"
    data["stores"][f"{store}_copy"] = copy
    return validate(data, f"{base.name} with a copy of {store}")


def pair_share(spec: Scenario, store: str) -> float:
    """Combined share of purchases of ``store`` and its copy (if any) over the run."""
    model = CXModel(spec)
    model.run()
    counts = model.store_table().groupby("store")["purchases"].sum()
    return float(counts[counts.index.isin([store, f"{store}_copy"])].sum() / counts.sum())


def clone_gains(store: str, *, shoppers: int, days: int, seeds: tuple[int, ...]) -> dict[str, float]:
    """Mean gain of the pair's combined share from adding the copy, nested and plain logit."""
    out: dict[str, float] = {}
    for name, extra in (("nested", []), ("plain", PLAIN)):
        gains = []
        for seed in seeds:
            base = load_scenario("baseline", [f"town.shoppers={shoppers}", *extra], days=days, seed=seed)
            gains.append(pair_share(with_clone(store, base), store) - pair_share(base, store))
        out[name] = float(np.mean(gains))
    return out


def test_a_copy_of_the_online_giant_gains_less_than_a_third_of_the_plain_logit_gain():
    gains = clone_gains("giant", shoppers=2000, days=90, seeds=(1, 2))
    assert gains["plain"] > 0.02
    assert gains["nested"] < gains["plain"] / 3
