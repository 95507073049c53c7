#!/usr/bin/env bash
# tests/incident/run.sh WATCHPOST FIXTURES NETGEN - the mail -> host -> C2 chain, end to end.
#
# A malicious message is recorded as delivered to bob (watchpost scan --record); generated
# Zeek logs (tools/netgen.py) then show bob's machine beaconing to a listed C2 address, and
# later uploading 200 MB to a new destination. `watchpost ingest` must raise one incident and
# escalate it 1 -> 3 -> 4 with the reasons, alert each level to a webhook and record when;
# clean background logs alone raise nothing; `watchpost watch` resumes from its saved
# position; ack and close work and are recorded.
set -uo pipefail
WP=$1 FIX=$2 NETGEN=$3
HERE=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/wp-incident.XXXXXX)
SINK=
cleanup() { [[ -n $SINK ]] && kill "$SINK" 2>/dev/null; [[ -n ${KEEP:-} ]] || rm -rf "$T"; }
trap cleanup EXIT
pass=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
fail() { echo "FAIL: $*"; exit 1; }
jget() { python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); print(eval("d"+sys.argv[1]))' "$1"; }

python3 "$HERE/http_sink.py" "$T/sink.port" "$T/alerts.jsonl" & SINK=$!
for _ in $(seq 50); do [[ -s $T/sink.port ]] && break; sleep 0.1; done
[[ -s $T/sink.port ]] || fail "webhook sink did not start"

printf '203.0.113.50\n' > "$T/iocs.txt"
DB=$T/store.db
cat > "$T/wp.conf" <<CONF
store.db = $DB
store.spool = $T/spool
action.malware = tag
intel.file = $T/iocs.txt
incident.host = bob@watchpost.test 10.1.0.23
alert.syslog = no
alert.min_severity = 1
alert.webhook = http://127.0.0.1:$(cat "$T/sink.port")/hook
CONF

# 1. the malicious message, delivered (tagged) to bob
"$WP" scan -c "$T/wp.conf" --record --rcpt bob@watchpost.test --mail-from attacker@evil.example \
  "$FIX/eicar_nested.eml" > "$T/scan.out" 2>&1
[[ $? -eq 1 ]] || fail "scan: $(cat "$T/scan.out")"
now=$(date +%s)

# 2. an hour of bob's machine beaconing to the listed C2 among 20 browsing hosts
python3 "$NETGEN" --out "$T/logs1" --hosts 20 --hours 1 --start $((now + 60)) --seed 11 \
  --beacon 10.1.0.23:203.0.113.50:60:0.2 > /dev/null || fail "netgen 1"
"$WP" ingest -c "$T/wp.conf" "$T/logs1" > "$T/ingest1.out" 2> "$T/ingest1.err"
rc=$?
[[ $rc -eq 1 ]] || fail "ingest 1 exit $rc: $(tail -5 "$T/ingest1.err")"
grep -q "skipped bad 0" "$T/ingest1.out" || fail "ingest 1 skipped lines: $(cat "$T/ingest1.out")"
"$WP" incidents list -c "$T/wp.conf" --json > "$T/list1" || fail "incidents list: $(cat "$T/list1")"
[[ $(wc -l < "$T/list1") -eq 1 ]] || fail "expected one incident, got: $(cat "$T/list1")"
id=$(jget '["id"]' < "$T/list1")
[[ $(jget '["severity"]' < "$T/list1") -eq 3 ]] || fail "severity after C2 contact: $(cat "$T/list1")"
jget '["hosts"]' < "$T/list1" | grep -q "10.1.0.23" || fail "host not in the incident"
jget '["destinations"]' < "$T/list1" | grep -q "203.0.113.50" || fail "C2 not in the incident"
ok "delivered malware + beacon to a listed C2 from bob's host -> incident $id at severity 3"

# 3. later (at 60 % of three more hours), 200 MB leave bob's machine for a never-seen
#    destination
python3 "$NETGEN" --out "$T/logs2" --hosts 20 --hours 3 --start $((now + 3700)) --seed 12 \
  --beacon 10.1.0.23:203.0.113.50:60:0.2 --exfil 10.1.0.23:198.51.100.7:200000000 > /dev/null || fail "netgen 2"
