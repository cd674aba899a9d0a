"""Variants of a comparison: a scenario with inline overrides, and its display name.

A what-if often needs no file: ``cxsim compare baseline baseline+stores.giant.price=0.81``
compares the baseline with the same town where the giant's price index is 0.81.

Syntax of one variant (a positional argument of ``cxsim compare`` or the value
of ``--variant``)::

    [NAME=]SCENARIO[+PATH=VALUE[+PATH=VALUE...]]

- ``SCENARIO`` is a scenario name or a path to a TOML file;
- each ``+PATH=VALUE`` is an override as ``--set`` takes it (dotted path, TOML value);
  a ``+`` only starts a new override when a dotted path and ``=`` follow it, so a
  value such as ``1e+3`` stays whole;
- ``NAME=`` gives the variant its display name in tables, figures and reports
  (scenario names never contain ``=``, so the prefix is unambiguous). Without it
  the name is derived from the overrides: ``baseline+giant.price=0.81`` (the
  ``stores.`` prefix of a path is left out, being the common case).

Decisions: the comparison's ``--set`` overrides apply to every variant first, and
a variant's own overrides after them (the more specific one wins on the same path);
names must be distinct; the reference (``--reference NAME``) is any one of the
names, the first by default.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cxsim.core.errors import InputError

__all__ = ["SYNTAX", "Variant", "parse_variant", "pick_reference", "resolve_variants"]

SYNTAX = "[NAME=]SCENARIO[+PATH=VALUE...]"
"""The syntax of one variant, as error messages and help texts show it."""

_SPLIT = re.compile(r"\+(?=[A-Za-z_][\w-]*(?:\.[\w-]+)*\s*=)")
"""A ``+`` that starts an override: followed by a dotted path and ``=``."""


@dataclass(frozen=True)
class Variant:
    """One column of a comparison: a scenario, overrides of its own, and its display name."""

    name: str
    scenario: str
    overrides: tuple[str, ...] = field(default_factory=tuple)
    text: str = ""
    """As written on the command line."""

    @property
    def inline(self) -> bool:
        """Whether the variant changes its scenario inline (has overrides of its own)."""
        return bool(self.overrides)


def _short(override: str) -> str:
    path, _, value = override.partition("=")
    path = path.strip()
    if path.startswith("stores."):
        path = path[len("stores.") :]
    return f"{path}={value.strip()}"


def _stem(scenario: str) -> str:
    return Path(scenario).stem if scenario.endswith(".toml") else scenario


def parse_variant(text: str, source: str = "SCENARIOS") -> Variant:
    """Parse ``[NAME=]SCENARIO[+PATH=VALUE...]`` (see the module docstring)."""
    parts = _SPLIT.split(text.strip())
    head, overrides = parts[0].strip(), tuple(p.strip() for p in parts[1:])
    name = ""
    if "=" in head:
        name, _, head = (x.strip() for x in head.partition("="))
        if not re.fullmatch(r"[\w.-]+", name):
            raise InputError(
                source,
                text,
                f"a variant {SYNTAX} whose NAME is letters, digits, '_', '-' or '.'",
                name or "an empty name",
            )
    if not head:
        raise InputError(source, text, f"a variant {SYNTAX}", "no scenario before the overrides")
    for o in overrides:
        if not o.partition("=")[2].strip():
            raise InputError(source, text, f"overrides PATH=VALUE in a variant {SYNTAX}", o)
    if not name:
        name = "+".join([_stem(head), *(_short(o) for o in overrides)])
    return Variant(name=name, scenario=head, overrides=overrides, text=text)


def resolve_variants(scenarios: Sequence[str], variants: Sequence[str] = ()) -> list[Variant]:
    """The variants of a comparison, in order: the positional ones, then the ``--variant`` ones.

    Bad input (no variant, a name twice) is an :class:`InputError`.
    """
    out = [parse_variant(s) for s in scenarios] + [parse_variant(v, "--variant") for v in variants]
    if not out:
        raise InputError("compare", "SCENARIOS", "at least one scenario name", "none")
    seen: set[str] = set()
    for v in out:
        if v.name in seen:
            raise InputError(
                "compare",
                "SCENARIOS",
                "distinct scenarios (name a variant with NAME=…)",
                f"{v.name!r} twice",
            )
        seen.add(v.name)
    return out


def pick_reference(names: Sequence[str], reference: str | None) -> str:
    """The reference of a comparison: ``reference`` if given (one of ``names``), else the first."""
    if reference is None:
        return names[0]
    if reference not in names:
        raise InputError("--reference", "", f"one of the compared names ({', '.join(names)})", reference)
    return reference
