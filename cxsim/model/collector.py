"""Mesa's DataCollector for the model's tables, with a quicker ``collect``.

The model's reporters read today's metrics row (``model.metrics``: numbers and
text) and the stores' plain attributes. Mesa's ``collect`` calls one Python
function and one ``deepcopy`` per value, about 130 a day for a town of five
stores; :class:`DayCollector` stores exactly the same values in exactly Mesa's
structures (``model_vars`` and the agent-type records that
``get_model_vars_dataframe`` and ``get_agenttype_vars_dataframe`` read) with
one ``attrgetter`` per store. Its first ``collect`` is Mesa's own, which
validates the reporters. Values are immutable (``deepcopy`` returns them as
they are), so nothing differs but the time.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

import mesa


def _reporter(column: str) -> Callable[[Any], Any]:
    def report(model: Any) -> Any:
        return model.metrics[column]

    report.__name__ = f"report_{column}"
    return report


class DayCollector(mesa.DataCollector):  # type: ignore[misc]  # mesa ships no type information
    """A ``mesa.DataCollector`` of the model's ``columns`` and the ``agent_columns`` of ``agent_type``."""

    def __init__(self, columns: tuple[str, ...], agent_type: type, agent_columns: tuple[str, ...]) -> None:
        super().__init__(
            model_reporters={c: _reporter(c) for c in columns},
            agenttype_reporters={agent_type: {c: c for c in agent_columns}},
        )
        self._columns = columns
        self._agent_type = agent_type
        self._agent_columns = agent_columns
        self._get = attrgetter(*agent_columns)

    def collect(self, model: Any) -> None:
        """Record today's metrics row and every agent's columns (as ``mesa.DataCollector.collect``)."""
        if not self._validated or len(self._agent_columns) < 2:
            super().collect(model)
            return
        self._collection_steps.append(model.time)
        row, model_vars = model.metrics, self.model_vars
        for var in self._columns:
            model_vars[var].append(row[var])
        t, get, kind = model.time, self._get, self._agent_type
        self._agenttype_records[t] = {kind: [(t, a.unique_id, *get(a)) for a in model.agents_by_type[kind]]}
