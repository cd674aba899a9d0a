"""Browser (end-to-end) test harness for the Solara app, fully offline.

What it gives a test module:

* ``e2e_app_target`` (module scope, override it in a test module): what to
  serve, as ``solara run`` takes it: a file path (relative to the repo root)
  or a dotted module name such as ``"cxsim.app.page"``. Default: the toy app.
* ``e2e_server_env`` (module scope, override it in a test module): extra
  environment variables of the server, such as ``CXSIM_SCENARIOS``.
* ``e2e_server_pool`` (session scope): starts ``solara run <target> --host
  127.0.0.1 --port <free port> --production --no-open`` in a subprocess with
  the offline environment (``offline_solara_env()``), waits until it serves,
  and kills every server it started at the end of the session. One server per
  distinct target and extra environment, shared by the modules that ask for it.
* ``e2e_app_url`` (module scope): the URL of the server for ``e2e_app_target``.
* ``app_page`` (function scope): a Playwright page opened on that URL with
  console errors and failed requests recorded (``AppPage``); call
  ``app_page.assert_clean()`` to assert there were none.
* ``open_app`` (function scope): ``open_app(page)`` does the same for any page,
  e.g. one of a second browser context (two sessions side by side).
* ``browser_type_launch_args``: points Playwright at Debian's /usr/bin/chromium
  (Playwright cannot download its own browser here).

Set-up a machine needs first: ``scripts/setup_app_assets.sh .venv`` and
``scripts/setup_chromium.sh`` (see docs/dev/offline-app.md).

Example of a test module for the real app::

    import pytest

    pytestmark = pytest.mark.e2e

    @pytest.fixture(scope="module")
    def e2e_app_target():
        return "cxsim/app/page.py"

    def test_loads(app_page):
        app_page.page.get_by_role("button", name="Step").wait_for()
        app_page.assert_clean()
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent
ARTIFACTS_DIR = REPO_ROOT / "tests" / "artifacts"
CHROMIUM = Path(os.environ.get("CXSIM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
SERVER_START_TIMEOUT = float(os.environ.get("CXSIM_E2E_SERVER_TIMEOUT", "90"))
# A loopback port where nothing listens: if an asset is ever missing from the
# cache, Solara's proxy gets "connection refused" (4 tries, ~7 s) and sends the
# browser a 404, which the tests catch, instead of reaching out to a CDN.
UNREACHABLE_CDN = "http://127.0.0.1:9/npm/"


def assets_cache_dir() -> Path:
    """The offline asset cache made by scripts/setup_app_assets.sh for this venv."""
    env = os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR")
    if env:
        return Path(env)
    return Path(sys.prefix) / "share" / "cxsim-solara-assets"


def offline_solara_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a Solara server process that must not touch the network.

    These are read when ``solara.server.settings`` is imported, so they must be
    in the process environment before solara is imported (hence: set them for
    the subprocess, not in it).
    """
    env = dict(os.environ if base is None else base)
    env.update(
        {
            # serve /_solara/cdn/ from the cache (solara turns it off in VS Code terminals)
            "SOLARA_ASSETS_PROXY": "True",
            "SOLARA_ASSETS_PROXY_CACHE_DIR": str(assets_cache_dir()),
            "SOLARA_ASSETS_CDN": UNREACHABLE_CDN,
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
            # no "This website runs on Solara" badge over the page
            "SOLARA_THEME_SHOW_BANNER": "False",
            "PYTHONUNBUFFERED": "1",
        }
    )
    # `solara run cxsim.app.page` imports the module by name: the repo root must be importable
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(REPO_ROOT), env.get("PYTHONPATH", "")] if p)
    return env


