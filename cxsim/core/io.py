"""Output: atomic files and folders, and the output-folder rule that protects what is not ours.

Atomic files
    Files are written under a temporary name beside their target and renamed
    into place (``os.replace`` is atomic within one file system), so a failure
    or a kill leaves the old file or the new one, never a half-written mix.

Temporary names
    Every temporary file or folder is named ``.cxsim-tmp-<host>-<pid>-<name>…``
    (:data:`TMP_PREFIX`). A kill (even SIGKILL) can leave one behind; the next command
    writing to the same folder removes those of dead processes on this host (and those of
    other hosts older than a day). Nothing else is ever removed as a leftover.

The output-folder rule
    A command writes its output folder (``--out``) only if the folder

    - does not exist, or is empty; or
    - was written by the same kind of command before: it holds the marker
      :data:`MARKER` (``.cxsim-output.json``), a manifest with the command's
      kind (``run``, ``compare``, ``validate``, ``calibrate``, ``analyze``,
      ``sweep``), the cxsim version, the time, the command line and the list of
      files the command wrote there.

    Anything else (a folder of yours, a folder of another command, e.g. a run
    into a sweep's folder) is refused as bad input (exit status 2, one line,
    nothing written) unless ``--overwrite`` is given. Even then cxsim never
    deletes or replaces a file it did not write: it writes its files beside
    yours, and a file of yours in the way of one of its own (same name) stops
    the command, with or without ``--overwrite``. The folders of a manifest's
    files are never removed (a figures folder may hold your files too).

    Rewriting a folder (same kind, or another kind with ``--overwrite``)
    replaces the files the new output writes and removes those the manifest lists that
    it does not write (no stale ``purchases.parquet`` after a run without
    ``--purchases``). While files are moved in, the manifest lists the old and the new
    ones: a kill leaves nothing the next command does not know.

    A report (``cxsim report``) adds a file (and its figures) to any folder, as long as
    each file it writes is new or one cxsim wrote; the folder's manifest records it
    under ``additions`` and it does not make the folder cxsim's. A sweep is written batch
    by batch; its manifest lists patterns (``runs/part-*.parquet``) instead of every
    part, and a sweep folder of the same experiment is resumed, never rewritten.
"""

from __future__ import annotations

import contextlib
import fnmatch
import glob
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from cxsim.core.errors import InputError

__all__ = [
    "MARKER",
    "TMP_PREFIX",
    "Manifest",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "check_output",
    "check_writable",
    "claim_output",
    "clean_leftovers",
    "fsync_dir",
    "output_dir",
    "output_files",
    "output_path",
    "process_alive",
]

MARKER = ".cxsim-output.json"
"""The manifest cxsim leaves in every folder it writes (kind, version, files)."""
TMP_PREFIX = ".cxsim-tmp-"
"""Prefix of every temporary file or folder cxsim creates (removed by the next writer if left)."""
HINT = (
    "use a new folder, or --overwrite to write beside its files (cxsim never replaces files it did not write)"
)
STALE_OTHER_HOST_S = 86_400.0
"""Temporary entries of another host are removed once this old (its processes cannot be checked)."""


# =========================================================================== paths


def output_path(text: str | Path, option: str = "--out") -> Path:
    """The path of ``--out``; an empty path (which would mean the current folder) is bad input."""
    if not str(text).strip():
        raise InputError(option, repr(str(text)), "a folder path", "an empty path", "e.g. --out results/mine")
    return Path(text)


def check_writable(out: str | Path, option: str = "--out") -> Path:
    """Fail early, as bad input, if the folder ``out`` cannot be created or written.

    ``option`` names the command-line option in the message.
    """
    out = output_path(out, option)
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
        os.rmdir(tempfile.mkdtemp(prefix=_tmp_prefix("probe"), dir=folder))
    except OSError:
        return False
    return True


# =========================================================================== temporary entries


def _tmp_prefix(name: str) -> str:
    """``.cxsim-tmp-<host>-<pid>-<name>.``: whose it is, so that the next writer knows if it is stale."""
    host = socket.gethostname().replace("-", "_")[:40]
    return f"{TMP_PREFIX}{host}-{os.getpid()}-{name[:60]}."


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, killed but not yet reaped, counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _stale(entry: Path) -> bool:
    """Whether a temporary entry of ours was left by a process that is gone."""
    try:
        host, pid, *_ = entry.name[len(TMP_PREFIX) :].split("-", 2)
        age = time.time() - entry.lstat().st_mtime
    except (ValueError, OSError):
        return False
    if host != socket.gethostname().replace("-", "_")[:40]:
        return age > STALE_OTHER_HOST_S
    return pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid))


def clean_leftovers(*folders: str | Path) -> list[Path]:
    """Remove temporary entries (:data:`TMP_PREFIX`) that killed processes left in ``folders``."""
    removed = []
    for folder in map(Path, folders):
        if not folder.is_dir():
            continue
        for entry in folder.glob(f"{TMP_PREFIX}*"):
            if _stale(entry):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed.append(entry)
    return removed


