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

skip() { # 77: ctest shows Skipped; under WP_REQUIRE_ALL=1 (CI) a skip is a failure
  if [[ ${WP_REQUIRE_ALL:-} == 1 ]]; then echo "FAIL (WP_REQUIRE_ALL=1, would skip): $*"; exit 1; fi
  echo "SKIP: $*"; exit 77
}
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
  [[ -n ${TMPFS_STORE:-} ]] && umount -l "$T/store" 2>/dev/null
  [[ -n ${KEEP:-} ]] || rm -rf "$T"
}
trap cleanup EXIT

# ---- the Postfix instance (and a milter-free port for releases from quarantine)
mkdir -p "$T/store"
# the rules where the run user can read them, as the package installs them: reloads (4.)
# read them again as nobody, and the checkout may be in root's mode-700 home
cp -r "$RULES" "$T/rules" && chmod -R a+rX "$T/rules"
export WATCHPOST_RULES=$T/rules
# the store on a file system of its own, so the test can fill it up (4c); not fatal if the
# machine does not allow mounts
TMPFS_STORE=
mount -t tmpfs -o size=64m tmpfs "$T/store" 2>/dev/null && TMPFS_STORE=1
chown nobody:nogroup "$T/store"
why=$(pf_setup "$T" "$SPORT" "inet:127.0.0.1:$MPORT" "$RPORT") || skip "$why"

# ---- a webhook receiver for the alerts (one JSON body per line in $T/alerts.jsonl)
python3 "$(dirname "$0")/../http_sink.py" "$T/alert.port" "$T/alerts.jsonl" > "$T/alertd.log" 2>&1 &
APID=$!
for _ in $(seq 50); do [[ -s $T/alert.port ]] && break; sleep 0.1; done
[[ -s $T/alert.port ]] || fail "webhook receiver did not start"
APORT=$(cat "$T/alert.port")

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
sent=0 n_delivered=0 n_quarantined=0 n_rejected=0 n_deferred=0 n_refused=0 n_released=0

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

# 2b. release: re-injected over SMTP (the milter-free port) to the original recipient,
#     marked released with who did it; a second release is refused
"$WP" quarantine release "$ref" --by analyst1 --smtp "127.0.0.1:$RPORT" \
  --db "$T/store/store.db" --spool "$T/store/spool" > "$T/release.out" 2>&1 ||
  fail "release: $(cat "$T/release.out")"
grep -q "re-injected via 127.0.0.1:$RPORT to 1 recipient" "$T/release.out" || fail "release said: $(cat "$T/release.out")"
for _ in $(seq 50); do grep -q "^X-Watchpost-Released: $ref by analyst1" "$mbox" 2>/dev/null && break; sleep 0.2; done
grep -q "^X-Watchpost-Released: $ref by analyst1" "$mbox" || fail "released message not delivered: $(tail -5 "$T/postfix.log")"
grep -q "fixture-eicar-nested@watchpost.test" "$mbox" || fail "the released message is not the original"
"$WP" quarantine list --state released --db "$T/store/store.db" > "$T/qrel" 2>&1
grep -q "$ref" "$T/qrel" || fail "not listed as released: $(cat "$T/qrel")"
"$WP" quarantine release "$ref" --smtp "127.0.0.1:$RPORT" --db "$T/store/store.db" \
  --spool "$T/store/spool" > "$T/release2.out" 2>&1 && fail "a second release of $ref succeeded"
n_released=1; ok "quarantined message released by analyst1 via SMTP and delivered; a second release refused"

