#!/bin/sh
# skip_test.sh - skips are visible: a cmocka binary whose test skips exits 77 (ctest: Skipped),
# and exits 1 under WP_REQUIRE_ALL=1 (CI). test_net skips its corpus part when the shared
# corpora are absent: point it at an empty directory.
# usage: skip_test.sh TEST_NET_BINARY
set -u
BIN=$1
empty=$(mktemp -d)
trap 'rm -rf "$empty"' EXIT
WP_SHARED_DATA=$empty WP_REQUIRE_ALL= "$BIN" > "$empty.out" 2>&1
rc=$?
[ $rc -eq 77 ] || { echo "FAIL: a skipped corpus test exited $rc, expected 77"; cat "$empty.out"; exit 1; }
grep -q "1 test(s) skipped" "$empty.out" || { echo "FAIL: the skip was not said"; exit 1; }
WP_SHARED_DATA=$empty WP_REQUIRE_ALL=1 "$BIN" > "$empty.out" 2>&1
rc=$?
[ $rc -eq 1 ] || { echo "FAIL: under WP_REQUIRE_ALL=1 a skip exited $rc, expected 1"; exit 1; }
rm -f "$empty.out"
echo "2 passed, 0 failed"
