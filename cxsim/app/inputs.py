"""Every value that comes from the browser, checked before it reaches the model (no Solara here).

The browser is not trusted (issue 11, item 7): a page can send any JSON, not
only what the widgets offer. So the app checks each value the way the command
line checks its options, and a bad value becomes an :class:`InputError` whose
one-line message the page shows (``AppState.error``); nothing raises out of
an action.

- a preset is a **name** of the scenario library (:func:`cxsim.model.library.scenario_names`),
  never a path;
- the seed is an integer in 0…2^63−1 (what numpy's generators and the Parquet
  tables hold: the range of the CLI's ``--seed``);
- every lever is within its slider's bounds (:data:`~cxsim.app.levers.LEVER_RANGES`),
  the number of shoppers included, so a page cannot ask for 50 million;
- the scenario that the levers make, with the seed, is then built by the scenario
  schema itself, :func:`cxsim.model.scenario.load_scenario` (the same path as
  ``cxsim run --set ... --seed``), so whatever the schema refuses (its bounds and
  the memory estimate included), the app refuses with the schema's message.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from cxsim.app.levers import LEVER_RANGES, Levers
from cxsim.core.config import MAX_SEED
from cxsim.core.errors import InputError, did_you_mean

SOURCE = "app"
"""How the messages name where the value came from."""
SEED_MAX = MAX_SEED
"""The largest seed: the scenario schema's (:data:`cxsim.core.config.MAX_SEED`, the CLI's ``--seed``)."""


def check_preset(name: object, presets: Sequence[str]) -> str:
    """``name`` if it is one of ``presets`` (library names), else an :class:`InputError`."""
    if not isinstance(name, str) or name not in presets:
        hint = did_you_mean(name, presets) if isinstance(name, str) else None
        shown = ", ".join(presets[:8]) + (", ..." if len(presets) > 8 else "")
        raise InputError(SOURCE, "preset", f"a scenario name of the library ({shown})", name, hint)
    return name


def check_seed(seed: object) -> int:
    """An integer seed within 0…2^63−1."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        if isinstance(seed, float) and seed.is_integer():
            seed = int(seed)
        else:
            raise InputError(SOURCE, "seed", f"a whole number from 0 to {SEED_MAX}", seed)
    if not 0 <= seed <= SEED_MAX:
        raise InputError(SOURCE, "seed", f"a whole number from 0 to {SEED_MAX}", seed)
    return seed


def _number(name: str, value: object) -> float:
    lo, hi, _ = LEVER_RANGES[name]
    expected = f"a number from {lo:g} to {hi:g}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(SOURCE, name, expected, value)
    x = float(value)
    if not math.isfinite(x) or not lo <= x <= hi:
        raise InputError(SOURCE, name, expected, value)
    return x


def check_shoppers(value: object) -> int:
    """A whole number of shoppers within the slider's bounds."""
    lo, hi, _ = LEVER_RANGES["shoppers"]
    x = _number("shoppers", value)
    if not x.is_integer():
        raise InputError(SOURCE, "shoppers", f"a whole number from {lo:g} to {hi:g}", value)
    return int(x)


def check_levers(levers: object) -> Levers:
    """A :class:`Levers` whose every value is of its type and within its slider's bounds."""
    if not isinstance(levers, Levers):
        raise InputError(SOURCE, "levers", "the app's levers", type(levers).__name__)
    values: dict[str, Any] = {}
    for f in fields(Levers):
        value = getattr(levers, f.name)
        if f.name == "seed":
            values[f.name] = check_seed(value)
        elif f.name == "shoppers":
            values[f.name] = check_shoppers(value)
        elif f.name == "bopis":
            if not isinstance(value, bool):
                raise InputError(SOURCE, "bopis", "on or off", value)
            values[f.name] = value
        else:
            values[f.name] = _number(f.name, value)
    return Levers(**values)
