"""Atomic output: a folder or a file appears complete, or not at all.

Every writer of the package goes through these helpers: a run's tables, a
comparison, a validation, a calibration, a sweep's parts and reports. Files are
written under a temporary name beside their target and renamed into place
(``os.replace`` is atomic within one file system), so a failure or a kill
leaves either the old output or the new one, never a half-written mix.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cxsim.core.errors import InputError

__all__ = [
    "atomic_dir",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "check_writable",
    "fsync_dir",
]


def check_writable(out: str | Path, option: str = "--out") -> Path:
    """Fail early, as bad input, if the folder ``out`` cannot be created or written.

    ``option`` names the command-line option in the message.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(option, str(out), "a folder (or a path where one can be made)", "a file")
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(
            option, str(out), "a folder (or a path where one can be made)", f"{parent} is a file"
        )
    if (
        not os.access(parent, os.W_OK)
        or not _can_create_in(parent)
        or (out.is_dir() and not _can_create_in(out))
    ):
        raise InputError(option, str(out), "a writable folder", f"no write permission on {parent}")
    return out


def _can_create_in(folder: Path) -> bool:
    """Whether a folder can really be created in ``folder`` (``os.access`` says yes to root on /proc)."""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".cxsim-probe-", dir=folder))
    except OSError:
        return False
    return True


@contextlib.contextmanager
def atomic_dir(out: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; on success its entries replace those in ``out``.

    A sub-folder (e.g. ``figures/``) replaces the old one whole; other files in
    ``out`` are kept. On an exception nothing in ``out`` changes.
    """
    out = check_writable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
        out.mkdir(exist_ok=True)
        for f in tmp.iterdir():
            if f.is_dir() and (out / f.name).is_dir():
                shutil.rmtree(out / f.name)
            os.replace(f, out / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def atomic_write_bytes(
    path: str | Path,
    data: bytes,
    *,
    durable: bool = False,
    check: Callable[[Path], object] | None = None,
) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename it.

    ``durable`` also flushes the file to disk (``fsync``) before the rename, so
    that the rename never exposes an empty file after a power cut. ``check`` is
    called with the temporary file before the rename (e.g. to load it): if it
    raises, ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # as open() would create it (mkstemp makes it 0600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        if check is not None:
            check(Path(tmp))
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return path


def _umask() -> int:
    """The process's file-creation mask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_text(
    path: str | Path, text: str, *, durable: bool = False, check: Callable[[Path], object] | None = None
) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode(), durable=durable, check=check)


def atomic_write_json(path: str | Path, data: Any) -> Path:
    """Write ``data`` as indented JSON (unknown types as strings) atomically."""
    return atomic_write_text(path, json.dumps(data, indent=2, default=str) + "\n")


def fsync_dir(path: str | Path) -> None:
    """Flush a folder's entries (renames) to disk, where the platform allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
