#!/usr/bin/env bash
# golden.sh - run or regenerate the golden JSON tests (tests/golden/run.sh) with the dev build.
#   scripts/golden.sh            compare
#   scripts/golden.sh --update   rewrite tests/golden/*.ref; review `git diff tests/golden`
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset dev >/dev/null
cmake --build build/dev --target watchpost >/dev/null
env -u WATCHPOST_RULES sh tests/golden/run.sh "$PWD/build/dev/watchpost" "$PWD/tests/fixtures" \
  "$PWD/tests/golden" "$@"
