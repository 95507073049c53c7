#!/usr/bin/env bash
# install-browser.sh - what the dashboard's browser test needs: Debian's chromium and CJK fonts
# (apt) and playwright-core (npm, pinned by the shared kit) in build/browser. It calls the
# shared kit's installer (../shared/peers/browser/install.sh), which downloads no browser.
# Idempotent and quick when everything is in place. Run as root on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
KIT=${WP_BROWSER_KIT:-../shared/peers/browser}
[[ -f $KIT/install.sh ]] || { echo "install-browser: no browser kit at $KIT" >&2; exit 1; }
sh "$KIT/install.sh" "${WP_BROWSER_KIT_DIR:-build/browser}"
