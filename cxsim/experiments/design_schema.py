"""The experiment file's schema (``cxsim/data/experiments/*.toml``), as written and as resolved.

:class:`ExperimentSpec` is the file as written (validated by pydantic, errors
translated by :mod:`cxsim.core.config`); :class:`ResolvedParameter` is one of its
parameters once checked against the base scenario (:mod:`cxsim.experiments.design_checks`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import ConfigDict, Field

from cxsim.core.config import Seed, StrictModel

SAMPLERS = ("grid", "random", "lhs", "sobol", "morris")
TABLES = ("summary", "timeseries", "stores", "purchases")
DEFAULT_METRICS = (
    "online_share",
    "showrooming_rate",
    "webrooming_rate",
    "mean_satisfaction",
    "nps",
    "mean_loyalty",
)
RUN_COLUMNS = ("run_id", "point", "replication", "seed", "status", "duration_s", "error", "worker", "session")
RESERVED_PATHS = {
    "seed": "every run's seed is derived from the experiment's root `seed`",
    "days": "set `days` at the top of the experiment file",
    "collect_every": "set `output.collect_every`",
    "collect_purchases": 'add "purchases" to `output.tables`',
    "name": "the name is not a model parameter",
    "description": "the description is not a model parameter",
    "question": "the question is not a model parameter",
    "extends": "choose the base with `scenario`",
}
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# --------------------------------------------------------------------------- schema


class Range(StrictModel):
    """A continuous range; ``steps`` (grid sampler only) spaces that many values evenly."""

    low: float
    high: float
    steps: Annotated[int, Field(ge=2, le=10_000)] | None = None


class Parameter(StrictModel):
    """One parameter to vary: a dotted scenario path and its values or range."""

    path: str
    name: str | None = None
    """Column name in the result tables (default: the path with ``__`` for dots)."""
    values: list[bool | int | float | str] | None = None
    range: Range | None = None

    @property
    def column(self) -> str:
        """The column name of this parameter in every table."""
        return self.name or self.path.replace(".", "__")


class GridSampler(StrictModel):
    """Every combination of the parameters' values (first parameter varies slowest)."""

    method: Literal["grid"] = "grid"


class RandomSampler(StrictModel):
    """Independent uniform draws (ranges) or uniform choices (value lists)."""

    method: Literal["random"]
    samples: Annotated[int, Field(ge=1, le=10_000_000)]


class LHSSampler(StrictModel):
    """A Latin hypercube over the ranges (scipy.stats.qmc.LatinHypercube)."""

    method: Literal["lhs"]
    samples: Annotated[int, Field(ge=1, le=10_000_000)]


class SobolSampler(StrictModel):
    """Saltelli's extension of the Sobol' sequence (SALib.sample.sobol).

    ``samples`` is the base sample N (a power of 2); the design has N(D+2)
    points, or N(2D+2) with ``second_order``.
    """

    method: Literal["sobol"]
    samples: Annotated[int, Field(ge=2, le=1_048_576)]
    second_order: bool = False


class MorrisSampler(StrictModel):
    """Morris elementary-effects trajectories (SALib.sample.morris): (D+1) points each."""

    method: Literal["morris"]
    trajectories: Annotated[int, Field(ge=2, le=100_000)]
    levels: Annotated[int, Field(ge=2, le=100)] = 4


Sampler = Annotated[
    GridSampler | RandomSampler | LHSSampler | SobolSampler | MorrisSampler,
    Field(discriminator="method"),
]


TableName = Literal["summary", "timeseries", "stores", "purchases"]


class Output(StrictModel):
    """Which tables each run keeps, and how the sweep writes them."""

    tables: list[TableName] = Field(default_factory=lambda: list[TableName](["summary"]))
    collect_every: Annotated[int, Field(ge=1, le=36_500)] | None = None
    """Collect the daily tables every k days (default: the scenario's)."""
    batch_size: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    """Write a Parquet part every this many finished runs (default: about 1% of the sweep)."""
    flush_seconds: Annotated[float, Field(gt=0, le=86_400)] = 60.0
    """...or at least this often, whichever comes first."""


class Analysis(StrictModel):
    """Defaults for ``cxsim analyze``."""

    metrics: list[str] = Field(default_factory=lambda: list(DEFAULT_METRICS))


class ExperimentSpec(StrictModel):
    """The experiment file, as written (before resolution against the scenario)."""

    model_config = ConfigDict(populate_by_name=True)  # merged with StrictModel's
    config_label: ClassVar[str] = "experiment file"

    name: str | None = None
    description: str = ""
    scenario: str = "baseline"
    days: Annotated[int, Field(ge=1, le=36_500)] | None = None
    seed: Annotated[
        Seed,
        Field(description="a root seed, an integer from 0 to 2^63-1 (every run's seed derives from it)"),
    ]
    """Root seed: every run's seed is derived from it (numpy SeedSequence)."""
    replications: Annotated[int, Field(ge=1, le=100_000)] = 1
    common_random_numbers: bool = True
    """Replication r uses the same seed at every point (variance reduction); else one seed per run."""
    overrides: list[str] = Field(default_factory=list, alias="set")
    parameters: Annotated[list[Parameter], Field(min_length=1)]
    sampler: Sampler = Field(default_factory=GridSampler)
    output: Output = Field(default_factory=Output)
    analysis: Analysis = Field(default_factory=Analysis)


# --------------------------------------------------------------------------- resolved


@dataclass(frozen=True)
class ResolvedParameter:
    """A parameter checked against the base scenario."""

    index: int
    path: str
    column: str
    kind: str
    """``float``, ``int``, ``bool`` or ``str`` (from the base scenario's value)."""
    values: tuple[Any, ...] | None
    """Values to use (lists, and ranges with ``steps``)."""
    low: float | None
    high: float | None

    def convert(self, value: Any) -> Any:
        """A sampled or listed value as the parameter's type (integers are rounded)."""
        if self.kind == "int":
            return round(float(value))
        if self.kind == "float":
            return float(f"{float(value):.12g}")
        if self.kind == "bool":
            return bool(value)
        return str(value)

    def override(self, value: Any) -> str:
        """The ``PATH=VALUE`` override that sets ``value``."""
        return f"{self.path}={toml_literal(value)}"


def toml_literal(value: Any) -> str:
    """A Python scalar as a TOML literal (as ``--set`` expects)."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return json.dumps(str(value))
