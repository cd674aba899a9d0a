#!/usr/bin/env bash
# Set up cxsim from a clean clone: find Python >= 3.12, create .venv, install the
# package with every extra and the test tools, and the app's offline browser assets (npm).
# Idempotent: a second run only checks (a few seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${CXSIM_VENV:-.venv}"

is_312() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }

find_python() {
    local c
    for c in python3.13 python3.12 python3 python; do
        if command -v "$c" >/dev/null 2>&1 && is_312 "$(command -v "$c")"; then
            command -v "$c"; return 0
        fi
    done
    if command -v pyenv >/dev/null 2>&1; then
        for c in "$(pyenv root)"/versions/3.1[2-9]*/bin/python3 "$(pyenv root)"/versions/3.1[2-9]*/bin/python3.1[2-9]; do
            if [ -x "$c" ] && is_312 "$c"; then echo "$c"; return 0; fi
        done
    fi
    for c in "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
        if [ -x "$c" ] && is_312 "$c"; then echo "$c"; return 0; fi
    done
    return 1
}

if [ ! -x "$VENV/bin/python" ] || ! is_312 "$VENV/bin/python"; then
    PY=$(find_python) || {
        echo "error: cxsim needs Python >= 3.12 and none was found on PATH or under pyenv." >&2
        echo "       Install one (e.g. 'pyenv install 3.12' or your system's python3.12 package) and rerun." >&2
        exit 2
    }
    echo "setup: creating $VENV with $PY ($("$PY" --version))"
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi

stamp="$VENV/.cxsim-installed"
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setup: installing cxsim and its dependencies into $VENV (about a minute)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[dev]"
    echo "$want" > "$stamp"
fi

# The app's browser assets (Solara's CDN files, served offline by `cxsim app`): fetched once
# from npm by setup_app_assets.sh; a re-run only checks them (~0.1 s). Without npm (or without
# a network) the set-up still succeeds, since the model, the CLI and the reports need none of
# them; it says what is missing and how to add it, and `cxsim app` says the same until then.
if command -v npm >/dev/null 2>&1; then
    if ! bash scripts/setup_app_assets.sh "$VENV"; then
        echo "setup: warning: the app's browser assets could not be fetched (see above);" >&2
        echo "       everything but \`cxsim app\` works. Retry: bash scripts/setup_app_assets.sh $VENV" >&2
    fi
elif bash scripts/setup_app_assets.sh "$VENV" >/dev/null 2>&1; then
    :  # already in place (npm is only needed to fetch them)
else
    echo "setup: note: npm was not found, so the app's browser assets were not installed;" >&2
    echo "       everything but \`cxsim app\` works. For the app: install Node.js/npm, then" >&2
    echo "       bash scripts/setup_app_assets.sh $VENV   (or rerun bash scripts/setup.sh)" >&2
fi
