"""Every built-in scenario, frozen: a restructure must not change a bit of any table.

The golden runs (``test_golden.py``) cover the mechanisms; this test covers the
built-in library as shipped: each scenario runs at a small town size over its
whole horizon (with its warm-up and events) at a fixed seed, and every table
(timeseries, stores, summary, purchases), the model log (as its sentences) and
the final shopper state are fingerprinted bit for bit. The fingerprints were
recorded before the package was reorganised into layers (issue "The house")
and live in ``tests/golden/scenarios.json``.

Re-record only with an intended change of results, and say why in the commit::

    .venv/bin/python tests/model/test_frozen_scenarios.py --update
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.model.test_golden import _digest, state_fingerprint, table_fingerprint

FROZEN = Path(__file__).resolve().parents[1] / "golden" / "scenarios.json"
SHOPPERS = 300
SEED = 7

pytestmark = pytest.mark.slow


def scenario_names() -> list[str]:
    """Names of the built-in scenarios, as recorded."""
    return sorted(json.loads(FROZEN.read_text()))


def log_sentences(model: Any) -> list[tuple[int, str]]:
    """The model log as (day, sentence) pairs, whatever its internal form."""
    from cxsim.analysis.narration import sentence

    out = []
    for entry in model.log:
        if isinstance(entry, tuple):
            out.append((int(entry[0]), str(entry[1])))
        else:
            out.append((int(entry.day), sentence(entry, model.store_labels)))
    return out


def fingerprint(name: str) -> dict[str, Any]:
    """Run one built-in scenario small and fingerprint everything it produces."""
    from cxsim import CXModel, load_scenario

    spec = load_scenario(name, [f"town.shoppers={SHOPPERS}", "collect_purchases=true"], seed=SEED)
    model = CXModel(spec)
    model.run()
    tables = {
        "timeseries": model.timeseries(),
        "stores": model.store_table(),
        "summary": pd.DataFrame([model.summary()]),
        "purchases": model.purchases(),
    }
    return {
        "tables": {k: table_fingerprint(v) for k, v in tables.items() if v is not None},
        "log": _digest(json.dumps(log_sentences(model)).encode()),
        "state": state_fingerprint(model),
    }


@pytest.mark.parametrize("name", scenario_names())
def test_scenario_unchanged(name: str) -> None:
    """Same scenario and seed -> bitwise the tables, log and state recorded before the restructure."""
    expected = json.loads(FROZEN.read_text())[name]
    assert fingerprint(name) == expected, f"built-in scenario {name!r} no longer gives the frozen results"


def update() -> None:
    """Re-record the fingerprints of every built-in scenario."""
    from cxsim import scenario_names as library

    names = list(library())
    data = {name: fingerprint(name) for name in sorted(names)}
    FROZEN.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {FROZEN} ({len(data)} scenarios)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        update()
    else:
        print(__doc__)
        sys.exit(1)