"$WP" ingest -c "$T/wp.conf" "$T/logs2" > "$T/ingest2.out" 2> "$T/ingest2.err"
grep -q "EXFIL" "$T/ingest2.err" || fail "no exfiltration finding: $(grep -c finding "$T/ingest2.err") findings"
"$WP" incidents show -c "$T/wp.conf" --json "$id" > "$T/show" || fail "show $id"
[[ $(jget '["severity"]' < "$T/show") -eq 4 ]] || fail "severity after exfiltration: $(jget '["levels"]' < "$T/show")"
python3 - "$T/show" <<'PY' || fail "level history"
import json, sys
d = json.load(open(sys.argv[1]))
lv = [(l["from"], l["to"], l["reason"]) for l in d["levels"]]
assert [t for _, t, _ in lv] == [1, 3, 4], lv
assert "after the malicious mail was delivered" in lv[1][2], lv[1]
assert "EXFIL" in lv[2][2] or "CRED" in lv[2][2], lv[2]
kinds = {s["kind"] for s in d["timeline"]}
assert {"mail", "net", "severity"} <= kinds, kinds
assert d["time_to_detect_s"] >= 0
PY
ok "exfiltration after C2 -> severity 4; levels 1 -> 3 -> 4 each with its reason; timeline mail/net/severity"
[[ $("$WP" incidents list -c "$T/wp.conf" --json | wc -l) -eq 1 ]] || fail "the exfiltration raised a second incident"

# 4. every level was alerted at once and the alert time recorded
for _ in $(seq 50); do [[ $(grep -c '"kind":"incident"\|"kind": "incident"' "$T/alerts.jsonl" 2>/dev/null) -ge 3 ]] && break; sleep 0.1; done
[[ $(grep -c "incident" "$T/alerts.jsonl") -ge 3 ]] || fail "alerts: $(cat "$T/alerts.jsonl")"
"$WP" incidents times -c "$T/wp.conf" --json > "$T/times" || fail "times"
[[ $(jget '["alerted"]' < "$T/times") -ge 1 ]] || fail "no alert time recorded: $(cat "$T/times")"
ok "incident alerts reached the webhook; time to alert recorded ($(cat "$T/times"))"

# 5. clean background traffic alone raises nothing (another store)
python3 "$NETGEN" --out "$T/logs0" --hosts 50 --hours 6 --start $((now - 86400)) --seed 3 > /dev/null || fail "netgen 0"
"$WP" ingest --db "$T/clean.db" --quiet "$T/logs0" > "$T/ingest0.out" 2>&1
"$WP" incidents list --db "$T/clean.db" --status all > "$T/list0"
[[ $? -eq 1 ]] || fail "clean traffic raised incidents: $(cat "$T/list0")"
ok "6 h of 50 browsing hosts: no incident ($(grep -o 'findings [0-9]*' "$T/ingest0.out"))"

# 5b. a log whose very first record is a 250 MB upload from a host never seen to a destination
# never seen: no baseline, no history, yet an exfiltration incident (the connection ceiling)
mkdir -p "$T/first"
{
  printf '#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n'
  printf '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n'
  printf '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\n'
  printf '%s.5\tCfirst1\t10.1.0.77\t50123\t203.0.113.99\t443\ttcp\tssl\t900.0\t250000000\t40000\tSF\n' "$now"
} > "$T/first/conn.log"
"$WP" ingest --db "$T/first.db" "$T/first" > "$T/first.out" 2> "$T/first.err"
grep -q "NET_EXFIL_VOLUME 10.1.0.77 -> 203.0.113.99" "$T/first.err" || fail "first-record upload: $(cat "$T/first.out" "$T/first.err")"
"$WP" incidents list --db "$T/first.db" --json > "$T/listf"
[[ $(wc -l < "$T/listf") -eq 1 ]] || fail "first-record upload: expected one incident, got: $(cat "$T/listf")"
"$WP" incidents show --db "$T/first.db" --json "$(jget '["id"]' < "$T/listf")" > "$T/showf"
grep -q "exfiltration pattern" "$T/showf" || fail "first-record upload not an exfiltration incident: $(cat "$T/showf")"
printf 'egress.exfil_conn_bytes = 300M\negress.exfil_dest_bytes = 400M\n' > "$T/ceil.conf"
"$WP" ingest -c "$T/ceil.conf" --db "$T/first2.db" --quiet "$T/first" > "$T/first2.out" 2>&1
grep -q "EXFIL" "$T/first2.out" && fail "ceilings raised by configuration still reported: $(cat "$T/first2.out")"
ok "first record a 250 MB upload from a new host -> exfiltration incident; ceilings configurable"

