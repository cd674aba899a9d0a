"""Values from an untrusted source (the app's browser, an API caller) checked by the scenario schema.

:func:`validate_overrides` is the one function the app calls with whatever the
page sent: a scenario of the library **by name** (never a path) and a mapping
of dotted scenario paths to plain values. Each value goes through the same path
as ``cxsim run --set PATH=VALUE`` (:func:`cxsim.model.scenario.load_scenario`):
the schema's types and bounds (finite numbers, seeds 0..2^63-1, shoppers that
fit in memory, coordinates in the town...), so the app refuses exactly what the
command line refuses, with the same one-line message, naming ``source`` and the key.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from cxsim.core.errors import InputError, ScenarioError, did_you_mean
from cxsim.model.library import scenario_names
from cxsim.model.scenario import Scenario, load_scenario

__all__ = ["literal", "validate_overrides"]


def literal(source: str, key: str, value: object) -> str:
    """A plain value as a TOML literal (as ``--set`` reads it); anything else is an :class:`InputError`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(source, key, "a finite number", value)
        return repr(value)
    if isinstance(value, str) and len(value) <= 200:
        return json.dumps(value)
    raise InputError(source, key, "a number, true/false or a short text", value)


def validate_overrides(
    scenario: str | Scenario,
    values: Mapping[str, object] | None = None,
    *,
    source: str = "app",
) -> Scenario:
    """The scenario ``scenario`` with ``values`` set, validated by the scenario schema.

    Args:
        scenario: a scenario **name** of the library (a path is refused), or a
            :class:`Scenario` already loaded.
        values: dotted scenario paths and their values, e.g.
            ``{"seed": 7, "town.shoppers": 2000, "stores.giant.price": 0.9}``.
        source: how messages name where the values came from.

    Raises:
        InputError: an unknown name or key, a value of the wrong type, out of its
            bounds, NaN or infinite, or a town too big for memory. The message is
            one line: ``source: key: expected ..., found ...``.
    """
    base: Any = scenario
    if not isinstance(scenario, Scenario):
        names = scenario_names()
        if not isinstance(scenario, str) or scenario not in names:
            found = scenario if isinstance(scenario, str) else type(scenario).__name__
            hint = did_you_mean(scenario, names) if isinstance(scenario, str) else None
            raise InputError(
                source, "scenario", f"a scenario name of the library ({', '.join(names)})", found, hint
            )
    overrides = []
    for key, value in (values or {}).items():
        if not isinstance(key, str) or not key or len(key) > 200:
            raise InputError(source, "", "a dotted scenario path (e.g. stores.giant.price)", key)
        overrides.append(f"{key}={literal(source, key, value)}")
    try:
        return load_scenario(base, overrides)
    except ScenarioError as exc:
        raise InputError(source, exc.key, exc.expected, exc.found, exc.hint) from None
