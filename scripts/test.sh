#!/usr/bin/env bash
# test.sh - the test command: installs what is missing, then builds and runs the whole suite
# twice: gcc with -Werror, and clang-14 with AddressSanitizer + UndefinedBehaviorSanitizer.
# Fuzz corpora and regression inputs are replayed as ctest cases in both builds.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== dev build (gcc, -Werror) =="
cmake --preset dev >/dev/null
cmake --build build/dev
ctest --preset dev -j2

echo "== asan build (clang-14, ASan+UBSan) =="
cmake --preset asan >/dev/null
cmake --build build/asan
ctest --preset asan -j2
