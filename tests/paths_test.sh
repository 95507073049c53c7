#!/bin/sh
# paths_test.sh - an installed watchpost finds its data relative to its executable, not in
# the build tree: `cmake --install` into a temporary prefix, then `watchpost paths` of the
# installed binary names <prefix>/share/watchpost/rules (and .../content), and its scan of the
# EICAR fixture still finds the YARA rule.
# usage: paths_test.sh BUILD_DIR FIXTURES
set -u
B=$1 FIX=$2
P=$(mktemp -d)
trap 'rm -rf "$P"' EXIT
cmake --install "$B" --prefix "$P" >/dev/null || { echo "FAIL: cmake --install"; exit 1; }
WP=$P/bin/watchpost
out=$(env -u WATCHPOST_RULES "$WP" paths) || { echo "FAIL: watchpost paths: exit $?"; exit 1; }
echo "$out" | grep -qx "yara rules:     $P/bin/../share/watchpost/rules" ||
  { echo "FAIL: installed binary does not use its own rules: $out"; exit 1; }
echo "$out" | grep -qx "content rules:  $P/bin/../share/watchpost/rules/content" ||
  { echo "FAIL: installed binary does not use its own content rules: $out"; exit 1; }
env -u WATCHPOST_RULES "$WP" scan --json "$FIX/eicar_nested.eml" > "$P/scan.json"
grep -q EICAR "$P/scan.json" || { echo "FAIL: installed binary's scan lost the YARA rules"; exit 1; }
WATCHPOST_RULES=$P/bin/../share/watchpost/rules "$WP" paths | grep -q 'WATCHPOST_RULES (/' ||
  { echo "FAIL: paths does not show WATCHPOST_RULES"; exit 1; }
echo "3 passed, 0 failed"
