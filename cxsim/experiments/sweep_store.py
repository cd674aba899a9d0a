"""The output folder of a sweep: layout, locking, batches, provenance sessions and reading back.

Layout (see docs/SWEEPS.md)::

    OUT/experiment.toml      the experiment file, as given
    OUT/experiment.json      resolved experiment, design digest, parameters
    OUT/scenario.json        the resolved base scenario
    OUT/design.parquet       every planned run: run_id, point, replication, seed, parameters
    OUT/provenance.json      versions, commit, and one record per session (start, end, status)
    OUT/runs/part-NNNNNN.parquet        status of finished runs (the commit record of a batch)
    OUT/summary/part-NNNNNN.parquet     one row per successful run
    OUT/timeseries/..., OUT/stores/...  when kept

Every file is written under a temporary name and renamed into place; a batch
counts only once its ``runs`` part exists, so leftovers of a killed batch are
recognised and removed. ``runs`` keeps one record per run: when a run is retried
(``--retry-errors``), its earlier record is removed from the older part once the
new one is committed (:meth:`SweepDir.compact_runs`; a kill in between leaves two
records, of which readers take the last, and the next session compacts them).

The folder follows the output-folder rule of :mod:`cxsim.core.io`: its marker
(kind ``sweep``) lists :data:`SWEEP_FILES`. A sweep writes into a new or empty
folder or resumes its own (same design digest; a sweep folder written before
the marker existed is recognised by its ``experiment.json`` and digest). With
``overwrite``, it writes beside files that are not its own, and replaces a sweep
of another design (its files only); a sweep of the same design is always resumed.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cxsim.core.errors import InputError
from cxsim.core.io import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    check_output,
    claim_output,
    fsync_dir,
)
from cxsim.experiments.design import Design, Experiment
from cxsim.experiments.provenance import cxsim_version, environment, git_commit, git_dirty, now, sha256
from cxsim.experiments.runner import Outcome
from cxsim.experiments.schema import parquet_bytes

DATA_TABLES = ("summary", "timeseries", "stores", "purchases")
"""Tables a sweep can keep, one Parquet part per batch each."""

SWEEP_FILES = [
    "experiment.toml",
    "experiment.json",
    "scenario.json",
    "design.parquet",
    "provenance.json",
    *(f"{t}/part-*.parquet" for t in ("runs", *DATA_TABLES)),
]
"""What a sweep writes (the manifest of its folder; parts as patterns). ``.lock`` is not listed:
it is never removed, not even when the folder is overwritten, so that two sweeps cannot share it."""
LOCK = ".lock"

SweepOutcome = Outcome[dict[str, pd.DataFrame]]
"""A finished run of a sweep: its tables by name (none when it failed)."""


class SweepDir:
    """The output folder of a sweep: layout, locking, batches and reading back."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock_fd: int | None = None
        self._lookup: tuple[Design, pd.DataFrame] | None = None
        self.next_batch = 0

    # -- layout
    def part(self, table: str, batch: int) -> Path:
        """The Parquet file of one table's batch."""
        return self.path / table / f"part-{batch:06d}.parquet"

    def batches(self, table: str) -> dict[int, Path]:
        """Batch number -> file, for the parts of ``table`` on disk."""
        folder = self.path / table
        out = {}
        if folder.is_dir():
            for f in folder.glob("part-*.parquet"):
                with contextlib.suppress(ValueError):
                    out[int(f.stem.split("-")[1])] = f
        return dict(sorted(out.items()))

    def is_sweep(self) -> bool:
        """Whether the folder holds a sweep (of any experiment)."""
        return (self.path / "experiment.json").is_file()

    def info(self) -> dict[str, Any]:
        """The stored ``experiment.json``."""
        info: dict[str, Any] = json.loads((self.path / "experiment.json").read_text())
        return info

    # -- reading
    def read(self, table: str) -> pd.DataFrame:
        """Every committed row of ``table`` (for ``runs``: the latest record of each run)."""
        committed = self.batches("runs")
        parts = self.batches(table)
        frames = [pd.read_parquet(parts[b]) for b in committed if b in parts]
        if not frames:
            return pd.DataFrame()
        df = pd.concat(frames, ignore_index=True)
        if table == "runs":
            df = df.drop_duplicates("run_id", keep="last")
        return df.sort_values(
            ["run_id", *(["day"] if "day" in df else []), *(["store"] if "store" in df else [])],
            kind="stable",
        ).reset_index(drop=True)

    def finished(self) -> pd.DataFrame:
        """The latest run record of every finished run (ok or error)."""
        return self.read("runs")

    # -- locking
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold an exclusive lock on the folder (released by the kernel if the process dies)."""
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InputError(
                "--out", str(self.path), "a folder no other sweep is writing to", "locked by a running sweep"
            ) from None
        self._lock_fd = fd
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            self._lock_fd = None

    # -- preparing
    def check(self, exp: Experiment, design: Design, overwrite: bool = False) -> None:
        """Refuse (as bad input) a folder that holds something else than this experiment's sweep."""
        if not self.path.exists():
            return
        if not self.is_sweep():
            check_output(self.path, "sweep", overwrite=overwrite, ignore=(LOCK,))
            return
        stored = self.info()
        if stored.get("digest") != design.digest and not overwrite:
            raise InputError(
                "--out",
                str(self.path),
                f"the output of the same experiment to resume (design {design.digest})",
                f"a sweep of {stored.get('name')!r} with design {stored.get('digest')}",
                "the experiment, its base scenario or the code that samples it changed; "
                "use a new --out, or --overwrite to replace that sweep",
            )

    def prepare(self, exp: Experiment, design: Design, overwrite: bool = False) -> None:
        """Create the folder's fixed files (first session) and remove leftovers of a killed batch."""
        self.check(exp, design, overwrite)
        ours = self.is_sweep()  # the digest is checked: a sweep of this design, or overwrite is given
        fresh = ours and self.info().get("digest") != design.digest
        claim_output(
            self.path, "sweep", SWEEP_FILES, overwrite=overwrite or ours, fresh=fresh, ignore=(LOCK,)
        )
        if not self.is_sweep():
            atomic_write_text(self.path / "experiment.toml", exp.text)
            atomic_write_json(self.path / "scenario.json", exp.base.model_dump(mode="json"))
            runs = pa.Table.from_pandas(design.runs, preserve_index=False)
            atomic_write_bytes(self.path / "design.parquet", parquet_bytes(runs, "design"))
            info = {
                "name": exp.name,
                "description": exp.spec.description,
                "file": str(exp.source),
                "digest": design.digest,
                "method": exp.method,
                "sampler": exp.spec.sampler.model_dump(),
                "replications": exp.spec.replications,
                "seed": exp.spec.seed,
                "common_random_numbers": exp.spec.common_random_numbers,
                "points": len(design.points),
                "runs": len(design),
                "tables": exp.tables,
                "parameters": [asdict(p) for p in exp.parameters],
                "problem": design.problem,
                "analysis": exp.spec.analysis.model_dump(),
            }
            if design.sample is not None:
                info["sample"] = design.sample.tolist()
            atomic_write_json(self.path / "experiment.json", info)
        self._clean()

    def _clean(self) -> None:
        """Remove temporary files and the parts of batches whose ``runs`` part was never written."""
        committed = set(self.batches("runs"))
        highest = max(committed, default=-1)
        for table in ("runs", *DATA_TABLES):
            folder = self.path / table
            if not folder.is_dir():
                continue
            for tmp in folder.glob(".*.tmp*"):  # temporary files of core.io (we hold the lock)
                tmp.unlink(missing_ok=True)
            for batch, f in self.batches(table).items():
                highest = max(highest, batch)
                if batch not in committed:
                    f.unlink(missing_ok=True)
        self.next_batch = highest + 1
        self.compact_runs()

    def compact_runs(self) -> None:
        """Keep one record per run in ``runs``: drop records that a later part supersedes (retried runs)."""
        seen: set[int] = set()
        for _, f in sorted(self.batches("runs").items(), reverse=True):
            table = pq.read_table(f)
            ids = table.column("run_id").to_numpy()
            old = np.isin(ids, np.fromiter(seen, dtype=ids.dtype, count=len(seen)))
            if old.any():
                atomic_write_bytes(f, _parquet(table.filter(pa.array(~old))), durable=True)
            seen.update(int(i) for i in ids)

    # -- writing
    def write_batch(self, outcomes: list[SweepOutcome], design: Design, session: int) -> None:
        """Write one batch: data parts first, then the ``runs`` part that commits them."""
        if not outcomes:
            return
        batch = self.next_batch
        self.next_batch += 1
        if self._lookup is None or self._lookup[0] is not design:
            self._lookup = (design, design.runs.set_index("run_id"))
        lookup = self._lookup[1]
        params = [c for c in design.runs.columns if c not in ("run_id", "point", "replication", "seed")]
        for table in DATA_TABLES:
            frames = []
            for o in outcomes:
                df = (o.value or {}).get(table)
                if df is None:
                    continue
                row = lookup.loc[o.key]
                head = {"run_id": o.key, "point": row["point"], "replication": row["replication"]}
                head |= {c: row[c] for c in params}
                df = df.copy()
                for i, (k, v) in enumerate(head.items()):
                    if k in df.columns:
                        df = df.drop(columns=k)
                    df.insert(i, k, v)
                    df[k] = df[k].astype(design.runs[k].dtype)
                frames.append(df)
            if frames:
                self._write(table, batch, pa.Table.from_pandas(pd.concat(frames), preserve_index=False))
        finished = now()
        runs = lookup.loc[[o.key for o in outcomes]].reset_index()
        runs["status"] = ["ok" if o.ok else "error" for o in outcomes]
        runs["duration_s"] = [float(o.duration_s) for o in outcomes]
        runs["error"] = pd.array([o.error for o in outcomes], dtype="string")
        runs["worker"] = pd.array([o.worker for o in outcomes], dtype="string")
        runs["session"] = np.int32(session)
        runs["finished"] = pd.Timestamp(finished)
        self._write("runs", batch, pa.Table.from_pandas(runs, preserve_index=False))
        fsync_dir(self.path / "runs")

    def _write(self, table: str, batch: int, data: pa.Table) -> None:
        atomic_write_bytes(self.part(table, batch), parquet_bytes(data, table), durable=True)

    # -- provenance
    def begin_session(self, exp: Experiment, backend: str, argv: list[str]) -> int:
        """Record a new session in ``provenance.json``; return its number."""
        prov_file = self.path / "provenance.json"
        prov = json.loads(prov_file.read_text()) if prov_file.is_file() else sweep_provenance(exp)
        for s in prov["sessions"]:
            if s["status"] == "running":
                s["status"] = "killed"
        prov["sessions"].append(
            {
                "session": len(prov["sessions"]),
                "started": now(),
                "finished": None,
                "status": "running",
                "executor": backend,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "argv": argv,
                "cxsim_version": cxsim_version(),
                "git_commit": git_commit(),
                "git_dirty": git_dirty(),
                "experiment_sha256": sha256(exp.text),
            }
        )
        atomic_write_json(prov_file, prov)
        return len(prov["sessions"]) - 1

    def code_changes(self) -> list[str]:
        """Differences in code version between the last session and the earlier ones."""
        sessions = json.loads((self.path / "provenance.json").read_text())["sessions"]
        if len(sessions) < 2:
            return []
        now, notes = sessions[-1], []
        for key in ("cxsim_version", "git_commit"):
            before = {s.get(key) for s in sessions[:-1]} - {None}
            if now.get(key) and before and before != {now[key]}:
                notes.append(f"{key} is {now[key]}, earlier sessions ran {', '.join(sorted(before))}")
        if now.get("git_dirty"):
            notes.append("the source tree has uncommitted changes")
        return notes

    def end_session(self, session: int, status: str, counts: dict[str, int]) -> None:
        """Close a session record; the sweep's ``finished`` time is set once all runs are done."""
        prov_file = self.path / "provenance.json"
        prov = json.loads(prov_file.read_text())
        rec = prov["sessions"][session]
        rec.update(finished=now(), status=status, **counts)
        if status == "complete" and prov.get("finished") is None:
            prov["finished"] = rec["finished"]
        atomic_write_json(prov_file, prov)


def _parquet(data: pa.Table) -> bytes:
    """A table as the bytes of a Parquet file."""
    buffer = io.BytesIO()
    pq.write_table(data, buffer)
    return buffer.getvalue()


def sweep_provenance(exp: Experiment) -> dict[str, Any]:
    """The provenance record of a new sweep folder (sessions are added as they run)."""
    return environment() | {
        "experiment": {
            "name": exp.name,
            "file": str(exp.source.resolve()),
            "sha256": sha256(exp.text),
            "base_scenario": exp.base.name,
        },
        "started": now(),
        "finished": None,
        "sessions": [],
    }
