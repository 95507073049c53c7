#!/bin/sh
# hunt_test.sh - `watchpost hunt` end to end: generated Zeek logs (tools/netgen.py, ten
# workstations for two hours and one planted beacon) ingested with first-seen domains
# reported from the start (egress.rare_warmup = 0), then the ranking and every filter.
# The beacon raises an incident of its own (a behaviour alone is severity 1, to triage:
# docs/INCIDENTS.md), so it is listed with --all only; the first-seen domains of the other
# hosts join no incident and are the default list.
#   usage: hunt_test.sh WATCHPOST_BINARY SOURCE_DIR
set -u
WP=$1
SRC=$2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/wp_hunt.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT INT TERM
DB=$TMP/w.db
BEACON=10.1.0.20
C2=198.51.100.77
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
pass() { echo "ok: $*"; }
# run NAME EXPECTED-EXIT CMD...: output in $TMP/NAME.out and .err
run() {
    name=$1 want=$2
    shift 2
    "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
    got=$?
    if [ "$got" != "$want" ]; then
        fail "$name: exit $got, expected $want: $(head -c 400 "$TMP/$name.err")"
        return 1
    fi
    return 0
}

python3 "$SRC/tools/netgen.py" --out "$TMP/zeek" --hosts 10 --hours 2 --seed 3 \
    --beacon "$BEACON:$C2:60:0.2" >/dev/null 2>&1 || { echo "netgen failed" >&2; exit 1; }
printf 'egress.rare_warmup = 0\n' >"$TMP/hunt.conf"
"$WP" ingest -c "$TMP/hunt.conf" --db "$DB" --quiet "$TMP/zeek" >/dev/null 2>&1
[ $? -le 1 ] || { echo "ingest failed" >&2; exit 1; }

# --all: the planted pair ranks first, with its incident and its beacon components
if run all 0 "$WP" hunt --db "$DB" --all; then
    sed -n 2p "$TMP/all.out" | grep -q "^0\.[89][0-9] *NET_BEACON *$BEACON *$C2:443 " &&
        pass "--all: the planted beacon ranks first" || fail "--all: first row: $(sed -n 2p "$TMP/all.out")"
    head -1 "$TMP/all.out" | grep -q "^SCORE *CODE *HOST *DESTINATION" || fail "--all: no header"
fi
if run all_json 0 "$WP" hunt --db "$DB" --all --json --limit 1; then
    python3 - "$TMP/all_json.out" "$BEACON" "$C2" <<'PY' && pass "--json: the API's object, beacon components, incident" || fail "--json: $(cat "$TMP/all_json.out")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1
o = json.loads(lines[0])
assert o["code"] == "NET_BEACON" and o["src"] == sys.argv[2] and o["dst"] == sys.argv[3]
assert o["dst_port"] == 443 and o["score"] >= 0.8 and o["incident_id"] >= 1
assert o["count_unit"] == "connections" and o["count"] >= 100
b = o["beacon"]
assert b["coverage"] > 0.9 and 50 < b["interval_median_s"] < 70 and b["size_small"] > 0.9
PY
fi
# the default leaves out what is in an incident: the beacon's pair, and its host's domains
if run default 0 "$WP" hunt --db "$DB"; then
    grep -q "NET_BEACON" "$TMP/default.out" && fail "default: the beacon (in an incident) is listed"
    grep -q " $BEACON " "$TMP/default.out" && fail "default: the beacon host's domains (in its incident) are listed"
    grep -q "NET_RARE_DOMAIN" "$TMP/default.out" && pass "default: first-seen domains not in an incident" ||
        fail "default: $(cat "$TMP/default.out")"
fi
run beacon_default 1 "$WP" hunt --db "$DB" --code beacon &&
    grep -q -- "--all" "$TMP/beacon_default.err" && pass "nothing matched: exit 1, --all advised"
run beacon_all 0 "$WP" hunt --db "$DB" --code NET_BEACON --all &&
    [ "$(wc -l <"$TMP/beacon_all.out")" = 2 ] && pass "--code NET_BEACON --all: one group" ||
    fail "--code NET_BEACON: $(cat "$TMP/beacon_all.out")"
run host 0 "$WP" hunt --db "$DB" --all --host "$BEACON" --json &&
    ! grep -v "\"src\":\"$BEACON\"" "$TMP/host.out" | grep -q . && pass "--host" || fail "--host: $(cat "$TMP/host.out")"
run minscore 0 "$WP" hunt --db "$DB" --all --min-score 0.5 --json &&
    [ "$(wc -l <"$TMP/minscore.out")" = 1 ] && pass "--min-score 0.5: the beacon alone" ||
    fail "--min-score: $(cat "$TMP/minscore.out")"
run limit 0 "$WP" hunt --db "$DB" --limit 2 &&
    [ "$(wc -l <"$TMP/limit.out")" = 3 ] && grep -q "more groups matched" "$TMP/limit.err" &&
    pass "--limit 2: two groups and a note" || fail "--limit: $(cat "$TMP/limit.out" "$TMP/limit.err")"
run future 1 "$WP" hunt --db "$DB" --all --since 2100-01-01 && pass "--since after the data: none"
run since 0 "$WP" hunt --db "$DB" --all --since 2023-11-14 && pass "--since before the data"
for bad in "--code beacons" "--min-score 2" "--min-score x" "--limit 0" "--since yesterday" "extra"; do
    # shellcheck disable=SC2086
    run "bad_$(echo "$bad" | tr -c 'a-z0-9' _)" 3 "$WP" hunt --db "$DB" $bad || true
done
pass "bad options: exit 3"
run help 0 "$WP" hunt --help && head -1 "$TMP/help.out" | grep -q '^NAME$' && pass "--help" || fail "--help"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "all hunt checks passed"
