"""Errors that cxsim reports to its users.

Every error caused by bad input is an :class:`InputError`: the command line
prints its one-line message and exits with status 2, and nothing is written.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class InputError(Exception):
    """Bad input from the user: a scenario, an experiment file or an option.

    The message names the file, the key path, what was expected and what was
    found, and suggests a near-miss key when there is one.
    """

    def __init__(
        self,
        source: str,
        key: str,
        expected: str,
        found: object = None,
        hint: str | None = None,
    ) -> None:
        self.source = source
        self.key = key
        self.expected = expected
        self.found = found
        self.hint = hint
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The one-line message shown to the user."""
        where = f"{self.source}: {self.key}" if self.key else self.source
        text = f"{where}: expected {self.expected}"
        if self.found is not None:
            text += f", found {_short(self.found)}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class ScenarioError(InputError):
    """A scenario file, override or name that cannot be used."""


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """Return a "did you mean 'x'?" hint for a near-miss, or None."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
