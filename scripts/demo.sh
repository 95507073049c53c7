#!/usr/bin/env bash
# demo.sh - the main job on bundled sample data: install dependencies, build the release
# binary (build/release/watchpost) and scan the messages in samples/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release
echo
echo "== watchpost scan samples/ =="
rc=0
./build/release/watchpost scan samples/ || rc=$?
echo "exit status $rc (0 clean, 1 findings, 2 input errors, 3 usage)"
[[ $rc -le 1 ]]
