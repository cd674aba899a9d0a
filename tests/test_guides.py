"""Every command of the user guides runs, so the guides cannot go stale.

The guides are ``docs/guides/strategist.md``, ``researcher.md`` and ``instructor.md``
(and the notebook ``researcher.ipynb``). The test reads each guide's fenced code
blocks in document order and runs them, as a reader would, in a fresh work folder.

How a block is handled
----------------------
A block is handled according to its language and the HTML comment
``<!-- test: KIND ARGS -->`` on the line before it (invisible when rendered):

==================  =========================================================================
block               what the test does
==================  =========================================================================
```bash, no mark    **run**: the block is one bash script (``bash -e -o pipefail``), run in
                    the guide's work folder; it must exit 0.
```python, no mark  **run** with the venv's Python, in the work folder.
``exit N M``        **run**, accepting these exit statuses (``cxsim validate`` exits 1
                    when a pattern fails, which a shrunk town may do by chance).
``file PATH``       a file the reader is told to write (any language): written at PATH in
                    the work folder. If ``docs/guides/<name of PATH>`` exists it must equal
                    the block byte for byte (every ``.toml`` must have one: the guide shows
                    the same file the repository ships).
``app``             ``cxsim app ...``: started on a free port (``--host 0.0.0.0`` becomes
                    127.0.0.1), the test waits until it serves its page, then stops it.
                    Skipped, with a reason, when the offline app assets are not installed.
``cluster``         lines ``dask scheduler ...`` and ``dask worker ...`` start in the
                    background on 127.0.0.1 (the scheduler on a free port, the address
                    ``tcp://HOST:8786`` rewritten to it, ``--nworkers N`` -> 2); the other
                    lines run against them. Runs in a fresh work folder, so the sweep
                    really runs on Dask; the test checks the sweep's provenance says so.
``slurm``           run with stand-ins for SLURM's ``sbatch`` (runs the job script at once,
                    in this folder, with ``SLURM_JOB_ID``, ``SLURM_NTASKS=3`` and
                    ``SLURM_SUBMIT_DIR`` set) and ``srun`` (drops its options, runs the
                    command once) first on ``PATH``. Fresh work folder, as ``cluster``.
other languages     (``toml``, ``text``... without a mark) shown only: output or excerpts.
==================  =========================================================================

An unknown KIND, a mark not followed by a block, or a ``bash``/``python`` block the
table does not cover fails :func:`test_guides_are_well_formed`, so no command can be
skipped silently. After a guide has run, every file it names in backticks under a
folder its commands created (e.g. ``compare-price-war/figures/journey_flow.png``)
must exist.

The work folder
---------------
A temporary folder with copies of the built-in ``scenarios/`` and ``experiments/``; the guide's
``file`` blocks add the files it tells the reader to write. ``.venv/bin`` (the
interpreter's folder) comes first on ``PATH``; ``MPLBACKEND=Agg``.

Shrinking (one documented mechanism)
------------------------------------
The guides show realistic sizes (10,000 shoppers, 10 replications, 768-run sweeps).
The test runs the same commands on smaller towns by rewriting them, with the
rewrites listed in :data:`SHRINK_COMMANDS` and :data:`SHRINK_EXPERIMENTS`:

- ``--reps N`` becomes ``--reps 2`` (the minimum for an interval);
- ``cxsim run|compare|validate`` lines get ``--set town.shoppers=1000`` appended;
- ``cxsim validate`` checks patterns P1 and P5 only (``--only``): P6 alone needs 20
  two-year replications of two scenarios (``tests/experiments/test_validation.py`` covers them all);
- experiment files (``experiments/*.toml`` written by a guide) get ``samples = 4``,
  ``days = 60`` and 600 shoppers with a 30-day warm-up. Each of these rewrites must
  match every such file, so a changed guide cannot silently run at full size.

Everything else — scenarios, horizons of ``run``/``compare``, options, paths — runs
as written; the notebook runs as is (it is small by itself). A few outputs the guides
quote word for word are checked against the model (:func:`test_quoted_outputs_are_current`).

Runtime: 3 to 4.5 minutes on the 2-core development machine under a load of 4
(strategist 60–75 s, instructor 35–85 s with three app starts, researcher 100 s
including its Dask and SLURM runs and the notebook); all but the parsing tests are
marked slow.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cxsim.core.config import data_path

ROOT = Path(__file__).resolve().parent.parent
GUIDES_DIR = ROOT / "docs" / "guides"
GUIDES = ("strategist", "researcher", "instructor")
NOTEBOOK = GUIDES_DIR / "researcher.ipynb"
BIN = Path(sys.executable).parent
BLOCK_TIMEOUT = 900
"""Seconds one block may take (a busy 2-core machine); a block that hangs fails."""

KINDS = {"run", "exit", "file", "app", "cluster", "slurm"}
HANDLED_BY = {
    r"cxsim app\b": ("app",),
    r"dask (?:scheduler|worker)\b": ("cluster", "file"),
    r"\bsbatch\b": ("slurm", "file"),
}
"""Commands that cannot run as plain blocks (a server, a cluster) and the kinds that handle them."""
RUNNABLE_LANGS = {"bash", "python"}

SHRINK_COMMANDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"--reps \d+"), "--reps 2"),
    (
        re.compile(r"^(\s*cxsim (?:run|compare|validate)\b[^#\n]*?)([ \t]*(?:#.*)?)$", re.M),
        r"\1 --set town.shoppers=1000\2",
    ),
    (re.compile(r"^(\s*cxsim validate\b)(?![^#\n]*--only)", re.M), r"\1 --only P1 --only P5"),
]
"""Rewrites of every bash command before it runs (see the module docstring)."""

SHRINK_EXPERIMENTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^samples = \d+", re.M), "samples = 4"),
    (re.compile(r"^days = \d+", re.M), "days = 60"),
    (re.compile(r'"town\.shoppers=\d+"'), '"town.shoppers=600", "warmup_days=30"'),
]
"""Rewrites of the experiment files a guide writes; each must match every such file."""


# ------------------------------------------------------------------------------ parsing

FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)
MARK = re.compile(r"<!--\s*test:\s*(.*?)\s*-->")


@dataclass
class Block:
    """A fenced code block of a guide and how the test handles it."""

    guide: str
    line: int
    lang: str
    text: str
    kind: str
    args: list[str] = field(default_factory=list)

    def where(self) -> str:
        return f"docs/guides/{self.guide}.md:{self.line}"


def parse_guide(name: str) -> list[Block]:
    """The guide's fenced blocks, each with its kind (``shown`` for non-runnable ones)."""
    text = (GUIDES_DIR / f"{name}.md").read_text()
    blocks: list[Block] = []
    marks_used = 0
    for m in FENCE.finditer(text):
        lang = m.group(1).strip().split(" ")[0] if m.group(1).strip() else ""
        line = text.count("\n", 0, m.start()) + 1
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = MARK.fullmatch(before.strip())
        if mark:
            marks_used += 1
            kind, *args = mark.group(1).split()
        else:
            kind, args = ("run" if lang in RUNNABLE_LANGS else "shown"), []
        blocks.append(Block(name, line, lang, m.group(2), kind, args))
    total_marks = len(MARK.findall(text))
    assert total_marks == marks_used, (
        f"docs/guides/{name}.md: {total_marks - marks_used} `<!-- test: ... -->` mark(s) "
        "not on the line just before a fenced block"
    )
    return blocks


