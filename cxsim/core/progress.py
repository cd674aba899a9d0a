"""The one progress bar of the package (tqdm), shown only on a terminal and when not quiet."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from tqdm import tqdm


class Tick(Protocol):
    """Advances a progress bar: ``tick()`` by one step, ``tick(n)`` by ``n``; keywords show after it."""

    def __call__(self, n: int = 1, /, **postfix: object) -> None:
        """Advance by ``n`` steps and show ``postfix`` (e.g. ``errors=2``) after the bar."""


def progress_enabled(quiet: bool = False) -> bool:
    """Progress bars only on a terminal (stderr) and when not ``--quiet``."""
    return not quiet and sys.stderr.isatty()


class _Bar(tqdm):  # type: ignore[misc]
    """tqdm without its monitor thread (forking a threaded process can deadlock)."""

    monitor_interval = 0


def _no_tick(n: int = 1, /, **postfix: object) -> None:
    """A tick that shows nothing."""


@contextmanager
def progress_bar(
    total: int | None,
    desc: str,
    enabled: bool = True,
    *,
    unit: str = "run",
    initial: int = 0,
) -> Iterator[Tick]:
    """A tqdm bar on stderr for the block; yields a :class:`Tick` (a no-op when not ``enabled``).

    The bar has no monitor thread, so worker processes can be forked while it
    shows.
    """
    if not enabled:
        yield _no_tick
        return
    bar = _Bar(
        total=total,
        initial=initial,
        desc=desc,
        unit=unit,
        leave=False,
        file=sys.stderr,
        dynamic_ncols=True,
        smoothing=0.05,
    )

    def tick(n: int = 1, /, **postfix: object) -> None:
        if postfix:
            bar.set_postfix(postfix, refresh=False)
        bar.update(n)

    try:
        yield tick
    finally:
        bar.close()
