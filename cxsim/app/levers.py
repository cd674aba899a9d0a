"""The app's levers: what the sliders show, and the scenario overrides they stand for (no Solara here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from cxsim.app import classroom
from cxsim.model.scenario import Scenario

CLASSROOM_SHOPPERS = 1000
"""Shoppers in the app's town unless the user asks for more: a step takes ~2 ms."""


@dataclass(frozen=True)
class Levers:
    """The main levers of the town, as the sliders show them.

    Each lever moves a group of stores of the chosen preset; a lever left at
    the preset's value changes nothing (see :func:`lever_overrides`).
    """

    online_price_advantage: float = 0.10
    """How much cheaper online-only stores are than the reference price 1.0."""
    service: float = 0.70
    """Mean service quality of the stores with a shop floor (physical and omnichannel)."""
    personalization: float = 0.45
    """Mean personalization capability of the stores with a shop floor."""
    delivery_days: float = 2.0
    """Mean delivery time of the stores that deliver (online and omnichannel)."""
    bopis: bool = True
    """Buy online, pick up in store at the omnichannel stores."""
    shoppers: int = CLASSROOM_SHOPPERS
    seed: int = 42


LEVER_RANGES: dict[str, tuple[float, float, float]] = {
    "online_price_advantage": (-0.20, 0.50, 0.01),
    "service": (0.0, 1.0, 0.01),
    "personalization": (0.0, 1.0, 0.01),
    "delivery_days": (0.0, 10.0, 0.5),
    "shoppers": (200, 10_000, 100),
}
"""``(min, max, step)`` of each slider."""


def _mean(values: Sequence[float], default: float) -> float:
    return float(np.mean(values)) if len(values) else default


def levers_from_scenario(
    spec: Scenario, shoppers: int = CLASSROOM_SHOPPERS, seed: int | None = None
) -> Levers:
    """The lever values a scenario implies (rounded as the sliders step)."""
    stores = list(spec.stores.values())
    online = [s.price for s in stores if s.kind == "online"]
    floor = [s for s in stores if s.kind != "online"]
    delivering = [s.delivery_days for s in stores if s.kind != "physical"]
    omni = [s.bopis for s in stores if s.kind == "omnichannel"]
    return Levers(
        online_price_advantage=round(1.0 - _mean(online, 0.9), 2),
        service=round(_mean([s.service_quality for s in floor], 0.7), 2),
        personalization=round(_mean([s.personalization for s in floor], 0.45), 2),
        delivery_days=round(_mean(delivering, 2.0) * 2) / 2,
        bopis=any(omni) if omni else False,
        shoppers=int(shoppers),
        seed=int(spec.seed if seed is None else seed),
    )


def levers_available(spec: Scenario) -> dict[str, bool]:
    """Which levers have stores to act on in this scenario."""
    kinds = {s.kind for s in spec.stores.values()}
    return {
        "online_price_advantage": "online" in kinds,
        "service": bool(kinds - {"online"}),
        "personalization": bool(kinds - {"online"}),
        "delivery_days": bool(kinds - {"physical"}),
        "bopis": "omnichannel" in kinds,
    }


def _num(x: float) -> str:
    return repr(round(float(x), 4))


def _unit(x: float) -> str:
    """``x`` clipped to 0..1, as an override value."""
    return _num(min(1.0, max(0.0, x)))


def lever_overrides(spec: Scenario, base: Levers, chosen: Levers) -> list[str]:
    """``--set`` overrides that turn the preset ``spec`` (whose levers are ``base``) into ``chosen``.

    Levers shift a group of stores by the slider's change, keeping the
    differences between the stores of the group:

    - online price advantage: price of every ``online`` store, lowered by the change;
    - service and personalization: every store with a shop floor
      (``physical`` and ``omnichannel``), clipped to 0..1 (a service target
      set by the preset moves along);
    - delivery days: every store that delivers (``online``, ``omnichannel``);
    - pick-up in store: ``bopis`` of every ``omnichannel`` store;
    - shoppers: ``town.shoppers`` (always set; the seed goes to the model as ``rng``).
    """
    out = [f"town.shoppers={int(chosen.shoppers)}"]
    d_price = chosen.online_price_advantage - base.online_price_advantage
    d_service = chosen.service - base.service
    d_pers = chosen.personalization - base.personalization
    d_days = chosen.delivery_days - base.delivery_days
    for name, st in spec.stores.items():
        key = f"stores.{name}"
        if st.kind == "online" and abs(d_price) > 1e-9:
            out.append(f"{key}.price={_num(max(0.05, st.price - d_price))}")
        if st.kind != "online" and abs(d_service) > 1e-9:
            out.append(f"{key}.service_quality={_unit(st.service_quality + d_service)}")
            if st.target_service is not None:
                out.append(f"{key}.target_service={_unit(st.target_service + d_service)}")
        if st.kind != "online" and abs(d_pers) > 1e-9:
            out.append(f"{key}.personalization={_unit(st.personalization + d_pers)}")
        if st.kind != "physical" and abs(d_days) > 1e-9:
            out.append(f"{key}.delivery_days={_num(max(0.0, st.delivery_days + d_days))}")
        if st.kind == "omnichannel" and chosen.bopis != base.bopis:
            out.append(f"{key}.bopis={'true' if chosen.bopis else 'false'}")
    return out


def lever_notes(base: Levers, chosen: Levers) -> list[str]:
    """Plain words for every lever moved away from the preset (shoppers excepted)."""
    notes = []
    for f in fields(Levers):
        if f.name == "shoppers":
            continue
        a, b = getattr(base, f.name), getattr(chosen, f.name)
        if a != b:
            notes.append(classroom.lever_note(f.name, a, b))
    return notes


def default_preset(names: Sequence[str]) -> str | None:
    """``baseline`` if there is one, else the first preset."""
    if "baseline" in names:
        return "baseline"
    return names[0] if names else None
