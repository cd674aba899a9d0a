"""cxsim: an agent-based simulation of retail customer experience, on Mesa.

Quick start::

    import cxsim
    result = cxsim.run("baseline", days=365, seed=1)
    result.timeseries.head()
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cxsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from cxsim.core.errors import InputError, ScenarioError
from cxsim.experiments.results import RunResult, load_result, run
from cxsim.model.cxmodel import CXModel
from cxsim.model.scenario import Scenario, load_scenario, scenario_names

__all__ = [
    "CXModel",
    "InputError",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_result",
    "load_scenario",
    "run",
    "scenario_names",
]
