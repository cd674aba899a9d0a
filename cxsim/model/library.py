"""The scenario library: the built-in scenarios with the user's scenario folders layered over them.

Scenario names are looked up in these sources, each layered over the ones before:

1. the built-in library, shipped inside the package (``cxsim/data/scenarios``);
2. ``./scenarios``, if the current folder has one;
3. the folders in the environment variable ``CXSIM_SCENARIOS`` (separated by
   ``os.pathsep``, ``:`` on Linux and macOS; a later folder wins over an earlier one);
4. the folders given with ``--scenarios DIR`` on the command line (:func:`use_folders`).

A scenario in a later source replaces a built-in (or earlier) one of the same
name; a one-line note on stderr says so the first time the name is used
(unless the file is an identical copy).
``cxsim scenarios`` lists every name with the source it comes from. A scenario
``extends`` its parent by name or by a path ending in ``.toml``
(:func:`find_scenario_file`): a file of that name beside the scenario first,
otherwise the library, so a user scenario can ``extends = "price_war"``; a path
is relative to the scenario's folder (then the current one). Nothing else is
read: a reference that is neither a name nor a ``.toml`` path is an error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cxsim.core.config import data_path, packaged
from cxsim.core.errors import ScenarioError, did_you_mean

ENV = "CXSIM_SCENARIOS"
"""The environment variable with the user's scenario folders."""

_cli_folders: list[Path] = []
_noted: set[str] = set()


@dataclass(frozen=True)
class Source:
    """A folder of scenario files and where it came from."""

    origin: str
    """``built-in``, ``./scenarios``, ``CXSIM_SCENARIOS`` or ``--scenarios``."""
    folder: Path


@dataclass(frozen=True)
class Entry:
    """A scenario name of the library: its file, the source it comes from and the ones it replaces."""

    name: str
    path: Path
    source: Source
    replaces: tuple[Source, ...] = ()


def builtin_dir() -> Path:
    """The built-in scenarios, shipped with the package."""
    return data_path("scenarios")


def use_folders(folders: Iterable[str | Path]) -> None:
    """Layer the folders given with ``--scenarios`` over the library (they replace earlier ones).

    Raises:
        ScenarioError: a folder does not exist.
    """
    paths = [Path(f) for f in folders]
    for path in paths:
        if not path.is_dir():
            raise ScenarioError("--scenarios", "", "a folder of scenario .toml files", str(path))
    _cli_folders[:] = paths


def sources() -> list[Source]:
    """The scenario sources, lowest precedence first."""
    out = [Source("built-in", builtin_dir())]
    local = Path.cwd() / "scenarios"
    if local.is_dir():
        out.append(Source("./scenarios", local))
    for part in os.environ.get(ENV, "").split(os.pathsep):
        if part:
            out.append(Source(ENV, Path(part)))
    out.extend(Source("--scenarios", p) for p in _cli_folders)
    return out


def library() -> dict[str, Entry]:
    """Every scenario name, sorted, with the file that wins."""
    found: dict[str, Entry] = {}
    for source in sources():
        if not source.folder.is_dir():
            continue
        for path in sorted(source.folder.glob("*.toml")):
            old = found.get(path.stem)
            replaces = (*old.replaces, old.source) if old is not None else ()
            found[path.stem] = Entry(path.stem, path, source, replaces)
    return dict(sorted(found.items()))


def scenario_names() -> list[str]:
    """Names of every scenario of the library (built-in and the user's)."""
    return list(library())


def scenarios_dir() -> Path:
    """The folder where new scenarios are written: the user's last folder, else ``./scenarios``."""
    user = [s for s in sources() if s.origin != "built-in"]
    return user[-1].folder if user else Path.cwd() / "scenarios"


def note_replacement(entry: Entry) -> None:
    """Say once on stderr that a user's scenario replaces one of the same name."""
    if not entry.replaces or entry.name in _noted:
        return
    _noted.add(entry.name)
    replaced = entry.replaces[-1]
    if (replaced.folder / entry.path.name).read_bytes() == entry.path.read_bytes():
        return  # a copy of the same file replaces nothing
    print(
        f"note: scenario '{entry.name}' is {entry.path} ({entry.source.origin}), "
        f"which replaces the {replaced.origin} one ({replaced.folder / entry.path.name})",
        file=sys.stderr,
    )


def find_scenario_file(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """Resolve a scenario name (in the library) or a path to a ``.toml`` file.

    The rule (the same for a command-line argument, ``extends``, an experiment's
    ``scenario`` and a pattern's ``scenario``): a reference is either

    - a **name** (no folder separator, no ``.toml``): a file of that name beside
      the referring file (``relative_to``) first, then the library; or
    - a **path ending in .toml**: relative to the referring file's folder first,
      then to the current folder (absolute paths as they are).

    Anything else (a path to a file that is not ``.toml``, a name with folders
    but no ``.toml``) is refused without being read, so no input can make cxsim
    read an arbitrary file as a scenario.

    Args:
        name_or_path: a name such as ``price_war``, or a path to a ``.toml`` file.
        relative_to: the folder of the file that refers to this scenario.
    """
    text = str(name_or_path)
    entries = library()
    expected = f"a scenario name ({', '.join(entries) or 'none found'}) or a path to a .toml file"
    is_path = text.endswith(".toml")
    if not is_path and (not text or any(sep in text for sep in ("/", "\\", os.sep)) or text in (".", "..")):
        raise ScenarioError(text, "", expected, hint="a path must end in .toml")
    candidates = []
    if relative_to is not None:
        candidates.append(relative_to / (text if is_path else f"{text}.toml"))
    if is_path:
        candidates.append(Path(text))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    entry = entries.get(text) if not is_path else None
    if entry is not None:
        note_replacement(entry)
        return entry.path
    moved = packaged(text) if is_path else None  # an old repository path, e.g. scenarios/price_war.toml
    if moved is not None:
        return moved
    hint = did_you_mean(Path(text).stem, entries) or (
        "a path must end in .toml" if Path(text).suffix else None
    )
    raise ScenarioError(text, "", expected, hint=hint)