# 2c. outbound (client in milter.internal_networks, set by XCLIENT) with a classification
#     marking: held in quarantine at severity 5, not delivered, alerted
printf 'From: Alice <alice@watchpost.test>\nTo: Bob <bob@watchpost.test>\nSubject: wp-dlp-1\nMessage-ID: <dlp-1@watchpost.test>\n\nThe attached assessment is classified SECRET. Do not forward.\n' > "$T/dlp.eml"
send dlp --from alice@watchpost.test --xclient "ADDR=10.1.2.3" --data "$T/dlp.eml"; sent=$((sent + 1))
grep -q "^<-  250 " "$T/swaks.dlp" || fail "DLP message not answered 250: $(grep '^<' "$T/swaks.dlp" | tail -3)"
grep -qE "quarantine verdict=[a-z]+ score=[0-9]+ severity=5 " "$T/milter.log" || fail "no severity-5 hold in the milter log"
sleep 1
[[ $(delivered wp-dlp-1) -eq 0 ]] || fail "the classified outbound message was delivered"
for _ in $(seq 50); do grep -q '"severity":5' "$T/alerts.jsonl" && break; sleep 0.1; done
grep -q '"severity":5' "$T/alerts.jsonl" || fail "no severity-5 alert: $(cat "$T/alerts.jsonl")"
n_quarantined=$((n_quarantined + 1)); ok "outbound SECRET-marked mail held at severity 5 and alerted"

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
# the run user keeps its compiled rules beside the store (the first engine is compiled as
# root before the privilege drop and does not use a cache directory root does not own)
ls "$T/store/rules-cache"/*.hsdb >/dev/null 2>&1 || fail "no rules cache in $T/store/rules-cache: $(ls -la "$T/store" 2>&1)"
ok "compiled rules cached beside the store, as $(stat -c %U "$T/store/rules-cache")"
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

# 4c. the store's file system full (a tmpfs filled up): tempfail with the reason; the
#     retry after space is freed is kept
if [[ -n $TMPFS_STORE ]]; then
  dd if=/dev/zero of="$T/store/filler" bs=64k 2>/dev/null
  send full --data "$FIX/eicar_nested.eml"; sent=$((sent + 1))
  rm -f "$T/store/filler"
  grep -qE "^<\*\* +4[0-9][0-9] " "$T/swaks.full" || fail "full disk: no 4xx: $(grep '^<\*\*' "$T/swaks.full")"
  grep -qiE "tempfail: cannot (quarantine|record).*(no space left|disk is full)" "$T/milter.log" ||
    fail "full disk not logged as such: $(grep tempfail "$T/milter.log" | tail -2)"
  send full2 --data "$FIX/eicar_nested.eml"
  grep -qE "^<\*\* +550 5\.7\.1 rejected by policy" "$T/swaks.full2" || fail "retry after full disk: $(grep '^<\*\*' "$T/swaks.full2")"
  n_rejected=$((n_rejected + 1)); ok "full disk -> $(grep -E '^<\*\* +4' "$T/swaks.full" | head -1); retry kept"
else
  echo "note: cannot mount a tmpfs here; the full-disk case is covered by the unwritable spool only"
fi

# 4d. the milter hangs (SIGSTOP) past Postfix's milter timeouts: 4xx, never accepted unscanned
pf_set "$T" "milter_command_timeout = 3s"; pf_set "$T" "milter_content_timeout = 3s"
kill -STOP "$MPID"
send hung --header "Subject: wp-timeout-1" --body "sent while the milter hangs"; sent=$((sent + 1))
kill -CONT "$MPID"
grep -qE "^<\*\* +4[0-9][0-9] " "$T/swaks.hung" || fail "milter timeout: no 4xx: $(grep '^<' "$T/swaks.hung" | tail -3)"
grep -q "^<-  250 .*queued" "$T/swaks.hung" && fail "accepted while the milter hung"
grep -qiE "milter.*(timed out|timeout)" "$T/postfix.log" || fail "Postfix did not log a milter timeout"
send hung2 --header "Subject: wp-timeout-1" --body "sent while the milter hangs"
wait_delivered wp-timeout-1 1 || fail "retry after the milter timeout not delivered"
n_delivered=$((n_delivered + 1)); ok "milter hung -> $(grep -E '^<\*\* +4' "$T/swaks.hung" | head -1); retry delivered"

# 4e. malformed data Postfix passes through: NUL, bare CR, 8-bit and colon-less header lines,
#     a 3000-byte header line, a MIME boundary that never closes: a decision, no crash
python3 - "$T/bad.eml" <<'PY'
import sys
long = "X-Long: " + "A" * 3000
msg = (b"From: =?utf-8?B?broken <mallory@example.org>\r\nTo: bob@watchpost.test\r\n"
       b"Subject: wp-malformed-1\r\nNotAHeaderLine\r\nX-8bit: caf\xe9 \xff\xfe\r\n"
       + long.encode() + b"\r\nMIME-Version: 1.0\r\n"
       b"Content-Type: multipart/mixed; boundary=\"unterminated\r\n\r\n"
       b"--unterminated\r\nContent-Type: text/plain\r\n\r\nbody with a NUL \x00 and a bare \r CR\r\n"
       b"--unterminated\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
       b"TVqQAAMAAAAEAAAA//8AALgA====!!!\r\n")
open(sys.argv[1], "wb").write(msg)
PY
send bad --data "$T/bad.eml"; sent=$((sent + 1))
grep -aq "^<-  250 " "$T/swaks.bad" || fail "malformed message not answered 250: $(grep '^<' "$T/swaks.bad" | tail -3)"
kill -0 "$MPID" 2>/dev/null || fail "milter died on malformed data"
qid=$(grep -aoE "^<-  250 .*queued as [0-9A-F]+" "$T/swaks.bad" | awk '{print $NF}')
[[ -n $qid ]] || fail "no queue id in the reply to the malformed message"
grep -qE "$qid: (deliver|tag|quarantine|reject) verdict=" "$T/milter.log" || fail "no decision logged for the malformed message $qid"
if grep -qE "$qid: (deliver|tag) " "$T/milter.log"; then
  wait_delivered wp-malformed-1 1 || fail "malformed message judged deliverable but not delivered"
  n_delivered=$((n_delivered + 1))
else
  n_quarantined=$((n_quarantined + 1))
fi
ok "malformed data: $(grep -oE "$qid: [a-z]+ verdict=[a-z]+" "$T/milter.log")"

# 4f. sizes: over Postfix's message_size_limit -> 552 before the milter (the sender keeps
#     it); over the milter's max_message_bytes -> the first part is judged, the size logged
pf_set "$T" "message_size_limit = 1000000"
head -c 1200000 /dev/zero | tr '\0' 'a' | fold -w 76 > "$T/big.txt"
send big --header "Subject: wp-big-1" --body "$T/big.txt"; sent=$((sent + 1))
grep -qE "^<\*\* +552 " "$T/swaks.big" || fail "over message_size_limit: $(grep '^<\*\*' "$T/swaks.big" | head -2)"
n_refused=$((n_refused + 1))
printf 'action.malware = reject\nmilter.internal_networks = 10.0.0.0/8\nmax_message_bytes = 64K\n' > "$T/watchpost.conf"
kill -USR1 "$MPID"
for _ in $(seq 900); do grep -q "generation 3 serves" "$T/milter.log" && break; sleep 0.2; done
grep -q "generation 3 serves" "$T/milter.log" || fail "SIGUSR1 did not reload"
head -c 200000 /dev/zero | tr '\0' 'b' | fold -w 76 > "$T/mid.txt"
send mid --header "Subject: wp-big-2" --body "$T/mid.txt"; sent=$((sent + 1))
wait_delivered wp-big-2 1 || fail "message over max_message_bytes not delivered"
grep -qE "deliver verdict=clean .* scanned=6553[0-9] of size=[0-9]+" "$T/milter.log" || fail "no scanned=/size= log line for the large message"
n_delivered=$((n_delivered + 1)); ok "over message_size_limit -> 552; over max_message_bytes -> first 64 KiB judged, logged, delivered"

# 5. accounting: every message sent is delivered, quarantined or rejected-and-kept
postqueue -c "$CONF" -p > "$T/queue.txt" 2>&1
grep -q "Mail queue is empty" "$T/queue.txt" || fail "Postfix queue not empty: $(cat "$T/queue.txt")"
got=$(grep -c "^Subject: wp-" "$mbox")
[[ $got -eq $n_delivered ]] || fail "mailbox has $got test messages, expected $n_delivered"
[[ $(grep -c "^X-Watchpost-Released: " "$mbox") -eq $n_released ]] || fail "released copies in the mailbox"
qn=$("$WP" quarantine list --all --limit 1000 --db "$T/store/store.db" | grep -cE "^[0-9a-f]{16} ")
[[ $qn -eq $((n_quarantined + n_rejected)) ]] || fail "quarantine has $qn messages, expected $((n_quarantined + n_rejected))"
"$WP" events --db "$T/store/store.db" > "$T/events" 2>&1 || fail "events: $(cat "$T/events")"
total=$((n_delivered + n_quarantined + n_rejected + n_deferred + n_refused))
[[ $total -eq $sent ]] || fail "sent $sent, accounted $total"
ok "sent $sent: delivered $n_delivered, quarantined $n_quarantined (released $n_released), rejected $n_rejected, refused by Postfix $n_refused, lost 0"

# 6. SIGTERM stops cleanly
kill -TERM "$MPID"; wait "$MPID"; rc=$?; MPID=
[[ $rc -eq 0 ]] || fail "milter exit status $rc after SIGTERM"
ok "SIGTERM: clean exit"
echo "$pass passed, 0 failed"
