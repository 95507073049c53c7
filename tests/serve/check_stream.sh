# check_stream.sh - sourced by tests/serve/run.sh: live updates (GET /api/v1/stream, SSE).
# A viewer's stream gets a "decision" event for a message recorded while it listens, within a
# few seconds; without credentials the stream is 401; 30 clients that come and go leave the
# server healthy (each ended stream is swept).
[[ $(code "$B/api/v1/stream") == 401 ]] && ok "stream without credentials: 401" || bad "stream auth"
curl -sN --max-time 8 "${H[@]}" "$B/api/v1/stream" >"$TMP/stream.out" 2>/dev/null &
SPID=$!
sleep 2
printf 'From: live@sender.example\r\nTo: x@mofa.go.jp\r\nSubject: live update check\r\nMessage-ID: <live@x>\r\n\r\nhello\r\n' >"$TMP/live.eml"
"$WP" scan -q --record --db "$DB" --spool "$SPOOL" "$TMP/live.eml" >"$TMP/live.log" 2>&1
# as root: whatever the scan made stays the server's user's
[[ $EUID -eq 0 ]] && chown -R nobody "$TMP/state"
for _ in $(seq 40); do grep -q '"subject":"live update check"' "$TMP/stream.out" && break; sleep 0.2; done
kill "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
grep -q '^retry: 3000' "$TMP/stream.out" && grep -q '^event: decision' "$TMP/stream.out" &&
  grep -q '"subject":"live update check"' "$TMP/stream.out" &&
  ok "stream: a new decision arrives as an SSE event" ||
  bad "stream: $(head -c 300 "$TMP/stream.out"); the scan said: $(tail -3 "$TMP/live.log")"
spids=()
for _ in $(seq 30); do
  curl -sN --max-time 1 "${H[@]}" "$B/api/v1/stream" >/dev/null 2>&1 &
  spids+=($!)
done
wait "${spids[@]}" 2>/dev/null
[[ $(code "$B/healthz") == 200 ]] && ok "30 short-lived streams: server healthy" || bad "server after streams"
