#!/usr/bin/env bash
# Set up everything (Python env, Chromium, offline app assets) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup_chromium.sh
bash scripts/setup_app_assets.sh .venv
export SOLARA_TELEMETRY_MIXPANEL_ENABLE=False
export MPLBACKEND=Agg
exec .venv/bin/python -m pytest "$@"
