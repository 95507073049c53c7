#!/usr/bin/env bash
# serve/run.sh - `watchpost serve` against a real store, over real HTTP(S) with curl, then the
# dashboard in a real browser (Debian chromium through playwright-core, the shared kit).
#
# The store is the demo's: samples/ scanned and recorded as the organisation of
# samples/demo.conf, an hour of generated Zeek logs ingested (an incident), plus a message
# whose Subject and attachment name carry script payloads and Japanese text. As root the server
# drops to 'nobody' (the store is given to it), as it would in production.
#
# Checks: health; 401 without credentials; the authorisation matrix (viewer, analyst, admin
# tokens x every endpoint); CSRF on cookie sessions; login rate limit; keyset pagination and
# bad cursors; malformed and oversized input (400, 413, 431, 404, 405); SQL metacharacters
# are data; release re-injects to a local SMTP sink and is audited; TLS with the self-signed
# pair (fingerprint printed = certificate's, Secure cookie); plain HTTP refused off loopback.
# usage: run.sh WATCHPOST SOURCE_DIR
set -uo pipefail
WP=$1
SRC=$2
cd "$SRC" || exit 1 # samples/demo.conf names its lists relative to the checkout
TMP=$(mktemp -d /tmp/wp-serve.XXXXXX)
chmod 755 "$TMP"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
pass=0
failed=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
skip() {
  if [[ ${WP_REQUIRE_ALL:-} == 1 ]]; then echo "FAIL (WP_REQUIRE_ALL=1, would skip): $*"; exit 1; fi
  echo "SKIP: $*"; exit 77
}
command -v curl >/dev/null || skip "curl is not installed"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- the store ----
DB=$TMP/state/watchpost.db
SPOOL=$TMP/state/quarantine
mkdir -p "$TMP/state"
"$WP" scan -q -c "$SRC/samples/demo.conf" --record --db "$DB" --spool "$SPOOL" \
  --rcpt hanako.suzuki@mofa.go.jp "$SRC/samples/" >/dev/null 2>&1
python3 "$SRC/tools/netgen.py" --out "$TMP/zeek" --hosts 20 --hours 1 --start "$(date +%s)" \
  --seed 7 --beacon 10.20.0.15:203.0.113.50:60:0.2 >/dev/null
"$WP" ingest -c "$SRC/samples/demo.conf" --db "$DB" --quiet "$TMP/zeek" >/dev/null 2>&1
HOSTILE=$TMP/hostile.eml
{
  printf 'From: "<img src=x onerror=window.__pwned=1>" <attacker@evil.example>\r\n'
  printf 'To: hanako.suzuki@mofa.go.jp\r\n'
  printf 'Subject: <script>window.__pwned=1</script><img src=x onerror="window.__pwned=1"> =?UTF-8?B?5aSW5YuZ55yB44Gu6YCa55+l?=\r\n'
  printf 'Message-ID: <hostile@evil.example>\r\nMIME-Version: 1.0\r\n'
  printf 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n'
  printf '<p>Open <a href="javascript:window.__pwned=1">this</a></p><script>window.__pwned=1</script>\r\n'
  printf -- '--b\r\nContent-Type: application/octet-stream\r\n'
  printf 'Content-Disposition: attachment; filename="<svg onload=window.__pwned=1>.pdf.exe"\r\n'
  printf 'Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAA=\r\n--b--\r\n'
} >"$HOSTILE"
"$WP" scan -q -c "$SRC/samples/demo.conf" --record --db "$DB" --spool "$SPOOL" \
  --mail-from attacker@evil.example --rcpt hanako.suzuki@mofa.go.jp "$HOSTILE" >/dev/null 2>&1
HOSTILE_ID=$("$WP" events --db "$DB" --json --limit 1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])')
INCIDENT_ID=$("$WP" incidents list --db "$DB" --json | head -1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])')
[[ -n $HOSTILE_ID && -n $INCIDENT_ID ]] && ok "demo store with a hostile event ($HOSTILE_ID) and incident $INCIDENT_ID" ||
  { bad "no demo store"; exit 1; }