# =========================================================================== the manifest


@dataclass
class Manifest:
    """What cxsim wrote in one folder (the marker file :data:`MARKER`)."""

    kind: str = ""
    """The command whose output the folder is; empty when cxsim only added files (a report)."""
    files: list[str] = field(default_factory=list)
    """Paths relative to the folder, POSIX style; a ``*`` pattern for a sweep's parts."""
    additions: dict[str, list[str]] = field(default_factory=dict)
    """Files other commands added, by what they added (``report.md``: the report and its figures)."""
    found: bool = False
    """Whether the folder had a readable marker."""

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """The folder's manifest (an empty one when there is none or it cannot be read)."""
        try:
            data = json.loads((folder / MARKER).read_text())
            kind, files, additions = data["kind"], data["files"], data.get("additions", {})
            if not (isinstance(kind, str) and isinstance(files, list) and isinstance(additions, dict)):
                return cls()
            return cls(
                kind, [str(f) for f in files], {str(k): list(map(str, v)) for k, v in additions.items()}, True
            )
        except (OSError, ValueError, KeyError, TypeError):
            return cls()

    def write(self, folder: Path) -> None:
        """Write the marker atomically."""
        data = {
            "kind": self.kind,
            "cxsim_version": _version(),
            "written": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join(["cxsim", *sys.argv[1:]]),
            "files": sorted(set(self.files)),
            "additions": {k: sorted(set(v)) for k, v in sorted(self.additions.items()) if v},
        }
        atomic_write_json(folder / MARKER, data)

    def owned(self, rel: str) -> bool:
        """Whether cxsim wrote ``rel`` (by this manifest)."""
        return any(_match(rel, f) for f in self.all_files())

    def all_files(self) -> list[str]:
        """The owner's files and every addition's."""
        return [*self.files, *(f for v in self.additions.values() for f in v)]


def _match(rel: str, entry: str) -> bool:
    return fnmatch.fnmatchcase(rel, entry) if "*" in entry else rel == entry


def _version() -> str:
    try:
        return version("cxsim")
    except PackageNotFoundError:
        return "0.0.0+unknown"


def _contents(folder: Path, ignore: Iterable[str] = ()) -> list[str]:
    """Entries of ``folder`` that count as content (not the marker, not our temporary entries)."""
    skip = {MARKER, *ignore}
    return sorted(
        p.name for p in folder.iterdir() if p.name not in skip and not p.name.startswith(TMP_PREFIX)
    )


def check_output(
    out: str | Path, kind: str, *, overwrite: bool = False, option: str = "--out", ignore: Iterable[str] = ()
) -> Manifest:
    """Apply the output-folder rule before any work: bad input unless ``out`` may hold ``kind``'s output.

    Returns the folder's manifest (empty for a new folder). ``ignore`` names
    entries that do not make a folder non-empty (a sweep's ``.lock``).
    """
    out = check_writable(out, option)
    if not out.is_dir():
        return Manifest()
    manifest = Manifest.read(out)
    if manifest.found and manifest.kind == kind:
        return manifest
    content = _contents(out, ignore)
    if not content or overwrite:
        return manifest
    if manifest.found and manifest.kind:
        found = f"the output of `cxsim {manifest.kind}`"
    elif manifest.found:
        found = f"a folder with your files ({', '.join(content[:3])}{', ...' if len(content) > 3 else ''})"
    else:
        found = (
            f"a folder cxsim did not write ({', '.join(content[:3])}{', ...' if len(content) > 3 else ''})"
        )
    raise InputError(option, str(out), f"a new or empty folder, or one `cxsim {kind}` wrote", found, HINT)


def _staged_files(staged: Path) -> list[str]:
    return sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*") if not p.is_dir())


def _check_collisions(out: Path, new: list[str], owned: Callable[[str], bool], option: str) -> None:
    """Bad input if a file cxsim would write is in the way of something it did not write."""
    for rel in new:
        dest = out / rel
        for parent in list(reversed(Path(rel).parents))[1:]:
            if (out / parent).exists() and not (out / parent).is_dir():
                raise InputError(
                    option, str(out / parent), "a folder for cxsim's files", "a file of yours", HINT
                )
        if (dest.exists() or dest.is_symlink()) and (dest.is_dir() or not owned(rel)):
            raise InputError(
                option,
                str(dest),
                "a file cxsim wrote (it never replaces yours)",
                "a folder of yours" if dest.is_dir() else "a file it did not write",
                "move it away or choose another folder",
            )


def _remove(
    out: Path, entries: Iterable[str], keep: set[str], owned_elsewhere: Callable[[str], bool]
) -> None:
    """Remove files of ``entries`` (patterns allowed) that are not in ``keep`` (never folders)."""
    for entry in entries:
        paths = out.glob(entry) if "*" in entry else [out / entry]
        for p in paths:
            rel = p.relative_to(out).as_posix()
            if rel in keep or owned_elsewhere(rel) or (p.is_dir() and not p.is_symlink()):
                continue
            p.unlink(missing_ok=True)