def _check_prerequisites() -> None:
    cache = assets_cache_dir()
    if not any(cache.glob("@widgetti/solara-vuetify-app@*/dist")):
        pytest.fail(
            f"Solara's offline assets are missing from {cache}: "
            f"run `scripts/setup_app_assets.sh {sys.prefix}`",
            pytrace=False,
        )
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `scripts/setup_chromium.sh`", pytrace=False)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SolaraServer:
    target: str
    url: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        # the server runs in its own process group (start_new_session): end that group only
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def start_solara_server(target: str, log_dir: Path, extra_env: dict[str, str] | None = None) -> SolaraServer:
    """Start `solara run TARGET` on a free loopback port and wait until it serves.

    ``extra_env`` adds variables to the offline environment (e.g. ``CXSIM_SCENARIOS``).
    """
    _check_prerequisites()
    if target.endswith(".py") and not Path(target).is_absolute():
        target = str(REPO_ROOT / target)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log_path = log_dir / f"solara-{port}.log"
    cmd = [sys.executable, "-m", "solara", "run", target,
           "--host", "127.0.0.1", "--port", str(port), "--production", "--no-open"]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env={**offline_solara_env(), **(extra_env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = SolaraServer(target, url, process, log_path)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"`{' '.join(cmd)}` exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(
                f"solara did not serve {url} within {SERVER_START_TIMEOUT:.0f}s:\n" + server.log_tail()
            )
        time.sleep(0.25)


class SolaraServerPool:
    """Starts one server per target on demand; stops them all at the end."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.servers: dict[tuple[str, tuple[tuple[str, str], ...]], SolaraServer] = {}

    def get(self, target: str, extra_env: dict[str, str] | None = None) -> SolaraServer:
        key = (target, tuple(sorted((extra_env or {}).items())))
        server = self.servers.get(key)
        if server is None or server.process.poll() is not None:
            server = start_solara_server(target, self.log_dir, extra_env)
            self.servers[key] = server
        return server

    def stop_all(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()


def pytest_configure(config: pytest.Config) -> None:
    if not any(line.startswith("e2e:") for line in config.getini("markers")):
        config.addinivalue_line(
            "markers", "e2e: end-to-end test in a real browser against a served Solara app"
        )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Use Debian's Chromium with flags that keep it off the network."""
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(pytestconfig: pytest.Config) -> str | None:
    """Same as pytest-playwright 0.10's fallback ``base_url`` fixture.

    That fallback is a method of a plugin class, which pytest 9.2 warns about
    (PytestRemovedIn10Warning) each time it runs; defining it here keeps the
    e2e run free of that warning.
    """
    try:
        return pytestconfig.getoption("--base-url") or pytestconfig.getini("base_url") or None
    except (ValueError, KeyError):
        return None


@pytest.fixture(scope="module")
def e2e_app_target() -> str:
    """What `solara run` serves for this module: override in a test module."""
    return "tests/e2e/toy_app.py"


@pytest.fixture(scope="module")
def e2e_server_env() -> dict[str, str]:
    """Extra environment of the server for this module (override in a test module)."""
    return {}


@pytest.fixture(scope="session")
def e2e_server_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SolaraServerPool]:
    pool = SolaraServerPool(tmp_path_factory.mktemp("solara-logs"))
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture(scope="module")
def e2e_server(
    e2e_server_pool: SolaraServerPool, e2e_app_target: str, e2e_server_env: dict[str, str]
) -> SolaraServer:
    return e2e_server_pool.get(e2e_app_target, e2e_server_env)


@pytest.fixture(scope="module")
def e2e_app_url(e2e_server: SolaraServer) -> str:
    return e2e_server.url


@dataclass
class AppPage:
    """A Playwright page on the app, with what went wrong while it was open."""

    page: object  # playwright.sync_api.Page
    url: str
    console_errors: list[str] = field(default_factory=list)
    console_warnings: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"console error: {m}" for m in self.console_errors]
            + [f"page error: {m}" for m in self.page_errors]
            + [f"failed request: {m}" for m in self.failed_requests]
        )

    def assert_clean(self) -> None:
        problems = self.problems()
        assert not problems, "the page reported problems:\n" + "\n".join(problems)

    def non_local_requests(self) -> list[str]:
        """Requests for anything but the app's own server (data:/blob: URLs are local)."""
        return [u for u in self.requests if not u.startswith((self.url, "data:", "blob:"))]

    def screenshot(self, name: str) -> Path:
        ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS_DIR / name
        self.page.screenshot(path=str(path), full_page=True)
        return path


def _record(page, url: str) -> AppPage:
    rec = AppPage(page=page, url=url)

    def on_console(msg):
        if msg.type == "error":
            rec.console_errors.append(msg.text)
        elif msg.type == "warning":
            rec.console_warnings.append(msg.text)

    def on_response(resp):
        if resp.status >= 400:
            rec.failed_requests.append(f"{resp.status} {resp.request.method} {resp.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: rec.page_errors.append(str(exc)))
    page.on("request", lambda req: rec.requests.append(req.url))
    page.on(
        "requestfailed",
        lambda req: rec.failed_requests.append(f"{req.failure} {req.method} {req.url}"),
    )
    page.on("response", on_response)
    return rec


def open_app_page(page, url: str) -> AppPage:
    """Open the app in ``page`` (waiting for the Solara UI to mount) with problems recorded."""
    rec = _record(page, url)
    try:
        page.goto(url, wait_until="load")
        # Vue mounts the app shell (with a loader) once the bundle runs; the loader
        # goes away when the app's widgets have arrived over the websocket
        page.locator(".v-application--wrap").first.wait_for(state="attached", timeout=30_000)
        page.locator("#loader-container").wait_for(state="detached", timeout=60_000)
    except Exception as exc:
        problems = "\n".join(rec.problems()) or "(no console errors or failed requests recorded)"
        raise AssertionError(f"the app at {url} did not mount: {exc}\n{problems}") from exc
    return rec


@pytest.fixture
def app_page(page, e2e_app_url: str) -> AppPage:
    """Open the app (waiting for the Solara UI to mount) with problems recorded."""
    return open_app_page(page, e2e_app_url)


@pytest.fixture
def open_app(e2e_app_url: str):
    """``open_app(page) -> AppPage``: open the app in another page (e.g. of a second browser context)."""

    def open_(page) -> AppPage:
        return open_app_page(page, e2e_app_url)

    return open_


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """On a failed e2e test, show what the page reported (404s, console errors)."""
    report = yield
    rec = getattr(item, "funcargs", {}).get("app_page")
    if report.when == "call" and report.failed and isinstance(rec, AppPage):
        lines = rec.problems() + [f"console warning: {m}" for m in rec.console_warnings]
        report.sections.append(("e2e page problems", "\n".join(lines) or "(none recorded)"))
        server = item.funcargs.get("e2e_server")
        if isinstance(server, SolaraServer):
            report.sections.append(("solara server log (tail)", server.log_tail()))
    return report
