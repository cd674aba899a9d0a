"""One way to write output: atomic folders and files, checked before any work; one progress bar."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxsim.core.errors import InputError
from cxsim.core.io import (
    MARKER,
    TMP_PREFIX,
    Manifest,
    atomic_write_json,
    atomic_write_text,
    check_output,
    check_writable,
    claim_output,
    clean_leftovers,
    output_dir,
    output_files,
)
from cxsim.core.progress import progress_bar


def test_output_dir_replaces_on_success_and_leaves_nothing_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with output_dir(out, "run") as tmp:
        (tmp / "a.txt").write_text("one")
        (tmp / "figures").mkdir()
        (tmp / "figures" / "f.png").write_text("x")
    assert (out / "a.txt").read_text() == "one" and (out / "figures" / "f.png").is_file()
    with pytest.raises(RuntimeError), output_dir(out, "run") as tmp:
        (tmp / "a.txt").write_text("two")
        raise RuntimeError("half way")
    assert (out / "a.txt").read_text() == "one", "a failure changes nothing"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "no temporary folder is left"


def test_atomic_write_checks_before_replacing(tmp_path: Path) -> None:
    target = tmp_path / "s.toml"
    atomic_write_text(target, "a = 1\n")

    def refuse(path: Path) -> None:
        assert path.parent == tmp_path and path.suffix == ".toml"
        raise ValueError("no")

    with pytest.raises(ValueError):
        atomic_write_text(target, "a = 2\n", check=refuse)
    assert target.read_text() == "a = 1\n"
    atomic_write_json(tmp_path / "d.json", {"x": Path("p")})
    assert (tmp_path / "d.json").read_text() == '{\n  "x": "p"\n}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.json", "s.toml"]


def test_check_writable_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(InputError, match="a file"):
        check_writable(tmp_path / "f")
    assert check_writable(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"


def test_a_disabled_progress_bar_is_a_no_op() -> None:
    with progress_bar(3, "x", enabled=False) as tick:
        tick()
        tick(2, errors=1)


def test_atomic_files_get_the_usual_permissions(tmp_path: Path) -> None:
    """A file written atomically is readable by others as open() would make it (not mkstemp's 0600)."""
    import os

    from cxsim.core.io import atomic_write_text

    mask = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "report.html", "<p>x</p>")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_output_dir_keeps_your_files_and_removes_only_its_stale_ones(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with output_dir(out, "run") as tmp:
        (tmp / "a.txt").write_text("1")
        (tmp / "stale.txt").write_text("1")
        (tmp / "figures").mkdir()
        (tmp / "figures" / "f.png").write_text("1")
    assert Manifest.read(out).files == ["a.txt", "figures/f.png", "stale.txt"]
    (out / "figures" / "mine.png").write_text("mine")
    (out / "notes.txt").write_text("mine")
    with output_dir(out, "run") as tmp:  # the same kind: rewritten
        (tmp / "a.txt").write_text("2")
        (tmp / "figures").mkdir()
        (tmp / "figures" / "f.png").write_text("2")
    assert (out / "a.txt").read_text() == "2" and (out / "figures" / "f.png").read_text() == "2"
    assert not (out / "stale.txt").exists(), "a file cxsim wrote before and not now is removed"
    assert (out / "figures" / "mine.png").read_text() == "mine" and (out / "notes.txt").read_text() == "mine"


def test_output_dir_refuses_a_foreign_or_other_folder(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "a.txt").write_text("mine")
    with pytest.raises(InputError, match="did not write"), output_dir(mine, "run") as tmp:
        (tmp / "b.txt").write_text("x")
    assert sorted(p.name for p in mine.iterdir()) == ["a.txt"], "nothing written"
    with pytest.raises(InputError, match="never replaces"), output_dir(mine, "run", overwrite=True) as tmp:
        (tmp / "a.txt").write_text("x")
    assert (mine / "a.txt").read_text() == "mine", "not even with overwrite"
    with output_dir(mine, "run", overwrite=True) as tmp:
        (tmp / "b.txt").write_text("x")
    assert (mine / "a.txt").read_text() == "mine" and (mine / "b.txt").is_file()
    with pytest.raises(InputError, match="cxsim run"):
        check_output(mine, "compare")
    with output_dir(mine, "compare", overwrite=True) as tmp:
        (tmp / "c.txt").write_text("x")
    assert sorted(p.name for p in mine.iterdir()) == [MARKER, "a.txt", "c.txt"], "the run's file goes"
    with pytest.raises(InputError, match="empty path"):
        check_output("", "run")


def test_additions_and_claims(tmp_path: Path) -> None:
    paper = tmp_path / "paper"
    (paper / "figures").mkdir(parents=True)
    (paper / "figures" / "mine.png").write_text("mine")
    with output_files(paper, "report.md") as tmp:
        (tmp / "report.md").write_text("r")
        (tmp / "report_files").mkdir()
        (tmp / "report_files" / "f.png").write_text("f")
    with output_files(paper, "report.md") as tmp:
        (tmp / "report.md").write_text("r2")
    assert (paper / "report.md").read_text() == "r2" and not (paper / "report_files" / "f.png").exists()
    assert (paper / "figures" / "mine.png").read_text() == "mine"
    (paper / "report.html").write_text("yours")
    with pytest.raises(InputError, match="never replaces"), output_files(paper, "report.html"):
        pass
    sweep = tmp_path / "sweep"
    claim_output(sweep, "sweep", ["design.parquet", "runs/part-*.parquet"])
    (sweep / "runs").mkdir()
    (sweep / "runs" / "part-000000.parquet").write_text("p")
    with pytest.raises(InputError, match="cxsim sweep"):
        check_output(sweep, "run")
    claim_output(sweep, "run", ["x"], overwrite=True)
    assert not (sweep / "runs" / "part-000000.parquet").exists()


def test_leftovers_of_dead_processes_are_removed(tmp_path: Path) -> None:
    import os
    import socket

    pid = 2**22 + 7  # beyond Linux's largest pid_max: no such process
    host = socket.gethostname().replace("-", "_")[:40]
    left = tmp_path / f"{TMP_PREFIX}{host}-{pid}-out.abc"
    left.mkdir()
    live = tmp_path / f"{TMP_PREFIX}{host}-{os.getppid()}-out.abc"
    live.mkdir()
    (tmp_path / ".out.tmp-user").mkdir()  # not ours
    assert clean_leftovers(tmp_path) == [left]
    assert live.is_dir() and (tmp_path / ".out.tmp-user").is_dir()
    with output_dir(tmp_path / "out", "run") as tmp:
        (tmp / "a").write_text("")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([".out.tmp-user", live.name, "out"])


def test_staging_folders_of_older_cxsim_are_removed_once_stale(tmp_path: Path) -> None:
    """A killed save of an older cxsim left ``.<out>.tmp-XXXXXXXX``; the next writer removes it."""
    import os
    import time

    old, fresh = tmp_path / ".out.tmp-ab12cd34", tmp_path / ".out.tmp-zz99yy88"
    for folder in (old, fresh):
        folder.mkdir()
        (folder / "compare.json").write_text("{}")
    hours_ago = time.time() - 7200
    os.utime(old, (hours_ago, hours_ago))
    with output_dir(tmp_path / "out", "compare") as tmp:
        (tmp / "compare.json").write_text("{}")
    assert not old.exists() and fresh.is_dir(), "only a stale one (it may belong to a running process)"


def test_the_umask_is_read_without_changing_it(tmp_path: Path) -> None:
    """The mask is read as it is (0o027 here: no permission for others), and left as it was."""
    import os

    from cxsim.core.io import _umask, atomic_write_text

    mask = os.umask(0o027)
    try:
        assert _umask() == 0o027
        path = atomic_write_text(tmp_path / "x.txt", "x")
        assert os.umask(0o027) == 0o027  # still the mask we set
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o640
