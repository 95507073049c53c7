#!/usr/bin/env bash
# serve_bench.sh - latency, throughput and memory of `watchpost serve` over a large store.
#
# usage:  bench/serve_bench.sh                    (root: serve runs with --user root)
# env:    N=1000000        decisions in the store
#         NI=10000         incidents
#         NREP=100000      newest decisions that keep their whole report
#         STORE=path       use this store (made by an earlier run with KEEP=1) instead of
#                          filling a new one; it is used in place (the token lands in it)
#         DURATION=15      seconds of each measured wrk run (after WARMUP=3 s unmeasured)
#         C=8              connections of the latency runs (list, search, detail)
#         C_RPS=32         connections of the throughput run (all three mixed)
#         WRK_THREADS=1    wrk threads (wrk shares the 2 cores with the server)
#         GZIP=1           send Accept-Encoding: gzip, as the dashboard's browser does
#         IDLE=1000        idle keep-alive connections held at the end; HOLD=10 s
#         WORST=1          also time a subject search that matches nothing (a full scan)
#         PORT=            default: a free port
#         WATCHPOST=path   binary (default build/release/watchpost; this script builds nothing)
#         KEEP=1           keep the work directory (store, server log, wrk outputs)
#         STRICT=1         exit 3 when a target is missed
#
# What it does: `watchpost scan --record` over tests/fixtures makes a real store; SQL
# (bench/serve_fill.sql) grows it to N decisions and NI incidents in about a minute; a user
# and an API token are made with `watchpost user add` / `watchpost token create`; the server
# runs as `watchpost serve --insecure-http --listen 127.0.0.1:PORT` with its defaults (one
# worker thread per CPU). Debian's wrk (bench/serve_wrk.lua picks a random path per request
# from a list) measures, closed loop, each class of request for DURATION seconds:
#   list    the event list as the dashboard opens it: first pages, since=24h, severity,
#           direction, verdict, and later pages (cursor=)
#   search  verdict + exact sender, verdict + sender domain (@dom), the campaign sender,
#           subject text (common and rare), recipient, finding code, SHA-256
#   detail  GET /api/v1/events/{id} over the newest 2*NREP decisions (half with a report)
#   mix     the three lists together with C_RPS connections: requests/s
# (list, search and detail also run with one connection for DURATION/3 s: the p99 of the
# service time alone, without queueing behind the other connections), and for each run the
# server's CPU time per request (from /proc/PID/stat), which other load on the machine
# disturbs far less than req/s and latency; the load average is printed before and after.
# then bench/serve_idle.py holds IDLE idle keep-alive connections (each after one request)
# while wrk runs the list again, and the server's VmRSS is sampled; VmHWM is read at the end.
# Targets: list and search p99 < 50 ms, detail p99 < 20 ms, >= 2000 requests/s (mix),
# VmHWM < 200 MB with IDLE connections. Results: docs/PERFORMANCE.md, "watchpost serve".
# Loopback only. Needs wrk, sqlite3 (installed from Debian when missing, as root), python3.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N=${N:-1000000}
NI=${NI:-10000}
NREP=${NREP:-100000}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-3}
C=${C:-8}
C_RPS=${C_RPS:-32}
WRK_THREADS=${WRK_THREADS:-1}
GZIP=${GZIP:-1}
IDLE=${IDLE:-1000}
HOLD=${HOLD:-10}
WORST=${WORST:-1}
TARGET_P99_LIST=50 TARGET_P99_DETAIL=20 TARGET_RPS=2000 TARGET_RSS_MB=200

WP=$(bench_watchpost)
for tool in wrk sqlite3 python3; do
    command -v "$tool" >/dev/null && continue
    [[ $EUID -eq 0 && $tool != python3 ]] || bench_die "$tool is missing"
    bench_log "installing $tool"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$tool" >&2 ||
        bench_die "could not install $tool"
