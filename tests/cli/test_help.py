"""``--help`` reads cleanly: no ``<bool>``, ``<list[str]>`` or other type noise on any command."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from cxsim.cli.main import app

COMMANDS = [
    "run",
    "compare",
    "report",
    "sweep",
    "analyze",
    "validate",
    "calibrate",
    "app",
    "show",
    "scenarios",
]
NOISE = re.compile(r"<(bool|str|int|float|list\[|Path|int range|float range)[^>]*>")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_no_type_noise(command: str) -> None:
    """Flags show no type; options show click-style value names or their metavar."""
    out = CliRunner().invoke(app, [command, "--help"], terminal_width=100)
    assert out.exit_code == 0, out.output
    assert not NOISE.search(out.output), NOISE.findall(out.output)


def test_set_shows_its_form() -> None:
    """``--set`` names the form of its value."""
    out = CliRunner().invoke(app, ["run", "--help"], terminal_width=100)
    assert "PATH=VALUE" in out.output
