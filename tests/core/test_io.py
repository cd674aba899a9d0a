"""One way to write output: atomic folders and files, checked before any work; one progress bar."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxsim.core.errors import InputError
from cxsim.core.io import atomic_dir, atomic_write_json, atomic_write_text, check_writable
from cxsim.core.progress import progress_bar


def test_atomic_dir_replaces_on_success_and_leaves_nothing_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_dir(out) as tmp:
        (tmp / "a.txt").write_text("one")
        (tmp / "figures").mkdir()
        (tmp / "figures" / "f.png").write_text("x")
    assert (out / "a.txt").read_text() == "one" and (out / "figures" / "f.png").is_file()
    with pytest.raises(RuntimeError), atomic_dir(out) as tmp:
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
