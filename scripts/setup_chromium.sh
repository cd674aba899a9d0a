#!/usr/bin/env bash
# Install Debian's Chromium for the browser (e2e) tests, only if it is missing.
# Playwright cannot download its own browser on these machines; the tests
# launch /usr/bin/chromium instead (see tests/e2e/conftest.py).
# Safe to rerun: does nothing when /usr/bin/chromium already exists.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
    echo "setup_chromium: $("$CHROMIUM" --version 2>/dev/null || echo chromium) already installed"
    exit 0
fi

SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo -n"
    else
        echo "setup_chromium: not root and no sudo; install Debian's 'chromium' package by hand" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "setup_chromium: installing Debian package 'chromium' ..."
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    chromium fonts-liberation </dev/null >/dev/null

if [[ ! -x "$CHROMIUM" ]]; then
    echo "setup_chromium: install finished but $CHROMIUM is missing" >&2
    exit 1
fi
echo "setup_chromium: $("$CHROMIUM" --version 2>/dev/null) installed"
