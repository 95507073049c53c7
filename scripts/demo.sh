#!/usr/bin/env bash
# demo.sh - the main job on bundled sample data, with the embedded default store (SQLite):
# install dependencies, build the release binary (build/release/watchpost), scan the
# messages in samples/ as the organisation of samples/demo.conf, record every decision and
# quarantine what must not be delivered, then list the events and the quarantine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release
WP=./build/release/watchpost
STORE=${WATCHPOST_DEMO_DIR:-build/demo}
rm -rf "$STORE"
mkdir -p "$STORE"
echo
echo "== watchpost scan -c samples/demo.conf --record samples/ =="
rc=0
$WP scan -c samples/demo.conf --record --db "$STORE/watchpost.db" --spool "$STORE/quarantine" \
    --rcpt hanako.suzuki@mofa.go.jp samples/ || rc=$?
echo "exit status $rc (0 all clean, 1 something judged spam/phishing/malware/targeted," \
    "2 input errors, 3 usage)"
[[ $rc -le 1 ]]
echo
echo "== watchpost events (the SQLite store, $STORE/watchpost.db) =="
$WP events --db "$STORE/watchpost.db"
echo
echo "== watchpost quarantine list =="
$WP quarantine list --db "$STORE/watchpost.db" --spool "$STORE/quarantine"
