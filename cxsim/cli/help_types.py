"""Help without type noise: ``--help`` shows click-style value names, and none for flags.

Typer 0.29 prints a type on every option and argument (``<bool>`` on ``--quiet``,
``<list[str]>`` on ``--set``). For readers of ``--help`` a flag needs no type, an
option with a ``metavar`` shows it (``PATH=VALUE``), and any other option shows the
plain value name click would (``INTEGER``, ``NUMBER``, ``TEXT``, ``PATH``). An
argument is already named in the usage line and its row, so it shows its metavar
only if it has one.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperOption

_NAMES = {
    "int": "INTEGER",
    "int range": "INTEGER",
    "float": "NUMBER",
    "float range": "NUMBER",
    "str": "TEXT",
    "Path": "PATH",
    "path": "PATH",
    "file": "FILE",
    "directory": "FOLDER",
}


def _plain(label: str) -> str:
    """``<list[int range]>`` → ``INTEGER``; a choice ``<a|b>`` stays ``a|b``."""
    inner = label.strip("<>")
    if inner.startswith("list[") and inner.endswith("]"):
        inner = inner[5:-1]
    return _NAMES.get(inner, inner.upper() if inner.isidentifier() else inner)


def _option_type(self: TyperOption, ctx: Any) -> str | None:  # ctx: typer's vendored click Context
    if self.is_flag or self.count:
        return None
    if self.metavar is not None:
        return self.metavar
    return _plain(self.display_type(ctx))


def _argument_type(self: TyperArgument, ctx: Any) -> str | None:
    return self.metavar


def install() -> None:
    """Use the plain value names in every command's ``--help`` (idempotent)."""
    TyperOption.display_type_rich = _option_type  # type: ignore[method-assign]
    TyperArgument.display_type_rich = _argument_type  # type: ignore[method-assign,assignment]