ADMIN_PW=admin-pass-$$
echo "$ADMIN_PW" | "$WP" user add admin --role admin --password-stdin --db "$DB" >/dev/null
echo "analyst-pass-$$" | "$WP" user add ann --role analyst --password-stdin --db "$DB" >/dev/null
echo "viewer-pass-$$" | "$WP" user add vic --role viewer --password-stdin --db "$DB" >/dev/null
echo "rate-pass-$$" | "$WP" user add rate --role viewer --password-stdin --db "$DB" >/dev/null
declare -A TOK
for u in admin ann vic; do
  TOK[$u]=$("$WP" token create --user "$u" --name t --db "$DB" | tail -1)
  [[ ${TOK[$u]} == wpt_* ]] || bad "token create for $u printed '${TOK[$u]}'"
done
"$WP" token create --user vic --name up --role admin --db "$DB" >/dev/null 2>&1 &&
  bad "a viewer got an admin token" || ok "a token's role is at most its user's"

RUNAS=()
if [[ $EUID -eq 0 ]]; then
  chown -R nobody "$TMP/state"
  RUNAS=(--user nobody)
fi
mkdir -p "$TMP/sink"
python3 "$SRC/tests/smtp_sink.py" "$TMP/sink.port" "$TMP/sink" &
PIDS+=($!)
for _ in $(seq 50); do [[ -s $TMP/sink.port ]] && break; sleep 0.1; done

PORT=$(free_port)
"$WP" serve --db "$DB" --spool "$SPOOL" --listen "127.0.0.1:$PORT" --insecure-http "${RUNAS[@]}" \
  --release-smtp "127.0.0.1:$(cat "$TMP/sink.port")" >"$TMP/serve.log" 2>&1 &
PIDS+=($!)
B=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -fs "$B/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[[ $(code "$B/healthz") == 200 ]] && ok "healthz" || { bad "server did not start: $(cat "$TMP/serve.log")"; exit 1; }
if [[ $EUID -eq 0 ]]; then
  u=$(ps -o user= -p "${PIDS[-1]}")
  [[ $u == nobody ]] && ok "runs as nobody after the drop" || bad "runs as '$u'"
fi

