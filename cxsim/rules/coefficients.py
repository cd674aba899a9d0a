"""Base of the rules' coefficient groups: frozen, validated, finite, unknown keys rejected.

Each rule module declares the coefficients it uses as one frozen group (for
example :class:`cxsim.rules.research.ResearchCoefficients`); the scenario's
``behaviour`` table composes the groups (:mod:`cxsim.model.behaviour`). A rule
receives its group as a typed, immutable object, never a string-keyed dict.

Every coefficient is a finite number (NaN and +-inf are rejected) within a sane
magnitude, whatever bounds its own field declares: a real coefficient lies in
``[-MAX_COEFFICIENT, MAX_COEFFICIENT]`` (utility weights are of order 1-10, so
1,000 leaves room for any experiment and keeps sums of utilities far from
overflow), and a whole-number coefficient (days, counts) in
``[-MAX_WHOLE_COEFFICIENT, MAX_WHOLE_COEFFICIENT]`` (a century of days; a window
of that many days still fits in memory). A field's own ``Field(ge=..., le=...)``
narrows this further.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
"""A share or probability, 0..1."""
NonNeg = Annotated[float, Field(ge=0.0)]
"""A non-negative number (at most :data:`MAX_COEFFICIENT`)."""
Pos = Annotated[float, Field(gt=0.0)]
"""A positive number (at most :data:`MAX_COEFFICIENT`)."""

MAX_COEFFICIENT = 1_000.0
"""The largest magnitude of a real coefficient."""
MAX_WHOLE_COEFFICIENT = 36_500
"""The largest magnitude of a whole-number coefficient (days, counts)."""


class Coefficients(BaseModel):
    """A frozen group of behavioural coefficients (validated, finite; unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _sane_magnitude(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value
        limit: float = MAX_WHOLE_COEFFICIENT if isinstance(value, int) else MAX_COEFFICIENT
        if abs(value) <= limit:
            return value
        field = cls.model_fields.get(info.field_name or "")
        low: float = -limit
        for bound in field.metadata if field is not None else ():
            for name in ("ge", "gt"):
                own = getattr(bound, name, None)
                if own is not None:
                    low = max(low, own)
        kind = "a whole number" if isinstance(value, int) else "a number"
        low_text = f"{low:g}" if isinstance(low, float) else str(low)
        raise PydanticCustomError(
            "coefficient_range",
            "{kind} from {low} to {high}",
            {"kind": kind, "low": low_text, "high": f"{limit:g}"},
        )
