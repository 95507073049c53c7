#!/bin/sh
# tests/golden/run.sh - whole-report golden tests (Postfix's .in/.ref idea): each message of
# tests/fixtures/ is scanned with the default rules and settings, and its complete
# `watchpost scan --json` line, less the one machine-dependent field (scan_ms), must equal
# tests/golden/<message>.ref byte for byte. A change of any finding, weight, verdict, reason,
# part, URL or excerpt shows as a diff.
#
# usage: run.sh WATCHPOST FIXTURES REFDIR            compare
#        run.sh WATCHPOST FIXTURES REFDIR --update   rewrite the .ref files (then review the
#                                                    diff with git before committing)
# scripts/golden.sh --update does the second with the dev build.
set -u
WP=$1 FIX=$2 REF=$3 MODE=${4:-}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
n=0 bad=0
for f in "$FIX"/*.eml "$FIX"/*.bin; do
  [ -f "$f" ] || continue
  name=$(basename "$f")
  # relative source name and one worker: the same bytes on every machine and every run
  (cd "$FIX" && "$WP" scan --json --jobs 1 -- "$name") 2>/dev/null |
    sed -E 's/,"scan_ms":[0-9.eE+-]+//' > "$out/$name.json"
  n=$((n + 1))
  if [ "$MODE" = "--update" ]; then
    cp "$out/$name.json" "$REF/$name.ref"
    continue
  fi
  if [ ! -f "$REF/$name.ref" ]; then
    echo "FAIL: $name: no $REF/$name.ref (run scripts/golden.sh --update)"; bad=$((bad + 1)); continue
  fi
  if ! cmp -s "$out/$name.json" "$REF/$name.ref"; then
    echo "FAIL: $name differs from its .ref:"
    python3 - "$REF/$name.ref" "$out/$name.json" <<'PY'
import difflib, json, sys
def lines(p):
    try:
        return json.dumps(json.loads(open(p, encoding="utf-8").read()), indent=1, ensure_ascii=False).splitlines()
    except Exception:
        return open(p, encoding="utf-8", errors="replace").read().splitlines()
for l in list(difflib.unified_diff(lines(sys.argv[1]), lines(sys.argv[2]), "ref", "now", lineterm=""))[:60]:
    print("   ", l)
PY
    bad=$((bad + 1))
  fi
done
[ "$n" -gt 0 ] || { echo "FAIL: no messages in $FIX"; exit 1; }
if [ "$MODE" = "--update" ]; then echo "wrote $n .ref files to $REF"; exit 0; fi
echo "$((n - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