def _commit(staged: Path, out: Path, kind: str, addition: str | None, overwrite: bool, option: str) -> None:
    """Move the staged files into ``out`` under the rule; write the manifest (see the module docstring)."""
    if addition is None:
        before = check_output(out, kind, overwrite=overwrite, option=option)
    else:
        check_writable(out, option)
        before = Manifest.read(out) if out.is_dir() else Manifest()
    new = _staged_files(staged)
    _check_collisions(out, new, before.owned, option)
    out.mkdir(parents=True, exist_ok=True)
    if addition is None:
        old = before.files
        others = {k: [f for f in v if f not in new] for k, v in before.additions.items()}
        during = Manifest(kind, [*old, *new], before.additions)
        after = Manifest(kind, new, others)
    else:
        old = before.additions.get(addition, [])
        during = Manifest(before.kind, before.files, {**before.additions, addition: [*old, *new]})
        after = Manifest(before.kind, before.files, {**before.additions, addition: new})
    during.write(out)  # a kill from here on leaves only files the manifest lists
    for rel in new:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged / rel, out / rel)
    stale_keep = set(new)
    _remove(out, old, stale_keep, lambda rel: any(_match(rel, f) for f in after.all_files()))
    after.write(out)
    fsync_dir(out)


@contextlib.contextmanager
def output_dir(
    out: str | Path, kind: str, *, overwrite: bool = False, option: str = "--out"
) -> Iterator[Path]:
    """Yield a staging folder; on success its files become the ``kind`` output in ``out``.

    The output-folder rule (module docstring) is checked first and again when
    the files are moved in; on an exception nothing in ``out`` changes.
    """
    out = Path(out)
    check_output(out, kind, overwrite=overwrite, option=option)
    with _staging(out) as staged:
        yield staged
        _commit(staged, out, kind, None, overwrite, option)


@contextlib.contextmanager
def output_files(folder: str | Path, name: str, *, option: str = "--out") -> Iterator[Path]:
    """Yield a staging folder whose files are added to ``folder`` (e.g. a report and its figures).

    ``name`` identifies the addition in the folder's manifest (the report's file
    name): a later addition of the same name replaces it. Any folder may take an
    addition; each file must be new or one cxsim wrote there.
    """
    folder = Path(folder)
    check_writable(folder, option)
    manifest = Manifest.read(folder) if folder.is_dir() else Manifest()
    if (folder / name).exists() and not manifest.owned(name):
        _check_collisions(folder, [name], manifest.owned, option)
    with _staging(folder) as staged:
        yield staged
        _commit(staged, folder, "", name, False, option)


@contextlib.contextmanager
def _staging(out: Path) -> Iterator[Path]:
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(out.parent, out)
    for old in out.parent.glob(f".{glob.escape(out.name)}.tmp-????????"):  # older cxsim, over an hour old
        if old.is_dir() and not old.is_symlink() and time.time() - old.stat().st_mtime > 3600:
            shutil.rmtree(old, ignore_errors=True)
    staged = Path(tempfile.mkdtemp(prefix=_tmp_prefix(out.name), dir=out.parent))
    try:
        yield staged
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def claim_output(
    out: str | Path,
    kind: str,
    files: list[str],
    *,
    overwrite: bool = False,
    fresh: bool = False,
    ignore: Iterable[str] = (),
) -> Manifest:
    """Mark ``out`` as ``kind``'s output, written in place (a sweep): ``files`` may be patterns.

    With ``overwrite``, the files of another command's output listed in the
    folder's manifest are removed first (nothing else is); ``fresh`` also
    removes those of an earlier output of the same kind (a sweep of another design).
    """
    out = Path(out)
    before = check_output(out, kind, overwrite=overwrite, ignore=ignore)
    out.mkdir(parents=True, exist_ok=True)
    clean_leftovers(out.parent, out)
    if not fresh and before.found and before.kind == kind and sorted(before.files) == sorted(files):
        return before
    if before.kind != kind or fresh:
        kept = [f for v in before.additions.values() for f in v] + ([] if fresh else files)
        _remove(out, before.files, set(), lambda rel: any(_match(rel, f) for f in kept))
    after = Manifest(kind, files, before.additions, True)
    after.write(out)
    return after


# =========================================================================== atomic files


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
    clean_leftovers(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(path.stem), suffix=f".tmp{path.suffix}", dir=path.parent)
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


_UMASK_LOCK = threading.Lock()


def _umask() -> int:
    """The file-creation mask: from ``/proc/self/status`` (Linux), else set and put back under a lock."""
    with contextlib.suppress(OSError, ValueError, IndexError, StopIteration):
        status = Path("/proc/self/status").read_text().splitlines()
        return next(int(line.split()[1], 8) for line in status if line.startswith("Umask:"))
    with _UMASK_LOCK:
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
