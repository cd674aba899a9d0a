"""The inputs of :func:`cxsim.rules.choice.alternative_utilities` for one shopper and two stores.

Shared by the rule tests of the choice: every store alike (service 0.6, 2 km away, a
2-day delivery, middling return ease), nothing seen, nothing visited; a test changes one
input and reads the utilities.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cxsim.rules import choice


def utilities(c: choice.ChoiceCoefficients, **changes: Any) -> np.ndarray:
    """The utilities ``(S*3 + 1,)`` of the one shopper, with ``changes`` to the inputs."""
    n, S = 1, 2
    kw: dict[str, Any] = dict(
        weights=np.ones((n, 6)),
        price_seen=np.ones((n, S, 3)),
        service=np.full((n, S), 0.6),
        personalization=np.zeros((n, S)),
        loyalty=np.zeros((n, S)),
        reputation=np.full((n, S), 0.5),
        dist_km=np.full((n, S), 2.0),
        crowding=np.zeros(S),
        task_oriented=np.ones(n, bool),
        delivery_days=np.full(S, 2.0),
        inspected=np.ones((n, S, 3), bool),
        return_ease=np.full((S, 3), 0.5),
        visited=np.zeros((n, S), bool),
        habit=np.zeros(n),
        available=np.ones((n, S, 3), bool),
        touch_feel=0.8,
        urgency=0.5,
        c=c,
    )
    kw.update(changes)
    out: np.ndarray = choice.alternative_utilities(**kw)[0]
    return out
