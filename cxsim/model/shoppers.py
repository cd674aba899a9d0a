"""Shoppers: a structure of numpy arrays, one row per shopper, and a view for inspecting one."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from cxsim.model import scenario as sc
from cxsim.rules.beliefs import ATTRIBUTES, OVERALL, initial_beliefs
from cxsim.rules.choice import FULFILMENTS, WEIGHT_NAMES
from cxsim.rules.social import small_world
from cxsim.rules.town import distances_km, place_homes

if TYPE_CHECKING:
    from cxsim.model.cxmodel import CXModel

NEVER = np.int32(-(10**6))


@dataclass
class ShopperArrays:
    """Every shopper's state. The arrays are the one source of truth.

    Per-store columns are ``(n, S)`` float32 in store-index order.
    """

    home: np.ndarray  # (n, 2) km
    segment: np.ndarray  # (n,) int8 index into segment names
    weights: np.ndarray  # (n, 6) float32, see cxsim.rules.choice.WEIGHT_NAMES
    savvy: np.ndarray  # (n,) float32 0..1
    recreational: np.ndarray  # (n,) bool
    need_interval: np.ndarray  # (n,) float32 days
    next_need: np.ndarray  # (n,) int32 day
    habit: np.ndarray  # (n,) float32 0..1 digital habit
    impulse: np.ndarray  # (n,) int16: store whose promotion pulled the pending need forward, -1 if none
    return_store: np.ndarray  # (n,) int16: store over whose counter the last purchase went back, -1 if none
    acquaintances: np.ndarray  # (n, k) int32
    dist_km: np.ndarray  # (n, S) float32
    loyalty: np.ndarray  # (n, S)
    familiarity: np.ndarray  # (n, S)
    belief_mean: np.ndarray  # (n, S, K) float32, see cxsim.rules.beliefs.ATTRIBUTES
    belief_var: np.ndarray  # (n, S, K) float32
    avoid_until: np.ndarray  # (n, S) int32 day
    last_store: np.ndarray  # (n,) int16, -1 before any purchase
    last_fulfilment: np.ndarray  # (n,) int8, -1 before any purchase
    last_purchase: np.ndarray  # (n,) int32 day
    last_showroomed: np.ndarray  # (n,) int32 day
    last_webroomed: np.ndarray  # (n,) int32 day

    @property
    def n(self) -> int:
        """Number of shoppers."""
        return int(self.segment.shape[0])

    @property
    def expectation(self) -> np.ndarray:
        """Expected experience quality of each store, ``(n, S)``: the belief about the whole experience.

        A view of :attr:`belief_mean`, not a separate array.
        """
        return self.belief_mean[:, :, OVERALL]

    @property
    def reputation(self) -> np.ndarray:
        """A store's reputation in a shopper's eyes: the same belief as :attr:`expectation` (a view)."""
        return self.belief_mean[:, :, OVERALL]

    def nbytes(self) -> int:
        """Memory held by the arrays."""
        return sum(getattr(self, f.name).nbytes for f in fields(self))


def create_shoppers(
    rng: np.random.Generator, s: sc.Scenario, store_xy: np.ndarray, prior: np.ndarray
) -> ShopperArrays:
    """Draw a town of shoppers from the scenario's segments.

    Individual weights vary around the segment's (lognormal, sd 0.25 on the
    log scale) so that no two shoppers are alike. Beliefs about the stores
    start at the population ``prior`` (``(K,)``, :func:`cxsim.rules.beliefs.population_prior`)
    plus an individual hunch.
    """
    n, S = s.town.shoppers, store_xy.shape[0]
    segs = list(s.segments.values())
    shares = np.array([g.share for g in segs])
    segment = rng.choice(len(segs), size=n, p=shares / shares.sum()).astype(np.int8)
    seg_w = np.array([[getattr(g, name) for name in WEIGHT_NAMES] for g in segs], dtype=np.float32)
    weights = seg_w[segment] * rng.lognormal(0.0, 0.25, size=(n, 6)).astype(np.float32)
    savvy_mean = np.array([g.savvy for g in segs])[segment]
    savvy = np.clip(savvy_mean + rng.normal(0.0, 0.15, n), 0.0, 1.0).astype(np.float32)
    recreational = rng.random(n) < np.array([g.recreational for g in segs])[segment]
    need_interval = np.array([g.need_interval_days for g in segs], dtype=np.float32)[segment]
    home = place_homes(rng, n, s.town.size_km, s.town.centre_share, s.town.centre_spread_km)
    acquaintances = small_world(rng, home, s.town.size_km, s.town.social_degree, s.town.social_rewire)
    p_first = 1.0 / need_interval
    next_need = (rng.geometric(np.clip(p_first, 1e-6, 1.0)) - s.warmup_days).astype(np.int32)
    belief_mean, belief_var = initial_beliefs(rng, n, S, prior, s.behaviour.beliefs)
    return ShopperArrays(
        home=home,
        segment=segment,
        weights=weights,
        savvy=savvy,
        recreational=recreational,
        need_interval=need_interval,
        next_need=next_need,
        habit=(0.2 * savvy).astype(np.float32),
        impulse=np.full(n, -1, dtype=np.int16),
        return_store=np.full(n, -1, dtype=np.int16),
        acquaintances=acquaintances,
        dist_km=distances_km(home, store_xy),
        loyalty=np.zeros((n, S), dtype=np.float32),
        familiarity=np.zeros((n, S), dtype=np.float32),
        belief_mean=belief_mean,
        belief_var=belief_var,
        avoid_until=np.full((n, S), NEVER, dtype=np.int32),
        last_store=np.full(n, -1, dtype=np.int16),
        last_fulfilment=np.full(n, -1, dtype=np.int8),
        last_purchase=np.full(n, NEVER, dtype=np.int32),
        last_showroomed=np.full(n, NEVER, dtype=np.int32),
        last_webroomed=np.full(n, NEVER, dtype=np.int32),
    )


class Shopper:
    """A read-only view of one shopper's row, for inspection (not stored per shopper).

    ``model.shopper(i)`` builds one on demand; the arrays stay the truth.
    """

    def __init__(self, model: CXModel, index: int) -> None:
        if not 0 <= index < model.shoppers.n:
            raise IndexError(f"shopper {index} out of range 0..{model.shoppers.n - 1}")
        self.model = model
        self.unique_id = index

    @property
    def _a(self) -> ShopperArrays:
        return self.model.shoppers

    @property
    def segment(self) -> str:
        """Segment name."""
        return self.model.segment_names[int(self._a.segment[self.unique_id])]

    @property
    def home(self) -> tuple[float, float]:
        """Home location in km."""
        x, y = self._a.home[self.unique_id]
        return float(x), float(y)

    @property
    def recreational(self) -> bool:
        """Whether the shopper shops for pleasure."""
        return bool(self._a.recreational[self.unique_id])

    @property
    def savvy(self) -> float:
        """Digital savviness 0..1."""
        return float(self._a.savvy[self.unique_id])

    def per_store(self, attribute: str) -> dict[str, float]:
        """One per-store column (loyalty, expectation, familiarity, reputation) by store name."""
        row = getattr(self._a, attribute)[self.unique_id]
        return {name: float(v) for name, v in zip(self.model.store_names, row, strict=True)}

    @property
    def loyalty(self) -> dict[str, float]:
        """Loyalty to each store."""
        return self.per_store("loyalty")

    @property
    def beliefs(self) -> dict[str, dict[str, tuple[float, float]]]:
        """Belief (mean, sd) about each attribute of each store's experience, by store name."""
        m, v = self._a.belief_mean[self.unique_id], self._a.belief_var[self.unique_id]
        return {
            name: {a: (float(m[s, k]), float(np.sqrt(v[s, k]))) for k, a in enumerate(ATTRIBUTES)}
            for s, name in enumerate(self.model.store_names)
        }

    @property
    def last_fulfilment(self) -> str | None:
        """Fulfilment of the last purchase."""
        f = int(self._a.last_fulfilment[self.unique_id])
        return FULFILMENTS[f] if f >= 0 else None

    @property
    def last_store(self) -> str | None:
        """Store of the last purchase."""
        s = int(self._a.last_store[self.unique_id])
        return self.model.store_names[s] if s >= 0 else None

    @property
    def avoids(self) -> list[str]:
        """Stores the shopper currently avoids after a bad experience."""
        row = self._a.avoid_until[self.unique_id]
        return [n for n, until in zip(self.model.store_names, row, strict=True) if until > self.model.day]

    def as_dict(self) -> dict[str, Any]:
        """Everything about this shopper as plain data."""
        return {
            "id": self.unique_id,
            "segment": self.segment,
            "home": self.home,
            "recreational": self.recreational,
            "savvy": self.savvy,
            "habit": float(self._a.habit[self.unique_id]),
            "last_store": self.last_store,
            "last_fulfilment": self.last_fulfilment,
            "avoids": self.avoids,
            **{k: self.per_store(k) for k in ("loyalty", "expectation", "familiarity", "reputation")},
            "beliefs": self.beliefs,
        }

    def __repr__(self) -> str:
        return f"Shopper({self.unique_id}, {self.segment}, last={self.last_store}/{self.last_fulfilment})"
