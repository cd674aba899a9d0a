"""The options every output command shares: ``--out`` checked as a path, and ``--overwrite``.

The output-folder rule itself lives in :mod:`cxsim.core.io`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxsim.core.io import output_path

OverwriteOpt = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Write into a folder cxsim did not write (or another command's); "
        "cxsim still never replaces a file it did not write.",
    ),
]
"""``--overwrite`` (see the output-folder rule in :mod:`cxsim.core.io`)."""


def out_folder(text: str | Path) -> Path:
    """The ``--out`` path, given as text: an empty ``--out ''`` is refused (not the current folder)."""
    return output_path(text)