done
PORT=${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
W=$(mktemp -d /tmp/wp-serve-bench.XXXXXX)
SERVER_PID=
cleanup() {
    [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    if [[ ${KEEP:-0} == 1 ]]; then bench_log "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

# ---- the store ----
if [[ -n ${STORE:-} ]]; then
    DB=$STORE
    [[ -f $DB ]] || bench_die "no store at $DB"
    SPOOL=$(dirname "$DB")/spool
    bench_log "using $DB"
else
    DB=$W/store.db SPOOL=$W/spool
    bench_log "recording tests/fixtures into $DB"
    rc=0
    "$WP" scan --record --db "$DB" --spool "$SPOOL" --mail-from alice@example.com \
        --rcpt bob@example.org "$BENCH_REPO"/tests/fixtures/*.eml >/dev/null 2>"$W/scan.err" || rc=$?
    ((rc <= 1)) || { cat "$W/scan.err" >&2; bench_die "watchpost scan --record failed ($rc)"; }
    bench_log "filling to $N decisions and $NI incidents (bench/serve_fill.sql)"
    t0=$EPOCHREALTIME
    sqlite3 "$DB" -cmd ".parameter set :N $N" -cmd ".parameter set :NI $NI" \
        -cmd ".parameter set :NOW $(date +%s)" -cmd ".parameter set :NREP $NREP" \
        <"$BENCH_REPO/bench/serve_fill.sql" >/dev/null
    FILL_S=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
    bench_log "filled in $FILL_S s ($(du -m "$DB" | cut -f1) MB)"
fi
q() { sqlite3 "$DB" "$1"; }
n_dec=$(q "SELECT count(*) FROM decisions")
n_inc=$(q "SELECT count(*) FROM incidents")
DB_MB=$(du -m "$DB" | cut -f1)

"$WP" user add bench --role admin --password-stdin --db "$DB" <<<"bench-password-$$" >/dev/null 2>&1 ||
    true # already there (STORE reused)
"$WP" token revoke --user bench --name "bench$PORT" --db "$DB" >/dev/null 2>&1 || true
TOKEN=$("$WP" token create --user bench --name "bench$PORT" --db "$DB" | tail -1)
[[ $TOKEN == wpt_* ]] || bench_die "no API token from watchpost token create"

# ---- the request lists ----
max_id=$(q "SELECT max(id) FROM decisions")
{
    printf '%s\n' /api/v1/events /api/v1/events?limit=50 /api/v1/events?since=24h \
        /api/v1/events?severity=3 /api/v1/events?direction=outbound /api/v1/events?verdict=malware
    q "SELECT '/api/v1/events?cursor=' || id FROM decisions WHERE id > $max_id - $NREP
       ORDER BY random() LIMIT 20"
} >"$W/list.paths"
{
    q "SELECT '/api/v1/events?verdict=phishing&sender=' || mail_from FROM decisions
       WHERE verdict = 'phishing' AND id > $max_id - 200000 ORDER BY random() LIMIT 10"
    q "SELECT DISTINCT '/api/v1/events?verdict=phishing&sender=%40' || substr(mail_from, instr(mail_from, '@') + 1)
       FROM decisions WHERE verdict = 'phishing' AND id > $max_id - 200000 ORDER BY random() LIMIT 10"
    q "SELECT '/api/v1/events?recipient=' || rcpt FROM recipients WHERE decision_id > $max_id - 200000
       ORDER BY random() LIMIT 5"
    q "SELECT '/api/v1/events?sha256=' || sha256 FROM attachments WHERE decision_id < 100 LIMIT 1"
    q "SELECT '/api/v1/events?sha256=' || sha256 FROM attachments ORDER BY decision_id DESC LIMIT 1"
    printf '%s\n' /api/v1/events?sender=billing%40paypa1-secure.example \
        '/api/v1/events?verdict=malware&sender=%40paypa1-secure.example' \
        /api/v1/events?subject=invoice /api/v1/events?subject=quarterly%20budget \
        /api/v1/events?finding=OFFICE_MACRO '/api/v1/events?since=7d&verdict=targeted&severity=5'
} >"$W/search.paths"
q "SELECT '/api/v1/events/' || id FROM decisions WHERE id > $max_id - 2 * $NREP
   ORDER BY random() LIMIT 2000" >"$W/detail.paths"
cat "$W/list.paths" "$W/search.paths" "$W/detail.paths" >"$W/mix.paths"
echo /api/v1/events?subject=no-such-subject-anywhere >"$W/worst.paths"

# ---- the server ----
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
user_opt=()
[[ $EUID -eq 0 ]] && user_opt=(--user root)
"$WP" serve --db "$DB" --spool "$SPOOL" --insecure-http --listen "127.0.0.1:$PORT" \
    "${user_opt[@]}" >"$W/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$W/serve.log" >&2; bench_die "the server exited"; }
    sleep 0.1
done
curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/events?limit=1" \
    >/dev/null || { cat "$W/serve.log" >&2; bench_die "the API does not answer"; }
THREADS=$(awk '/^Threads:/ {print $2}' "/proc/$SERVER_PID/status")
bench_log "serving $n_dec decisions on 127.0.0.1:$PORT (pid $SERVER_PID)"

# the server's CPU time so far (user + system), in clock ticks
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
TICK=$(getconf CLK_TCK)

# run_wrk NAME PATHS CONNECTIONS SECONDS: sets R_RPS R_P50 R_P99 R_MAX R_BAD from the WRK line
# and R_CPU, the server's CPU milliseconds per request (less sensitive than req/s to whatever
# else runs on the machine)
run_wrk() {
    local name=$1 paths=$2 conns=$3 secs=$4 line t0
    t0=$(cpu_ticks)
    WP_TOKEN=$TOKEN WP_PATHS=$paths WP_GZIP=$GZIP wrk -t"$WRK_THREADS" -c"$conns" -d"${secs}s" \
        --timeout 10s -s "$BENCH_REPO/bench/serve_wrk.lua" "http://127.0.0.1:$PORT" \
        >"$W/wrk-$name.out" 2>&1 || bench_die "wrk failed ($name): $(tail -3 "$W/wrk-$name.out")"
    line=$(grep '^WRK ' "$W/wrk-$name.out") || bench_die "no result from wrk ($name)"
    R_RPS=$(sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$line")
    R_P50=$(sed -E 's/.* p50=([0-9.]+).*/\1/' <<<"$line")
    R_P99=$(sed -E 's/.* p99=([0-9.]+).*/\1/' <<<"$line")
    R_MAX=$(sed -E 's/.* max=([0-9.]+).*/\1/' <<<"$line")
    R_BAD=$(awk '{for (i = 1; i <= NF; i++) if ($i ~ /^(non2xx|errors)=/) {split($i, a, "="); s += a[2]}} END {print s + 0}' <<<"$line")
    R_CPU=$(awk -v a="$t0" -v b="$(cpu_ticks)" -v hz="$TICK" -v n="$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$line")" \
        'BEGIN {printf "%.3f", (n > 0 ? (b - a) * 1000 / hz / n : 0)}')
    printf '%-8s c=%-3s %6.0f req/s  p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms  server CPU %6.3f ms/req  bad %s\n' \
        "$name" "$conns" "$R_RPS" "$R_P50" "$R_P99" "$R_MAX" "$R_CPU" "$R_BAD"
}

declare -A RPS P50 P99 MAX BAD CPU
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg) # other work on the machine skews req/s and latency
echo "== wrk: $DURATION s each, closed loop, gzip=$GZIP, wrk threads $WRK_THREADS =="
for cls in list search detail; do
    run_wrk "$cls-warm" "$W/$cls.paths" "$C" "$WARMUP" >/dev/null
    run_wrk "$cls" "$W/$cls.paths" "$C" "$DURATION"
    RPS[$cls]=$R_RPS P50[$cls]=$R_P50 P99[$cls]=$R_P99 MAX[$cls]=$R_MAX BAD[$cls]=$R_BAD CPU[$cls]=$R_CPU
    # one request at a time: the service time, without waiting behind other requests
    run_wrk "$cls-c1" "$W/$cls.paths" 1 "$(((DURATION + 2) / 3))"
    P99[$cls-c1]=$R_P99 BAD[$cls-c1]=$R_BAD
done
run_wrk mix "$W/mix.paths" "$C_RPS" "$DURATION"
RPS[mix]=$R_RPS P50[mix]=$R_P50 P99[mix]=$R_P99 MAX[mix]=$R_MAX BAD[mix]=$R_BAD CPU[mix]=$R_CPU
if [[ $WORST == 1 ]]; then
    run_wrk worst "$W/worst.paths" 1 "$DURATION"
    RPS[worst]=$R_RPS P50[worst]=$R_P50 P99[worst]=$R_P99
fi
RSS_LOAD_MB=$(awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status")

# ---- idle keep-alive connections ----
echo "== $IDLE idle keep-alive connections for $HOLD s, wrk (list, c=$C) meanwhile =="
coproc IDLER { python3 -u "$BENCH_REPO/bench/serve_idle.py" 127.0.0.1 "$PORT" "$IDLE" "$HOLD" "$TOKEN" 2>"$W/idle.err"; }
read -r -t 120 word IDLE_OK _ <&"${IDLER[0]}" || bench_die "serve_idle.py did not get ready: $(tail -3 "$W/idle.err")"
[[ $word == ready ]] || bench_die "serve_idle.py: $word"
RSS_IDLE_KB=0
sample() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
( while kill -0 "$SERVER_PID" 2>/dev/null; do sample; sleep 0.2; done ) >"$W/rss.samples" &
sampler=$!
idle_secs=$((HOLD > 4 ? HOLD - 3 : 1))
run_wrk idle-list "$W/list.paths" "$C" "$idle_secs"
RPS[idle]=$R_RPS P99[idle]=$R_P99 BAD[idle]=$R_BAD
read -r -t $((HOLD + 60)) word IDLE_ALIVE _ <&"${IDLER[0]}" || IDLE_ALIVE='?'
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
RSS_IDLE_KB=$(sort -n "$W/rss.samples" | tail -1)
HWM_MB=$(awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status")
RSS_IDLE_MB=$(awk -v k="${RSS_IDLE_KB:-0}" 'BEGIN {printf "%.1f", k / 1024}')
printf 'idle     %s answered 200 of %s, %s still open after %s s; VmRSS max %s MB (after load, before: %s MB)\n' \
    "$IDLE_OK" "$IDLE" "$IDLE_ALIVE" "$HOLD" "$RSS_IDLE_MB" "$RSS_LOAD_MB"

LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- summary ----
met() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN {ok = op == "<" ? v < t : v >= t; print ok ? "yes" : "NO"}'; }
missed=0
row() { # label value op target unit
    local m
    m=$(met "$2" "$3" "$4")
    [[ $m == yes ]] || missed=1
    printf '%-34s %10s %-10s %s\n' "$1" "$2" "$3 $4 $5" "$m"
}
echo "== summary =="
printf '%-34s %10s %-10s %s\n' metric value target met
row "events list p99 (ms, c=$C)" "${P99[list]}" '<' "$TARGET_P99_LIST" ms
row "events search p99 (ms, c=$C)" "${P99[search]}" '<' "$TARGET_P99_LIST" ms
row "event detail p99 (ms, c=$C)" "${P99[detail]}" '<' "$TARGET_P99_DETAIL" ms
row "requests/s (mix, c=$C_RPS)" "${RPS[mix]}" '>=' "$TARGET_RPS" ''
row "VmHWM with $IDLE idle conns (MB)" "$HWM_MB" '<' "$TARGET_RSS_MB" MB
bad=$((${BAD[list]} + ${BAD[search]} + ${BAD[detail]} + ${BAD[mix]} + ${BAD[idle]} + ${BAD[list-c1]} + ${BAD[search-c1]} + ${BAD[detail-c1]}))
((bad == 0)) || { echo "WARNING: $bad requests failed or answered non-2xx"; missed=1; }
[[ $IDLE_OK == "$IDLE" && $IDLE_ALIVE == "$IDLE" ]] || { echo "WARNING: idle connections $IDLE_OK answered, $IDLE_ALIVE alive of $IDLE"; missed=1; }
cat <<EOF
decisions=$n_dec incidents=$n_inc store_mb=$DB_MB fill_s=${FILL_S:-reused} server_threads=$THREADS cpus=$(nproc)
loadavg_before="$LOAD0" loadavg_after="$LOAD1"
list_rps=${RPS[list]} list_cpu_ms=${CPU[list]} list_p50_ms=${P50[list]} list_p99_ms=${P99[list]} list_max_ms=${MAX[list]} list_c1_p99_ms=${P99[list-c1]}
search_rps=${RPS[search]} search_cpu_ms=${CPU[search]} search_p50_ms=${P50[search]} search_p99_ms=${P99[search]} search_max_ms=${MAX[search]} search_c1_p99_ms=${P99[search-c1]}
detail_rps=${RPS[detail]} detail_cpu_ms=${CPU[detail]} detail_p50_ms=${P50[detail]} detail_p99_ms=${P99[detail]} detail_max_ms=${MAX[detail]} detail_c1_p99_ms=${P99[detail-c1]}
mix_rps=${RPS[mix]} mix_cpu_ms=${CPU[mix]} mix_capacity_rps=$(awk -v c="${CPU[mix]}" -v n="$(nproc)" 'BEGIN {printf "%.0f", (c > 0 ? n * 1000 / c : 0)}') mix_p50_ms=${P50[mix]} mix_p99_ms=${P99[mix]}
worst_subject_scan_ms=${P50[worst]:-skipped} (one request at a time, p50)
idle_conns=$IDLE idle_ok=$IDLE_OK idle_alive=$IDLE_ALIVE rss_after_load_mb=$RSS_LOAD_MB rss_idle_max_mb=$RSS_IDLE_MB vmhwm_mb=$HWM_MB idle_list_p99_ms=${P99[idle]} idle_list_rps=${RPS[idle]}
EOF
echo "hint: WATCHPOST=$WP N=$N NI=$NI DURATION=$DURATION C=$C C_RPS=$C_RPS GZIP=$GZIP IDLE=$IDLE bench/serve_bench.sh ($(nproc) CPUs, $(git -C "$BENCH_REPO" rev-parse --short HEAD 2>/dev/null || echo '?'))"
[[ ${STRICT:-0} == 1 && $missed == 1 ]] && exit 3
exit 0