def shrink_command(text: str) -> str:
    for pattern, repl in SHRINK_COMMANDS:
        text = pattern.sub(repl, text)
    return text


def shrink_experiment(text: str, where: str) -> str:
    for pattern, repl in SHRINK_EXPERIMENTS:
        text, n = pattern.subn(repl, text)
        assert n, f"{where}: SHRINK_EXPERIMENTS rewrite {pattern.pattern!r} no longer matches; update it"
    return text


# ----------------------------------------------------------------------------- running


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("CXSIM_SCENARIOS", None)
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        MPLBACKEND="Agg",
        SOLARA_TELEMETRY_MIXPANEL_ENABLE="False",
        PYTHONUNBUFFERED="1",
    )
    return env


def stop_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Stop a process started in its own session, and everything it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


class Work:
    """A guide's work folder: runs its blocks and keeps their logs."""

    def __init__(self, path: Path, env: dict[str, str] | None = None) -> None:
        self.path = path
        self.env = env or base_env()
        self.logs = path.parent / f"{path.name}-logs"
        self.logs.mkdir(exist_ok=True)
        self.count = 0
        shutil.copytree(data_path("scenarios"), path / "scenarios")
        shutil.copytree(data_path("experiments"), path / "experiments")
        self.initial = set(os.listdir(path))
        self.files: dict[str, str] = {}

    def write_file(self, block: Block) -> None:
        (rel,) = block.args
        text = block.text
        shipped = GUIDES_DIR / Path(rel).name
        if shipped.exists() or rel.endswith(".toml"):
            assert shipped.is_file() and shipped.read_text() == text, (
                f"{block.where()}: the block must equal docs/guides/{Path(rel).name} byte for byte"
            )
        if rel.startswith("experiments/"):
            text = shrink_experiment(text, block.where())
        self.files[rel] = text
        self.put(rel, text)

    def put(self, rel: str, text: str) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def fresh(self, name: str, files: dict[str, str]) -> Work:
        """Another work folder with ``files`` (those the guide had written before a block)."""
        other = Work(self.path.parent / name, self.env)
        for rel, text in files.items():
            other.put(rel, text)
        other.files = dict(files)
        return other

    def popen(self, argv: list[str], name: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        self.count += 1
        log = (self.logs / f"{self.count:02d}-{name}.log").open("wb")
        return subprocess.Popen(
            argv,
            cwd=self.path,
            env=env or self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def run(
        self, argv: list[str], where: str, ok: tuple[int, ...] = (0,), env: dict[str, str] | None = None
    ) -> str:
        """Run to completion (output to a file, so background children cannot block us)."""
        proc = self.popen(argv, "block", env)
        log = self.logs / f"{self.count:02d}-block.log"
        try:
            status = proc.wait(timeout=BLOCK_TIMEOUT)
        except subprocess.TimeoutExpired:
            stop_group(proc, signal.SIGKILL)
            pytest.fail(f"{where}: no result after {BLOCK_TIMEOUT} s\n{log.read_text()[-3000:]}")
        stop_group(proc)  # whatever the block left running in the background
        out = log.read_text()
        assert status in ok, f"{where}: exit status {status} (expected {ok})\n{out[-4000:]}"
        return out

    def run_block(self, block: Block, ok: tuple[int, ...] = (0,)) -> str:
        if block.lang == "python":
            return self.run([sys.executable, "-c", block.text], block.where(), ok)
        return self.run(["bash", "-e", "-o", "pipefail", "-c", shrink_command(block.text)], block.where(), ok)

    def created(self) -> set[str]:
        return set(os.listdir(self.path)) - self.initial


NAMED_FILE = re.compile(r"`([\w.\-]+(?:/[\w.\-]+)+\.(?:png|csv|parquet|json|html|md))`")


def check_named_files(guide: str, work: Work) -> None:
    """Files the guide names under folders its commands created must exist."""
    text = (GUIDES_DIR / f"{guide}.md").read_text()
    created = work.created()
    missing = [
        p for p in NAMED_FILE.findall(text) if p.split("/")[0] in created and not (work.path / p).exists()
    ]
    assert not missing, f"docs/guides/{guide}.md names files its commands did not write: {missing}"


# ----------------------------------------------------------------------- special kinds


def app_assets_missing() -> list[str]:
    from cxsim.cli.app_cmd import assets_dir, missing_assets

    return missing_assets(assets_dir())


def serve_app(work: Work, block: Block) -> None:
    """Start the block's ``cxsim app``, check it serves its page, stop it."""
    lines = [ln for ln in block.text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert len(lines) == 1 and lines[0].startswith("cxsim app"), f"{block.where()}: one `cxsim app` line"
    port = free_port()
    cmd = lines[0].replace("--host 0.0.0.0", "--host 127.0.0.1")
    cmd = re.sub(r"--port \d+", f"--port {port}", cmd) if "--port" in cmd else f"{cmd} --port {port}"
    proc = work.popen(["bash", "-c", f"exec {cmd}"], "app")
    log = work.logs / f"{work.count:02d}-app.log"
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        page = ""
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"{block.where()}: the app stopped\n{log.read_text()[-3000:]}"
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=10) as r:
                page = r.read().decode("utf-8", "replace")
                if r.status == 200:
                    break
            time.sleep(0.5)
        assert "<html" in page.lower(), f"{block.where()}: {url} did not serve the app\n{log.read_text()}"
        assert f"open http://127.0.0.1:{port}/" in log.read_text()
    finally:
        stop_group(proc)
    if "--scenarios" in cmd:
        folder = re.search(r"--scenarios (\S+)", cmd).group(1)  # type: ignore[union-attr]
        presets = sorted(p.stem for p in (work.path / folder).glob("*.toml"))
        assert presets, f"{block.where()}: no presets in {folder}"


def wait_for_port(port: int, proc: subprocess.Popen[bytes], where: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{where}: the Dask scheduler stopped"
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.3)
    pytest.fail(f"{where}: the Dask scheduler did not listen on {port}")


def run_cluster(work: Work, block: Block) -> None:
    """A scheduler and workers on loopback, then the block's other commands against them."""
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    background: list[subprocess.Popen[bytes]] = []
    workers = 0
    try:
        for raw in block.text.splitlines():
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            line = re.sub(r"tcp://[\w.\-]+:8786", address, line)
            if line.startswith("dask scheduler"):
                line = re.sub(r"--port \d+", f"--port {port}", line) + " --host 127.0.0.1 --no-dashboard"
                background.append(work.popen(["bash", "-c", f"exec {line}"], "scheduler"))
                wait_for_port(port, background[-1], block.where())
            elif line.startswith("dask worker"):
                line = re.sub(r"--nworkers \d+", "--nworkers 2", line)
                line += " --host 127.0.0.1 --no-dashboard"
                workers += int(re.search(r"--nworkers (\d+)", line).group(1)) if "--nworkers" in line else 1  # type: ignore[union-attr]
                background.append(work.popen(["bash", "-c", f"exec {line}"], "worker"))
                with Client(address, timeout="60s") as client:
                    client.wait_for_workers(workers, timeout=120)
            else:
                assert background, f"{block.where()}: start the scheduler and workers before `{line}`"
                work.run(["bash", "-e", "-c", shrink_command(line)], block.where())
    finally:
        for proc in reversed(background):
            stop_group(proc)
    assert_ran_on_dask(work, block)


def assert_ran_on_dask(work: Work, block: Block) -> None:
    sessions = [
        s
        for prov in (work.path / "results").glob("*/provenance.json")
        for s in json.loads(prov.read_text()).get("sessions", [])
    ]
    executors = [s.get("executor", "") for s in sessions]
    assert executors and all(e.startswith("Dask scheduler") for e in executors), (
        f"{block.where()}: the sweep did not run on the Dask scheduler: {executors}"
    )
    assert sum(int(s.get("ran") or 0) for s in sessions) > 0, f"{block.where()}: the sweep ran nothing"


SBATCH = """#!/usr/bin/env bash
# Test stand-in for SLURM's sbatch: run the job script now, here, with a job's variables.
export SLURM_JOB_ID=4242 SLURM_NTASKS=3 SLURM_JOB_NUM_NODES=1 SLURM_SUBMIT_DIR="$PWD"
echo "Submitted batch job $SLURM_JOB_ID (run at once by the test's stand-in)"
exec bash "$1"
"""
SRUN = """#!/usr/bin/env bash
# Test stand-in for SLURM's srun: drop srun's options, run the command once.
while [[ "${1:-}" == -* ]]; do shift; done
exec "$@"
"""


def run_slurm(work: Work, block: Block) -> None:
    fake = work.path.parent / f"{work.path.name}-fake-slurm"
    fake.mkdir(exist_ok=True)
    for name, text in (("sbatch", SBATCH), ("srun", SRUN)):
        (fake / name).write_text(text)
        (fake / name).chmod(0o755)
    env = dict(work.env, PATH=f"{fake}{os.pathsep}{work.env['PATH']}")
    assert "sbatch" in block.text, f"{block.where()}: a slurm block submits a job with sbatch"
    work.run(["bash", "-e", "-o", "pipefail", "-c", shrink_command(block.text)], block.where(), env=env)
    assert_ran_on_dask(work, block)


# ------------------------------------------------------------------------------- guides


@dataclass
class GuideRun:
    work: Work
    special: list[tuple[Block, dict[str, str]]]
    """Blocks left for other tests, each with the files the guide had written before it."""
    skipped: list[str]


def run_guide(name: str, tmp: Path, special_kinds: frozenset[str] = frozenset()) -> GuideRun:
    """Run a guide's blocks in order; blocks of ``special_kinds`` are returned, not run."""
    work = Work(tmp / name)
    special: list[tuple[Block, dict[str, str]]] = []
    skipped: list[str] = []
    for block in parse_guide(name):
        if block.kind == "shown":
            continue
        if block.kind == "file":
            work.write_file(block)
        elif block.kind in special_kinds:
            special.append((block, dict(work.files)))
        elif block.kind == "run":
            work.run_block(block)
        elif block.kind == "exit":
            work.run_block(block, ok=tuple(int(a) for a in block.args))
        elif block.kind == "app":
            missing = app_assets_missing()
            if missing:
                skipped.append(f"{block.where()}: offline app assets missing ({', '.join(missing)})")
                continue
            serve_app(work, block)
        else:  # pragma: no cover - test_guides_are_well_formed rejects these
            pytest.fail(f"{block.where()}: no handler for {block.kind!r}")
    check_named_files(name, work)
    return GuideRun(work, special, skipped)


def finish(run: GuideRun) -> None:
    if run.skipped:
        pytest.skip("; ".join(run.skipped) + " — run `bash scripts/setup_app_assets.sh .venv`")


def test_guides_are_well_formed() -> None:
    """Every runnable block has a handler; shipped files match the guides; links resolve."""
    seen_files = set()
    for name in GUIDES:
        text = (GUIDES_DIR / f"{name}.md").read_text()
        blocks = parse_guide(name)
        assert any(b.kind in ("run", "exit") for b in blocks), name
        for b in blocks:
            assert b.kind in KINDS | {"shown"}, f"{b.where()}: unknown test kind {b.kind!r}"
            if b.lang in RUNNABLE_LANGS:
                assert b.kind != "shown", f"{b.where()}: a {b.lang} block is neither run nor handled"
                assert "\\\n" not in b.text, f"{b.where()}: no line continuations (the test rewrites lines)"
            if b.kind in ("app", "cluster", "slurm"):
                assert b.lang == "bash", f"{b.where()}: {b.kind} blocks are bash"
            for word, kinds in HANDLED_BY.items():
                if b.lang == "bash" and re.search(word, b.text):
                    assert b.kind in kinds, f"{b.where()}: a block with `{word}` must be marked {kinds}"
            if b.kind == "file":
                assert len(b.args) == 1, f"{b.where()}: `file PATH`"
                seen_files.add(Path(b.args[0]).name)
                if b.lang == "toml":
                    assert (GUIDES_DIR / Path(b.args[0]).name).read_text() == b.text, b.where()
            if b.kind == "exit":
                assert b.args and all(a.isdigit() for a in b.args), f"{b.where()}: `exit N [M ...]`"
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target:
                continue
            assert (GUIDES_DIR / target).exists(), f"docs/guides/{name}.md links to a missing {target}"
    shipped = {p.name for p in GUIDES_DIR.glob("*.toml")}
    assert shipped <= seen_files, f"docs/guides/ ships files no guide writes: {shipped - seen_files}"
    nb = json.loads(NOTEBOOK.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, (
                "commit docs/guides/researcher.ipynb without outputs"
            )


def test_shrinking_rewrites() -> None:
    assert shrink_command("cxsim compare a b --reps 10 --out x  # note") == (
        "cxsim compare a b --reps 2 --out x --set town.shoppers=1000  # note"
    )
    assert shrink_command("cxsim sweep e.toml --workers 2") == "cxsim sweep e.toml --workers 2"
    assert shrink_command("cxsim validate --reps 5") == (
        "cxsim validate --only P1 --only P5 --reps 2 --set town.shoppers=1000"
    )
    exp = 'days = 180\nset = ["town.shoppers=1000"]\n[sampler]\nsamples = 64\n'
    assert shrink_experiment(exp, "x") == (
        'days = 60\nset = ["town.shoppers=600", "warmup_days=30"]\n[sampler]\nsamples = 4\n'
    )
    with pytest.raises(AssertionError, match="no longer matches"):
        shrink_experiment("days = 10\n", "x")


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.slow
def test_quoted_outputs_are_current() -> None:
    """Outputs the guides quote word for word still come out of the model (cheap ones only)."""
    import cxsim
    from cxsim.app import classroom
    from cxsim.experiments.design import load_experiment

    researcher = _words((GUIDES_DIR / "researcher.md").read_text())
    size = load_experiment(GUIDES_DIR / "showrooming_sobol.toml").describe()
    assert size in researcher, f"researcher.md should quote `--check`'s line: {size}"

    # the instructor's closure headline, in the app's town (1,000 shoppers) with seed 7 (with the
    # default seed 42 every shop lasts the two years at 0.4.0, as the guide says)
    instructor = _words((GUIDES_DIR / "instructor.md").read_text())
    quiet = cxsim.run(cxsim.load_scenario("giant_enters", ["town.shoppers=1000"]))
    assert not [e for e in quiet.log if e.kind == "closure"], "instructor.md says seed 42 closes no shop"
    spec = cxsim.load_scenario("giant_enters", ["town.shoppers=1000", "seed=7"])
    result = cxsim.run(spec)
    closures = [h for h in classroom.happenings(result.log, spec) if h.kind == "closure"]
    assert closures, "giant_enters no longer closes a shop in the app's town"
    assert closures[0].headline in instructor, f"instructor.md should quote: {closures[0].headline}"
    assert f"around day {round(closures[0].day, -1)}" in instructor


@pytest.mark.slow
def test_strategist_guide(tmp_path: Path) -> None:
    run = run_guide("strategist", tmp_path)
    figures = run.work.path / "compare-price-war" / "figures"
    assert {p.stem for p in figures.glob("*.png")} >= {
        "channel_shares",
        "market_share_nps",
        "journey_rates",
        "store_cash",
        "journey_flow",
    }
    finish(run)


@pytest.mark.slow
def test_instructor_guide(tmp_path: Path) -> None:
    run = run_guide("instructor", tmp_path)
    finish(run)


@pytest.fixture(scope="module")
def researcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GuideRun]:
    yield run_guide("researcher", tmp_path_factory.mktemp("guides"), frozenset({"cluster", "slurm"}))


@pytest.mark.slow
def test_researcher_guide(researcher: GuideRun) -> None:
    sobol = researcher.work.path / "results" / "showrooming_sobol" / "analysis" / "sobol.csv"
    assert sobol.is_file()
    assert {b.kind for b, _ in researcher.special} == {"cluster", "slurm"}
    finish(researcher)


@pytest.mark.slow
@pytest.mark.dask
@pytest.mark.parametrize("kind", ["cluster", "slurm"])
def test_researcher_guide_on_a_cluster(researcher: GuideRun, kind: str) -> None:
    blocks = [(b, files) for b, files in researcher.special if b.kind == kind]
    assert blocks, f"the researcher guide has no {kind} block"
    for i, (block, files) in enumerate(blocks):
        work = researcher.work.fresh(f"{kind}-{i}", files)
        (run_cluster if kind == "cluster" else run_slurm)(work, block)


@pytest.mark.slow
def test_researcher_notebook(researcher: GuideRun) -> None:
    """The notebook runs top to bottom in the guide's work folder (after its sweep)."""
    import nbclient  # the dev extra installs both (pyproject.toml)
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(researcher.work.path)}},
    )
    env = base_env()
    env.pop("MPLBACKEND")  # the kernel draws inline, as in Jupyter
    client.execute(env=env)
    text = "\n".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert "total-order indices ST" in text, "the notebook did not read the guide's Sobol sweep"
    images = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert images >= 3, "the notebook's figures were not drawn"
