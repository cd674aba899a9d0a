"""The ``cxsim app`` command: serve the Solara app, offline, on 127.0.0.1 by default.

It runs ``solara run <cxsim/app/page.py> --host H --port P --production --no-open``
in a child process whose environment points Solara's asset proxy at the
offline cache that ``scripts/setup_app_assets.sh`` fills (see
docs/dev/offline-app.md): the browser then gets every script, style sheet and
font from this server, and nothing is fetched from a CDN. Solara reads these
variables when it is imported, so they must be set for the child process,
not inside the app.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from cxsim.core.errors import InputError
from cxsim.model import library

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
UNREACHABLE_CDN = "http://127.0.0.1:9/npm/"
"""Where Solara's proxy would fetch an asset missing from the cache: a dead loopback port.

A missing asset then fails fast (a 404 in the browser) instead of leaving the machine.
"""
REQUIRED_ASSETS = (
    "@widgetti/solara-vuetify-app@*/dist",
    "requirejs@*/require.js",
    "font-awesome@*/css/font-awesome.min.css",
    "vega@5/build/vega.min.js",
    "vega-lite@5/build/vega-lite.min.js",
    "vega-embed@6/build/vega-embed.min.js",
)
"""Files of the offline asset cache the app's page needs (globs under the cache)."""
SETUP_HINT = (
    "run `bash scripts/setup.sh` (or `bash scripts/setup_app_assets.sh {venv}`) "
    "from the cxsim repository (needs npm, once)"
)


def assets_dir() -> Path:
    """The offline asset cache: ``$SOLARA_ASSETS_PROXY_CACHE_DIR`` or ``<venv>/share/cxsim-solara-assets``."""
    env = os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR")
    if env:
        return Path(env)
    return Path(sys.prefix) / "share" / "cxsim-solara-assets"


def missing_assets(cache: Path) -> list[str]:
    """The entries of :data:`REQUIRED_ASSETS` that the cache lacks."""
    return [pattern for pattern in REQUIRED_ASSETS if not any(cache.glob(pattern))]


def app_file() -> Path:
    """The path of ``cxsim/app/page.py`` (found without importing it, which would import Solara)."""
    spec = importlib.util.find_spec("cxsim.app.page")
    if spec is None or spec.origin is None:  # pragma: no cover - the module ships with the package
        raise InputError("cxsim", "app", "the module cxsim/app/page.py", "nothing")
    return Path(spec.origin)


def server_env(base: dict[str, str] | None = None, cache: Path | None = None) -> dict[str, str]:
    """The environment of the ``solara run`` child: offline assets, no telemetry, no banner."""
    env = dict(os.environ if base is None else base)
    env.update(
        {
            "SOLARA_ASSETS_PROXY": "True",
            "SOLARA_ASSETS_PROXY_CACHE_DIR": str(assets_dir() if cache is None else cache),
            "SOLARA_ASSETS_CDN": UNREACHABLE_CDN,
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
            "SOLARA_THEME_SHOW_BANNER": "False",
            "PYTHONUNBUFFERED": "1",
        }
    )
    # solara warns at every page load that plain http falls back to samesite=lax cookies
    quiet = "ignore:Cookies with samesite:UserWarning"
    env["PYTHONWARNINGS"] = ",".join(w for w in (env.get("PYTHONWARNINGS", ""), quiet) if w)
    return env


def check_port(host: str, port: int) -> None:
    """Fail early, and clearly, when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise InputError(
                "--port",
                "",
                "a free port",
                port,
                f"{exc.strerror or exc}; choose another with --port",
            ) from None


def solara_command(host: str, port: int) -> list[str]:
    """The ``solara run`` command line."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(app_file()),
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
    ]


def register(app: typer.Typer) -> None:
    """Add the ``app`` command to the ``cxsim`` command line."""
    from cxsim.cli.main import console, fail_cleanly

    @app.command("app")
    @fail_cleanly
    def serve(
        port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = DEFAULT_PORT,
        host: Annotated[
            str,
            typer.Option(help="Address to bind; 0.0.0.0 serves the whole network (no login!)."),
        ] = DEFAULT_HOST,
        scenarios: Annotated[
            Path | None,
            typer.Option(
                help="Folder of scenario presets, layered over the built-in ones (and ./scenarios, "
                "CXSIM_SCENARIOS); its files win a name clash."
            ),
        ] = None,
    ) -> None:
        """Start the interactive town in the browser (Solara), offline: every session gets its own model."""
        if importlib.util.find_spec("solara") is None:
            raise InputError(
                "cxsim app",
                "",
                "Solara installed",
                "no solara",
                "install the app extra: pip install 'cxsim[app]'",
            )
        cache = assets_dir()
        missing = missing_assets(cache)
        if missing:
            raise InputError(
                str(cache),
                "",
                "Solara's browser assets, installed for offline use",
                f"{len(missing)} of {len(REQUIRED_ASSETS)} missing",
                SETUP_HINT.format(venv=sys.prefix),
            )
        env = server_env(cache=cache)
        if scenarios is not None:
            if not scenarios.is_dir():
                raise InputError("--scenarios", "", "a folder of scenario .toml files", str(scenarios))
            env[library.ENV] = os.pathsep.join(
                p for p in (env.get(library.ENV, ""), str(scenarios.resolve())) if p
            )
        check_port(host, port)
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        console.print(
            f"cxsim app: open [bold]http://{shown}:{port}/[/] in your browser (Ctrl+C to stop)",
            highlight=False,
        )
        code = run_server(solara_command(host, port), env)
        if code not in (0, -signal.SIGINT, -signal.SIGTERM, 130):
            raise typer.Exit(code)


def run_server(cmd: list[str], env: dict[str, str]) -> int:
    """Run the server until it stops; Ctrl+C or SIGTERM stop it too (never leave it behind)."""
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL)

    def stop(signum: int, frame: object) -> None:
        proc.terminate()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
