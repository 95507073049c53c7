#!/usr/bin/env bash
# tests/milter/run.sh - `watchpost milter` behind a real Postfix on loopback.
#
# usage: run.sh WATCHPOST FIXTURES RULES
# A private Postfix instance (own config, queue and log in a temporary directory, SMTP on
# 127.0.0.1:high port, virtual delivery into mbox files, never relays) calls the milter on
# another loopback port. swaks sends: a clean message (delivered with X-Watchpost-* headers),
# the EICAR fixture (quarantined, not delivered), a message while the milter is killed -9
# (4xx, kept by the sender; re-sent after the restart and delivered), and after a SIGHUP
# that switches malware to reject, the EICAR fixture again (550 5.7.1 with a reference).
# Every message sent must be accounted for. Exit 77 (skip) when Postfix cannot run here.
set -uo pipefail
WP=$1 FIX=$2 RULES=$3
export WATCHPOST_RULES=$RULES

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; dump; exit 1; }
pass=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }

[[ $EUID -eq 0 ]] || skip "needs root to start a Postfix instance"
command -v postfix >/dev/null || skip "postfix not installed (scripts/install-deps.sh)"
command -v swaks >/dev/null || skip "swaks not installed (scripts/install-deps.sh)"
id nobody >/dev/null 2>&1 || skip "no user 'nobody' to run the milter and deliver as"

T=$(mktemp -d /tmp/wp-milter.XXXXXX)
chmod 755 "$T"
CONF=$T/etc MPID=
. "$(dirname "$0")/postfix-env.sh"
SPORT=$(pf_free_port) MPORT=$(pf_free_port) RPORT=$(pf_free_port)
[[ $SPORT != "$MPORT" ]] || MPORT=$((SPORT + 1))
[[ $RPORT != "$SPORT" && $RPORT != "$MPORT" ]] || RPORT=$((MPORT + 1))

dump() {
  echo "--- postfix log"; tail -n 40 "$T/postfix.log" 2>/dev/null
  echo "--- milter log"; tail -n 40 "$T/milter.log" 2>/dev/null
}
cleanup() {
  [[ -n ${APID:-} ]] && kill "$APID" 2>/dev/null
  [[ -n $MPID ]] && kill "$MPID" 2>/dev/null
  pf_stop "$T"
  sleep 0.5
  [[ -n ${KEEP:-} ]] || rm -rf "$T"
}
trap cleanup EXIT

# ---- the Postfix instance (and a milter-free port for releases from quarantine)
mkdir -p "$T/store"
chown nobody:nogroup "$T/store"
why=$(pf_setup "$T" "$SPORT" "inet:127.0.0.1:$MPORT" "$RPORT") || skip "$why"

# ---- a webhook receiver for the alerts (one JSON body per line in $T/alerts.jsonl)
APORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 - "$APORT" "$T/alerts.jsonl" > "$T/alertd.log" 2>&1 <<'PY' &
import http.server, sys
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
APID=$!

