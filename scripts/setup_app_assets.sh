#!/usr/bin/env bash
# Make Solara's browser assets available offline.
#
# Usage: scripts/setup_app_assets.sh [VENV]      (VENV defaults to .venv)
#
# Solara serves its browser assets (the Vuetify app bundle, require.js,
# font-awesome, vega for altair, ...) through a CDN proxy at
# /_solara/cdn/<npm-package>@<version>/<file>: a file missing from the proxy
# cache directory is fetched from a CDN at run time. These machines reach no
# CDN, so this script fills the cache ahead of time from the npm registry
# (`npm pack`), in exactly the layout the proxy reads:
#
#     $VENV/share/cxsim-solara-assets/<name>@<version-as-in-the-url>/<file in the npm tarball>
#
# e.g. .../@widgetti/solara-vuetify-app@10.1.1/dist/solara-vuetify-app8.min.js
#      .../vega@5/build/vega.min.js           (a range: npm picks the newest 5.x)
#
# The list of packages is read from the installed solara itself (its templates
# and .vue files), so a solara upgrade picks up the new versions by itself.
# The app process must then run with
#     SOLARA_ASSETS_PROXY_CACHE_DIR=$VENV/share/cxsim-solara-assets
# (see docs/dev/offline-app.md; tests/e2e/conftest.py sets it).
#
# Idempotent: a package already unpacked is skipped; when everything is in
# place the script only runs a ~0.1 s scan and exits.
# (PyPI's `solara-assets` would be simpler, but its newest release is 1.58.2,
# which does not match solara 1.64.1's asset versions.)
set -euo pipefail

VENV="${1:-.venv}"
PY="$VENV/bin/python"
if [[ ! -x "$PY" ]]; then
    echo "setup_app_assets: no python at $PY (pass the venv path as the first argument)" >&2
    exit 1
fi
VENV="$(cd "$VENV" && pwd)"
PY="$VENV/bin/python"
CACHE="$VENV/share/cxsim-solara-assets"
mkdir -p "$CACHE"

# --- which packages does this solara ask the proxy for? ----------------------
# Prints "<name>@<version-or-range>" lines, e.g. "requirejs@2.3.6".
SPECS="$("$PY" - <<'PYEOF'
import importlib.util, pathlib, re, sys

spec = importlib.util.find_spec("solara")  # locates, does not import, solara
if spec is None or not spec.submodule_search_locations:
    sys.exit("setup_app_assets: solara is not installed in this venv")
root = pathlib.Path(list(spec.submodule_search_locations)[0])

# <prefix>/<name>@<version>/ where prefix is how solara spells its CDN base:
# {{cdn}} in the page template, ${this.getCdn()} in .vue/.py widgets, and the
# font-awesome default path in server/settings.py ("/font-awesome@4.5.0/...").
pat = re.compile(
    r"""(?:\{\{\s*cdn\s*\}\}|getCdn\(\)\}|solara\.cdn\}?|fontawesome_path:\s*str\s*=\s*")"""
    r"""/((?:@[\w.-]+/)?[\w.-]+)@([\w.+-]+)/"""
)
found = set()
for path in root.rglob("*"):
    if path.suffix not in {".py", ".vue", ".j2", ".html", ".js"} or not path.is_file():
        continue
    if "website" in path.relative_to(root).parts:  # solara.dev's own pages
        continue
    try:
        text = path.read_text(encoding="utf-8", errors="ignore")
    except OSError:
        continue
    for name, version in pat.findall(text):
        found.add(f"{name}@{version}")
if not any(s.startswith("@widgetti/solara-vuetify-app@") for s in found):
    sys.exit("setup_app_assets: could not find solara-vuetify-app in solara's templates; layout changed?")
print("\n".join(sorted(found)))
PYEOF
)"

# --- solara's default cache location -------------------------------------------
# Without SOLARA_ASSETS_PROXY_CACHE_DIR, solara uses $VENV/share/solara/cdn.
# Make that a link to our cache (when it is absent or empty), so that a plain
# `solara run` from this venv works offline too. The tests still set the
# variable explicitly (docs/dev/offline-app.md).
link_default_cache() {
    local default="$VENV/share/solara/cdn"
    if [[ -L "$default" ]]; then
        return 0
    fi
    if [[ -d "$default" ]]; then
        if [[ -n "$(ls -A "$default")" ]]; then
            echo "setup_app_assets: $default has files of its own; leaving it (set SOLARA_ASSETS_PROXY_CACHE_DIR)"
            return 0
        fi
        rmdir "$default"
    fi
    mkdir -p "$(dirname "$default")"
    ln -s ../cxsim-solara-assets "$default"
}

# --- fill the cache -----------------------------------------------------------
missing=()
while IFS= read -r spec; do
    [[ -z "$spec" ]] && continue
    if [[ ! -f "$CACHE/$spec/.cxsim-npm-pack" ]]; then
        missing+=("$spec")
    fi
done <<< "$SPECS"

if [[ ${#missing[@]} -eq 0 ]]; then
    link_default_cache
    echo "setup_app_assets: all $(wc -l <<< "$SPECS") packages present in $CACHE"
    exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "setup_app_assets: npm is needed to fetch: ${missing[*]}" >&2
    exit 1
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/cxsim-assets.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

for spec in "${missing[@]}"; do
    echo "setup_app_assets: npm pack $spec"
    mkdir -p "$TMP/$spec.pack"
    # --json tells the file name and the version npm resolved a range to
    json="$(cd "$TMP/$spec.pack" && npm pack --json --loglevel=error "$spec" 2>/dev/null)" || {
        echo "setup_app_assets: 'npm pack $spec' failed" >&2
        (cd "$TMP/$spec.pack" && npm pack --loglevel=error "$spec") >&2 || true
        exit 1
    }
    read -r tgz resolved < <(printf '%s' "$json" | "$PY" -c \
        'import json,sys; d=json.load(sys.stdin)[0]; print(d["filename"], d["version"])')
    mkdir -p "$TMP/$spec.unpacked"
    # npm tarballs hold one top folder (usually "package/")
    tar -xzf "$TMP/$spec.pack/$tgz" -C "$TMP/$spec.unpacked" --strip-components=1 --no-same-owner
    printf '%s\n' "$resolved" > "$TMP/$spec.unpacked/.cxsim-npm-pack"
    dest="$CACHE/$spec"
    mkdir -p "$(dirname "$dest")"
    rm -rf "$dest"
    mv "$TMP/$spec.unpacked" "$dest"
    echo "setup_app_assets:   -> $dest (version $resolved)"
done

link_default_cache
echo "setup_app_assets: done; point SOLARA_ASSETS_PROXY_CACHE_DIR at $CACHE"