# 6. watch: a growing conn.log, followed twice, resumes where it stopped
head -n 600 "$T/logs0/conn.log" > "$T/live.log"
"$WP" watch --db "$T/watch.db" --once --quiet "$T/live.log" > "$T/w1.out" 2>&1
r1=$(grep -oE "records [0-9]+" "$T/w1.out" | head -1 | awk '{print $2}')
tail -n +601 "$T/logs0/conn.log" | head -n 500 > "$T/more.log"
# the background log's length depends on the generator's clock, so count what is appended
want=$(grep -vc '^#' "$T/more.log")
[[ $want -gt 100 ]] || fail "background conn.log too short to append ($want records)"
cat "$T/more.log" >> "$T/live.log"
"$WP" watch --db "$T/watch.db" --once "$T/live.log" > "$T/w2.out" 2>&1
r2=$(grep -oE "records [0-9]+" "$T/w2.out" | head -1 | awk '{print $2}')
grep -q "resuming at byte" "$T/w2.out" || fail "watch did not resume: $(cat "$T/w2.out")"
[[ $r2 -eq $want ]] || fail "second watch read $r2 records, expected the $want appended (first read $r1)"
ok "watch resumed from its saved position: $r1 then $r2 records"

# 7. ack and close
"$WP" incidents ack -c "$T/wp.conf" "$id" --by analyst1 > /dev/null || fail "ack"
"$WP" incidents ack -c "$T/wp.conf" "$id" --by analyst1 > /dev/null 2>&1 && fail "acked twice"
"$WP" incidents close -c "$T/wp.conf" "$id" --by analyst1 --reason "host reimaged" > /dev/null || fail "close"
"$WP" incidents list -c "$T/wp.conf" > /dev/null && fail "a closed incident is still listed as open"
"$WP" incidents show -c "$T/wp.conf" "$id" > "$T/show.txt"
grep -q "closed by analyst1 .*host reimaged" "$T/show.txt" || fail "close not shown: $(head -5 "$T/show.txt")"
ok "ack and close recorded with who and why"
# 8. bad input is reported, never silently skipped: a missing path and a truncated line
"$WP" ingest --db "$T/bad.db" --quiet "$T/no-such-dir" > "$T/bad1.out" 2> "$T/bad1.err"
[[ $? -eq 2 ]] || fail "a missing path: exit status not 2"
grep -q "no-such-dir: No such file" "$T/bad1.err" || fail "missing path not named: $(cat "$T/bad1.err")"
head -n 20 "$T/logs0/conn.log" > "$T/trunc.log"
printf '1700000000.1\tCtrunc\t10.0.0.1\n' >> "$T/trunc.log"
"$WP" ingest --db "$T/bad.db" --quiet "$T/trunc.log" > "$T/bad2.out" 2> "$T/bad2.err"
[[ $? -eq 2 ]] || fail "a truncated line: exit status not 2"
grep -q "trunc.log:21: skipped: 3 fields" "$T/bad2.err" || fail "truncated line not reported: $(cat "$T/bad2.err")"
grep -q "skipped bad 1" "$T/bad2.out" || fail "truncated line not counted: $(cat "$T/bad2.out")"
ok "a missing path and a truncated line: named, counted, exit 2"
for c in ingest watch incidents; do "$WP" $c --help | grep -q "^SYNOPSIS" || fail "$c --help"; done
ok "ingest, watch and incidents have a manual (--help)"
echo "$pass passed, 0 failed"