# ---- the milter
printf 'action.malware = quarantine\nmilter.internal_networks = 10.0.0.0/8\nalert.min_severity = 1\nalert.webhook = http://127.0.0.1:%s/alert\n' "$APORT" > "$T/watchpost.conf"
chmod 644 "$T/watchpost.conf"
start_milter() {
  "$WP" milter -c "$T/watchpost.conf" --listen "inet:$MPORT@127.0.0.1" --user nobody \
    --foreground --db "$T/store/store.db" --spool "$T/store/spool" >> "$T/milter.log" 2>&1 &
  MPID=$!
  starts=$((starts + 1))
  # the socket accepts before the rules are compiled: wait for the "listening" line
  for _ in $(seq 1800); do # the first start compiles the rules: slow under ASan on 2 cores
    [[ $(grep -c "listening on" "$T/milter.log") -ge $starts ]] && return 0
    kill -0 "$MPID" 2>/dev/null || fail "milter exited at start"
    sleep 0.1
  done
  fail "milter not ready within 180 s"
}
starts=0
start_milter
# the run user keeps its compiled rules beside the store (it cannot write root's ~/.cache)
ls "$T/store/rules-cache"/*.hsdb >/dev/null 2>&1 || fail "no rules cache in $T/store/rules-cache: $(ls -la "$T/store" 2>&1)"
ok "compiled rules cached beside the store, as $(stat -c %U "$T/store/rules-cache")"
grep -q "running as nobody" "$T/milter.log" || fail "milter did not drop privileges"

send() { # send ID SWAKS-ARGS... : output in $T/swaks.ID
  local id=$1; shift
  swaks --server "127.0.0.1:$SPORT" --from alice@example.org --to bob@watchpost.test \
    --timeout 30 "$@" > "$T/swaks.$id" 2>&1
}
mbox=$T/vmail/bob
delivered() { grep -c "^Subject: $1" "$mbox" 2>/dev/null || true; }
wait_delivered() { # SUBJECT COUNT
  for _ in $(seq 50); do [[ $(delivered "$1") -ge $2 ]] && return 0; sleep 0.2; done
  return 1
}
sent=0 n_delivered=0 n_quarantined=0 n_rejected=0 n_deferred=0

# 1. clean -> delivered with our headers
send clean --header "Subject: wp-clean-1" --body "hello from the milter test"; sent=$((sent + 1))
grep -q "^<-  250 .*queued" "$T/swaks.clean" || fail "clean message not accepted: $(tail -3 "$T/swaks.clean")"
wait_delivered wp-clean-1 1 || fail "clean message not delivered"
grep -q "^X-Watchpost-Verdict: clean" "$mbox" || fail "no X-Watchpost-Verdict header"
grep -q "^X-Watchpost-Score: 0" "$mbox" || fail "no X-Watchpost-Score header"
grep -q "^X-Watchpost-Severity: 0" "$mbox" || fail "no X-Watchpost-Severity header"
grep -q "^X-Watchpost-Findings: " "$mbox" || fail "no X-Watchpost-Findings header"
n_delivered=$((n_delivered + 1)); ok "clean message delivered with X-Watchpost-* headers"

# 1b. a forged verdict header is replaced, not kept
send forged --header "Subject: wp-forged" --header "X-Watchpost-Verdict: forged" --body "hi"
sent=$((sent + 1))
wait_delivered wp-forged 1 || fail "forged-header message not delivered"
grep -q "^X-Watchpost-Verdict: forged" "$mbox" && fail "a sender's X-Watchpost-Verdict survived"
n_delivered=$((n_delivered + 1)); ok "forged X-Watchpost-Verdict removed"

# 2. EICAR -> quarantined in our spool, not delivered
send eicar --data "$FIX/eicar_nested.eml"; sent=$((sent + 1))
grep -q "^<-  250 " "$T/swaks.eicar" || fail "quarantined message not answered 250"
sleep 1
grep -q "EICAR" "$mbox" && fail "the EICAR message was delivered"
"$WP" quarantine list --db "$T/store/store.db" > "$T/qlist" 2>&1 || fail "quarantine list: $(cat "$T/qlist")"
[[ $(grep -c "alice@example.org" "$T/qlist") -eq 1 ]] || fail "quarantine list: $(cat "$T/qlist")"
n_quarantined=$((n_quarantined + 1)); ok "EICAR quarantined and not delivered"
# ... and pushed at once to the webhook: one alert, for this message, with its reference
for _ in $(seq 50); do [[ -s "$T/alerts.jsonl" ]] && break; sleep 0.1; done
[[ $(wc -l < "$T/alerts.jsonl" 2>/dev/null || echo 0) -eq 1 ]] || fail "expected one alert, got: $(cat "$T/alerts.jsonl" 2>/dev/null)"
grep -q '"malware"' "$T/alerts.jsonl" || fail "alert does not say malware: $(cat "$T/alerts.jsonl")"
ref=$(awk 'NR==2{print $1}' "$T/qlist")
grep -q "$ref" "$T/alerts.jsonl" || fail "alert does not carry the quarantine reference $ref"
ok "alert for the quarantined message reached the webhook"

# 3. milter killed -9 -> 4xx; restart; the sender's retry is delivered
kill -9 "$MPID"; wait "$MPID" 2>/dev/null; MPID=
send down --header "Subject: wp-retry-1" --body "sent while the milter was down"; sent=$((sent + 1))
grep -qE "^<\*\* +4[0-9][0-9] " "$T/swaks.down" || fail "milter down: no 4xx: $(tail -3 "$T/swaks.down")"
grep -q "^<-  250 .*queued" "$T/swaks.down" && fail "milter down but the message was queued"
n_deferred=$((n_deferred + 1)); ok "milter down -> $(grep -E '^<\*\* +4' "$T/swaks.down" | head -1)"
start_milter
postqueue -c "$CONF" -f
send retry --header "Subject: wp-retry-1" --body "sent while the milter was down"
grep -q "^<-  250 .*queued" "$T/swaks.retry" || fail "retry not accepted"
wait_delivered wp-retry-1 1 || fail "retried message not delivered"
n_delivered=$((n_delivered + 1)); n_deferred=$((n_deferred - 1))
ok "after restart the deferred message was delivered"

# 4. SIGHUP: malware now rejects; the new engine serves the next message
printf 'action.malware = reject\nmilter.internal_networks = 10.0.0.0/8\n' > "$T/watchpost.conf"
kill -HUP "$MPID"
for _ in $(seq 900); do grep -q "generation 2 serves" "$T/milter.log" && break; sleep 0.2; done
grep -q "generation 2 serves" "$T/milter.log" || fail "SIGHUP did not reload"
kill -0 "$MPID" 2>/dev/null || fail "milter died on SIGHUP"
send reject --data "$FIX/eicar_nested.eml"; sent=$((sent + 1))
grep -qE "^<\*\* +550 5\.7\.1 rejected by policy, reference [0-9a-f]{16}" "$T/swaks.reject" ||
  fail "no 550 with a reference: $(grep '^<\*\*' "$T/swaks.reject")"
grep -qi "eicar\|malware\|YARA" <(grep '^<\*\*' "$T/swaks.reject") && fail "reply leaks detection details"
ref=$(grep -oE "reference [0-9a-f]{16}" "$T/swaks.reject" | awk '{print $2}')
"$WP" quarantine list --db "$T/store/store.db" > "$T/qlist" 2>&1
grep -q "$ref" "$T/qlist" || fail "rejected message $ref not kept in the spool: $(cat "$T/qlist")"
n_rejected=$((n_rejected + 1)); ok "after SIGHUP malware is rejected with reference $ref (kept)"

# 4b. the spool cannot be written: tempfail, never accept or drop; the retry is kept
chmod 000 "$T/store/spool"
send nostore --data "$FIX/eicar_nested.eml"; sent=$((sent + 1))
chmod 700 "$T/store/spool"
grep -qE "^<\*\* +4[0-9][0-9] " "$T/swaks.nostore" ||
  fail "store failure: no 4xx: $(grep '^<\*\*' "$T/swaks.nostore")"
grep -q "tempfail: cannot quarantine" "$T/milter.log" || fail "store failure not logged"
send nostore2 --data "$FIX/eicar_nested.eml"
grep -qE "^<\*\* +550 5\.7\.1 rejected by policy" "$T/swaks.nostore2" || fail "retry after store failure"
n_rejected=$((n_rejected + 1)); ok "unwritable spool -> $(grep -E '^<\*\* +4' "$T/swaks.nostore" | head -1); retry kept"

# 5. accounting: every message sent is delivered, quarantined or rejected-and-kept
postqueue -c "$CONF" -p > "$T/queue.txt" 2>&1
grep -q "Mail queue is empty" "$T/queue.txt" || fail "Postfix queue not empty: $(cat "$T/queue.txt")"
got=$(grep -c "^Subject: wp-" "$mbox")
[[ $got -eq $n_delivered ]] || fail "mailbox has $got test messages, expected $n_delivered"
"$WP" events --db "$T/store/store.db" > "$T/events" 2>&1 || fail "events: $(cat "$T/events")"
total=$((n_delivered + n_quarantined + n_rejected + n_deferred))
[[ $total -eq $sent ]] || fail "sent $sent, accounted $total"
ok "sent $sent: delivered $n_delivered, quarantined $n_quarantined, rejected $n_rejected, lost 0"

# 6. SIGTERM stops cleanly
kill -TERM "$MPID"; wait "$MPID"; rc=$?; MPID=
[[ $rc -eq 0 ]] || fail "milter exit status $rc after SIGTERM"
ok "SIGTERM: clean exit"
echo "$pass passed, 0 failed"