# ---- authentication and the role matrix ----
[[ $(code "$B/api/v1/events") == 401 ]] && ok "no credentials: 401" || bad "no credentials"
[[ $(code -H "Authorization: Bearer wpt_nope" "$B/api/v1/events") == 401 ]] && ok "bad token: 401" || bad "bad token"
REF=$("$WP" quarantine list --db "$DB" --json --state held | python3 -c 'import json,sys; print([json.loads(l)["ref"] for l in sys.stdin][0])')
REFS=($("$WP" quarantine list --db "$DB" --json --state held | python3 -c 'import json,sys; print(" ".join(json.loads(l)["ref"] for l in sys.stdin))'))
(( ${#REFS[@]} >= 5 )) || bad "want 5 held messages, have ${#REFS[@]}"
BROWSER_REF=${REFS[0]}
# method path body expected-for-viewer expected-for-analyst expected-for-admin
matrix=(
  "GET /api/v1/events - 200 200 200"
  "GET /api/v1/events/$HOSTILE_ID - 200 200 200"
  "GET /api/v1/quarantine - 200 200 200"
  "GET /api/v1/quarantine/${REFS[1]}/raw - 403 200 200"
  "GET /api/v1/incidents - 200 200 200"
  "GET /api/v1/incidents/$INCIDENT_ID - 200 200 200"
  "GET /api/v1/stats - 200 200 200"
  "GET /api/v1/audit - 403 403 200"
  "GET /metrics - 200 200 200"
  "GET /api/v1/me - 200 200 200"
  "POST /api/v1/scan @$HOSTILE 403 200 200"
  "POST /api/v1/quarantine/${REFS[2]}/delete {\"reason\":\"matrix\"} 403 200 409"
  "POST /api/v1/incidents/$INCIDENT_ID/ack {\"note\":\"matrix\"} 403 200 409"
)
roles=(vic ann admin)
for row in "${matrix[@]}"; do
  read -r m p body e0 e1 e2 <<<"$row"
  exp=($e0 $e1 $e2)
  for i in 0 1 2; do
    args=(-X "$m" -H "Authorization: Bearer ${TOK[${roles[$i]}]}")
    if [[ $body == @* ]]; then args+=(--data-binary "$body"); elif [[ $body != - ]]; then args+=(-d "$body"); fi
    got=$(code "${args[@]}" "$B$p")
    [[ $got == "${exp[$i]}" ]] || bad "$m $p as ${roles[$i]}: $got, expected ${exp[$i]}"
  done
done
(( failed == 0 )) && ok "role matrix (${#matrix[@]} endpoints x 3 roles)"

# ---- sessions and CSRF ----
CJ=$TMP/cookies
curl -s -c "$CJ" -o "$TMP/login.json" -D "$TMP/login.h" -d "{\"username\":\"admin\",\"password\":\"$ADMIN_PW\"}" "$B/api/v1/login"
CSRF=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$TMP/login.json")
grep -qi '^set-cookie: wp_session=.*HttpOnly; SameSite=Strict' "$TMP/login.h" && ok "session cookie HttpOnly, SameSite=Strict" || bad "cookie flags: $(grep -i set-cookie "$TMP/login.h")"
[[ $(code -b "$CJ" -X POST -d '{"reason":"x"}' "$B/api/v1/quarantine/${REFS[3]}/delete") == 403 ]] && ok "cookie POST without CSRF token: 403" || bad "CSRF not enforced"
[[ $(code -b "$CJ" -X POST -H "X-CSRF-Token: nope$CSRF" -d '{"reason":"x"}' "$B/api/v1/quarantine/${REFS[3]}/delete") == 403 ]] && ok "wrong CSRF token: 403" || bad "wrong CSRF token accepted"
[[ $(code -b "$CJ" -X POST -H "X-CSRF-Token: $CSRF" -d '{"reason":"spam after all"}' "$B/api/v1/quarantine/${REFS[3]}/delete") == 200 ]] && ok "cookie POST with CSRF token: 200" || bad "CSRF token refused"
[[ $(code -b "$CJ" -X POST -H "X-CSRF-Token: $CSRF" -d '{}' "$B/api/v1/quarantine/${REFS[4]}/delete") == 400 ]] && ok "an action without a reason: 400" || bad "reason not required"
[[ $(code -b "$CJ" -X POST -H "X-CSRF-Token: $CSRF" "$B/api/v1/logout") == 204 ]] && [[ $(code -b "$CJ" "$B/api/v1/me") == 401 ]] &&
  ok "logout ends the session" || bad "session alive after logout"

# ---- release to the SMTP sink, audited ----
R=$(curl -s -X POST -H "Authorization: Bearer ${TOK[ann]}" -d '{"reason":"false positive, checked"}' "$B/api/v1/quarantine/${REFS[1]}/release")
n=$(ls "$TMP/sink" | grep -c '\.eml$')
[[ $R == *'"state":"released"'* && $n -eq 1 ]] && ok "release re-injected once to the sink" || bad "release: $R, $n delivered"
grep -q "X-Watchpost-Released: ${REFS[1]} by ann" "$TMP/sink"/*.eml && ok "released copy carries X-Watchpost-Released" || bad "no trace header"
[[ $(code -X POST -H "Authorization: Bearer ${TOK[ann]}" -d '{"reason":"again"}' "$B/api/v1/quarantine/${REFS[1]}/release") == 409 ]] && ok "second release: 409" || bad "second release not refused"
curl -s -H "Authorization: Bearer ${TOK[admin]}" "$B/api/v1/audit?limit=100" >"$TMP/audit.json"
python3 - "$TMP/audit.json" "${REFS[1]}" <<'PY' && ok "audit log: who, from where, what, why" || bad "audit log incomplete"
import json, sys
a = json.load(open(sys.argv[1]))["items"]
rel = [e for e in a if e["action"] == "quarantine.release" and e["object"] == sys.argv[2] and e["result"] == "ok"]
assert rel and rel[0]["user"] == "ann" and rel[0]["address"] == "127.0.0.1" and rel[0]["reason"] == "false positive, checked"
assert any(e["action"] == "login" and e["result"] == "ok" for e in a)
PY

# ---- pagination ----
H=(-H "Authorization: Bearer ${TOK[vic]}")
curl -s "${H[@]}" "$B/api/v1/events?limit=3" >"$TMP/p1.json"
next=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["next_cursor"])' "$TMP/p1.json")
curl -s "${H[@]}" "$B/api/v1/events?limit=3&cursor=$next" >"$TMP/p2.json"
python3 - "$TMP/p1.json" "$TMP/p2.json" <<'PY' && ok "keyset pages: disjoint, newest first" || bad "pagination"
import json, sys
a, b = (json.load(open(f))["items"] for f in sys.argv[1:3])
ia, ib = [e["id"] for e in a], [e["id"] for e in b]
assert len(ia) == 3 and len(ib) == 3 and not set(ia) & set(ib) and ia == sorted(ia, reverse=True) and max(ib) < min(ia)
PY
for c in abc -1 0 99999999999999999999 "1;DROP"; do
  [[ $(code "${H[@]}" -G --data-urlencode "cursor=$c" "$B/api/v1/events") == 400 ]] || bad "cursor '$c' not refused"
done
ok "bad cursors: 400"

# ---- bad input ----
[[ $(code "${H[@]}" "$B/api/v1/events?verdict=evil") == 400 ]] && ok "unknown verdict: 400" || bad "unknown verdict"
[[ $(code "${H[@]}" "$B/api/v1/events?since=yesterday") == 400 ]] && ok "bad time: 400" || bad "bad time"
[[ $(code "${H[@]}" "$B/api/v1/events?limit=100000") == 400 ]] && ok "limit too high: 400" || bad "limit"
r=$(curl -s "${H[@]}" -G --data-urlencode "sender=x' OR '1'='1" --data-urlencode "subject=%' OR 1=1 --" "$B/api/v1/events")
[[ $r == '{"items":[],"next_cursor":null}' ]] && ok "SQL metacharacters are data" || bad "metacharacters: $r"
[[ $(code "${H[@]}" "$B/api/v1/nothing") == 404 ]] && ok "unknown path: 404" || bad "404"
[[ $(code -X DELETE "${H[@]}" "$B/api/v1/events") == 405 ]] && ok "wrong method: 405" || bad "405"
A=(-H "Authorization: Bearer ${TOK[admin]}")
[[ $(code -X POST "${A[@]}" -d '{"reason":' "$B/api/v1/quarantine/${REFS[4]}/delete") == 400 ]] && ok "malformed JSON: 400" || bad "malformed JSON"
head -c 200000 /dev/zero | tr '\0' 'a' >"$TMP/big"
[[ $(code -X POST "${A[@]}" --data-binary @"$TMP/big" "$B/api/v1/quarantine/${REFS[4]}/delete") == 413 ]] && ok "oversized body: 413" || bad "413"
[[ $(code "${H[@]}" -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' 'b')" "$B/api/v1/events") =~ ^(431|413|400)$ ]] && ok "oversized headers refused" || bad "header limit"
q=$(python3 -c 'print("&".join("k%d=v" % i for i in range(40)))')
[[ $(code "${H[@]}" "$B/api/v1/events?$q") == 400 ]] && ok "too many parameters: 400" || bad "parameter count"
[[ $(code "${H[@]}" "$B/api/v1/events/../../etc/passwd") == 404 ]] && ok "path tricks: 404" || bad "path tricks"
r=$(curl -s -X POST "${A[@]}" --data-binary @"$HOSTILE" "$B/api/v1/scan")
[[ $r == *'"schema":"1.1"'* && $r == *'"verdict":{"class":"malware"'* ]] && ok "POST /scan returns the scan JSON" || bad "scan: ${r:0:200}"
curl -s "${H[@]}" "$B/api/v1/events/$HOSTILE_ID" >"$TMP/hostile.json"
python3 - "$TMP/hostile.json" <<'PY' && ok "event detail: findings, report, subject kept verbatim (JSON-escaped, UTF-8)" || bad "event detail"
import json, sys
e = json.load(open(sys.argv[1]))
assert "<script>window.__pwned=1</script>" in e["subject"] and "外務省の通知" in e["subject"], e["subject"]
assert e["findings"] and e["report"]["parts"] and e["recipients"] == ["hanako.suzuki@mofa.go.jp"]
PY
m=$(curl -s "${H[@]}" "$B/metrics")
[[ $m == *'watchpost_http_request_duration_seconds_bucket{le="+Inf"}'* && $m == *watchpost_quarantine_held* ]] && ok "metrics in Prometheus format" || bad "metrics"
curl -s "$B/" -D "$TMP/root.h" -o /dev/null
grep -qi "^content-security-policy: default-src 'self'; script-src 'self'" "$TMP/root.h" && grep -qi "^x-frame-options: DENY" "$TMP/root.h" &&
  ok "dashboard served with CSP and frame denial" || bad "security headers"

# ---- TLS with the self-signed pair ----
TPORT=$(free_port)
"$WP" serve --db "$DB" --spool "$SPOOL" --listen "127.0.0.1:$TPORT" "${RUNAS[@]}" >"$TMP/tls.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -kfs "https://127.0.0.1:$TPORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
fp=$(sed -n 's/.*SHA-256 fingerprint \([0-9A-F:]*\).*/\1/p' "$TMP/tls.log")
real=$(openssl x509 -in "$TMP/state/serve-cert.pem" -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//')
[[ -n $fp && $fp == "$real" ]] && ok "TLS: self-signed pair made, fingerprint printed" || bad "fingerprint '$fp' vs '$real': $(cat "$TMP/tls.log")"
[[ $(stat -c %a "$TMP/state/serve-key.pem") == 600 ]] && ok "key file mode 0600" || bad "key mode"
curl -ks -D "$TMP/tls.h" -o /dev/null -d "{\"username\":\"admin\",\"password\":\"$ADMIN_PW\"}" "https://127.0.0.1:$TPORT/api/v1/login"
grep -qi '^set-cookie: wp_session=.*; Secure' "$TMP/tls.h" && ok "TLS: Secure cookie" || bad "no Secure cookie"
"$WP" serve --db "$DB" --listen 0.0.0.0:1 --insecure-http >/dev/null 2>&1
[[ $? -eq 3 ]] && ok "plain HTTP off loopback: refused (exit 3)" || bad "plain HTTP off loopback accepted"

# ---- more checks, one file per area (tests/serve/check_*.sh), sourced here: they see B, H,
#      A (viewer and admin token headers), TOK, DB, WP, SRC, TMP, ok and bad ----
for f in "$SRC"/tests/serve/check_*.sh; do
  [[ -f $f ]] || continue
  # shellcheck source=/dev/null
  source "$f"
done

# ---- the dashboard in a real browser ----
KIT=$SRC/../shared/peers/browser
if [[ ! -f $KIT/browser_check.mjs ]]; then
  bad_or_skip="the shared browser kit ($KIT) is not beside the checkout"
  [[ ${WP_REQUIRE_ALL:-} == 1 ]] && bad "$bad_or_skip" || echo "SKIP: $bad_or_skip"
elif ! "$SRC/scripts/install-browser.sh" >"$TMP/kit.log" 2>&1; then
  bad "browser kit install: $(tail -3 "$TMP/kit.log")"
else
  export BROWSER_KIT_DIR=${WP_BROWSER_KIT_DIR:-$SRC/build/browser}
  export CHROMIUM_NO_SANDBOX=1 # root, and containers without user namespaces
  SHOTS=${WP_SCREENSHOTS:-$SRC/build/screenshots}
  mkdir -p "$SHOTS"
  # every page test of tests/web/ (dashboard.mjs first: it needs the untouched demo data)
  for t in "$SRC/tests/web/dashboard.mjs" $(ls "$SRC"/tests/web/*.mjs | grep -v '/dashboard.mjs$'); do
    name=$(basename "$t" .mjs)
    mkdir -p "$SHOTS/$name"
    if WP_WEB_USER=admin WP_WEB_PASS=$ADMIN_PW WP_WEB_HOSTILE_ID=$HOSTILE_ID WP_WEB_QREF=$BROWSER_REF \
       WP_WEB_INCIDENT_ID=$INCIDENT_ID WP_WEB_VERDICT=malware WP_WEB_VIEWER_USER=vic \
       WP_WEB_VIEWER_PASS=viewer-pass-$$ \
       node "$KIT/browser_check.mjs" "$t" --base "$B" --screenshots "$SHOTS/$name" \
         >"$TMP/browser-$name.log" 2>&1; then
      ok "$name in chromium: $(tail -1 "$TMP/browser-$name.log" | sed 's/ passed, / passed \/ /') (screenshots in $SHOTS/$name)"
    else
      sed 's/^/    /' "$TMP/browser-$name.log" | tail -40
      bad "$name in chromium"
    fi
  done
fi

# ---- login rate limit: last, since it locks this address out for a quarter hour ----
for i in 1 2 3 4 5; do code -d '{"username":"rate","password":"wrong"}' "$B/api/v1/login" >/dev/null; done
[[ $(code -d "{\"username\":\"rate\",\"password\":\"rate-pass-$$\"}" "$B/api/v1/login") == 429 ]] && ok "5 failures: 429 even with the right password" || bad "no rate limit"

if ((failed > 0)); then
  echo "--- the server's log:"
  tail -40 "$TMP/serve.log"
fi
grep -q "Sanitizer\|runtime error" "$TMP/serve.log" "$TMP/tls.log" 2>/dev/null && bad "a sanitizer report in the server's log"
echo "$pass passed, $failed failed"
[[ $failed -eq 0 ]]
