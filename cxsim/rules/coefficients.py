"""Base of the rules' coefficient groups: frozen, validated, unknown keys rejected.

Each rule module declares the coefficients it uses as one frozen group (for
example :class:`cxsim.rules.research.ResearchCoefficients`); the scenario's
``behaviour`` table composes the groups (:mod:`cxsim.model.behaviour`). A rule
receives its group as a typed, immutable object, never a string-keyed dict.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
"""A share or probability, 0..1."""
NonNeg = Annotated[float, Field(ge=0.0)]
"""A non-negative number."""
Pos = Annotated[float, Field(gt=0.0)]
"""A positive number."""


class Coefficients(BaseModel):
    """A frozen group of behavioural coefficients (validated; unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
