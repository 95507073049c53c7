#!/usr/bin/env bash
# bench/egress_bench.sh - `watchpost ingest` throughput on Zeek conn.log and dns.log with a
# million indicators loaded: lines/s and MB/s on one core and on all cores, peak RSS, and
# the memory the indicators take (docs/PERFORMANCE.md, "Egress").
#
#   bench/egress_bench.sh                     # 1,000,000 conn.log lines, 1,000,000 indicators
#   LINES=200000 N=100000 bench/egress_bench.sh
#
# The logs come from tools/netgen.py (background traffic of browsing hosts; conn.log by
# --lines, dns.log from --hours of the same traffic), the indicators from bench/intel_gen.py
# (mixed types as a CSIRT's feeds, 13 % IPv4 with networks). Matching is on: every outbound
# destination address, DNS query name, HTTP host/URL, TLS SNI/JA3 and file hash is looked
# up. "One core" is one ingest process; "all cores" is one process per core, each on its own
# share of the lines (as a site with several sensors or log directories runs them), timed
# together. Start-up (loading the indicators) is measured apart with an empty log and taken
# out of the per-line rates; both figures are printed. Variables: LINES, N, SEED, KEEP.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LINES=${LINES:-1000000}
N=${N:-1000000}
SEED=${SEED:-20261126}
NPROC=$(nproc)
WP=$(bench_watchpost)
bench_need_time
T=$(mktemp -d /tmp/wp-egress-bench.XXXXXX)
[[ -n ${KEEP:-} ]] || trap 'rm -rf "$T"' EXIT

bench_log "generating $N indicators and $LINES conn.log lines (netgen: ~30 s per million)"
python3 "$BENCH_REPO/bench/intel_gen.py" --count "$N" --queries 10 --seed "$SEED" "$T/intel" >/dev/null
python3 "$BENCH_REPO/tools/netgen.py" --out "$T/conn" --lines "$LINES" --logs conn --seed 5 >/dev/null
python3 "$BENCH_REPO/tools/netgen.py" --out "$T/dnsgen" --hosts 400 --hours 24 --logs dns --seed 6 >/dev/null
CONN=$T/conn/conn.log DNS=$T/dnsgen/dns.log
conn_lines=$(grep -vc '^#' "$CONN"); conn_mb=$(bench_calc "$(stat -c %s "$CONN") / 1e6")
dns_lines=$(grep -vc '^#' "$DNS"); dns_mb=$(bench_calc "$(stat -c %s "$DNS") / 1e6")
printf 'intel.file = %s\n' "$T/intel/indicators.txt" > "$T/wp.conf"

# start-up: the indicators and an empty log
grep '^#' "$CONN" > "$T/empty.log"
bench_timed "$T/startup" "$WP" ingest -c "$T/wp.conf" --db "$T/s0.db" --quiet "$T/empty.log"
bench_rc_ok "$BT_RC" || bench_die "ingest failed: $(tail -3 "$T/startup.err")"
start_wall=$BT_WALL start_rss=$BT_RSS_KB
bench_timed "$T/bare" "$WP" ingest --db "$T/s1.db" --quiet "$T/empty.log"
bare_rss=$BT_RSS_KB
per_ind=$(bench_calc "($start_rss - $bare_rss) * 1024 / $N")

one() { # NAME FILE LINES MB
    bench_timed "$T/$1" "$WP" ingest -c "$T/wp.conf" --db "$T/$1.db" --quiet "$2"
    bench_rc_ok "$BT_RC" || bench_die "ingest $2 failed: $(tail -3 "$T/$1.err")"
    grep -q "skipped bad 0" "$T/$1.out" || bench_die "lines skipped: $(cat "$T/$1.out")"
    local net; net=$(bench_calc "$BT_WALL - $start_wall")
    local rate="too short to rate without start-up"
    # a log read in less time than the start-up's own variation has no per-line rate
    if awk -v n="$net" 'BEGIN {exit !(n >= 0.1)}'; then
        rate="$(bench_calc "$3 / $net") lines/s, $(bench_calc "$4 / $net") MB/s"
    fi
    printf '%-8s one core: %s lines in %.2f s wall (%.2f s without start-up): %s (with start-up %s lines/s); CPU %.2f s; peak RSS %s MB\n' \
        "$1" "$3" "$BT_WALL" "$net" "$rate" "$(bench_calc "$3 / $BT_WALL")" "$BT_CPU" \
        "$(bench_calc "$BT_RSS_KB * 1024 / 1e6")"
}
one conn "$CONN" "$conn_lines" "$conn_mb"
one dns "$DNS" "$dns_lines" "$dns_mb"

# all cores: the conn.log lines split in NPROC shares, each with the header
hdr=$(grep -c '^#fields\|^#separator\|^#set_separator\|^#empty_field\|^#unset_field\|^#path\|^#open\|^#types' "$CONN")
grep -v '^#' "$CONN" > "$T/body"
split -n "l/$NPROC" -d "$T/body" "$T/part."
rm -f "$T/body"
for p in "$T"/part.*; do { head -n "$hdr" "$CONN"; cat "$p"; } > "$p.log"; rm "$p"; done
t0=$EPOCHREALTIME
pids=()
i=0
for p in "$T"/part.*.log; do
    "$WP" ingest -c "$T/wp.conf" --db "$T/p$i.db" --quiet "$p" > "$T/p$i.out" 2>&1 & pids+=($!)
    i=$((i + 1))
done
for pid in "${pids[@]}"; do wait "$pid" || [[ $? -eq 1 ]] || bench_die "a parallel ingest failed"; done
t1=$EPOCHREALTIME
wall=$(bench_calc "$t1 - $t0"); net=$(bench_calc "$wall - $start_wall")
printf 'conn     all %d cores: %s lines in %.2f s wall (%.2f s without start-up): %s lines/s\n' \
    "$NPROC" "$conn_lines" "$wall" "$net" "$(bench_calc "$conn_lines / $net")"
printf 'start-up with %s indicators: %.2f s, peak RSS %s MB (without indicators %s MB): %s bytes per indicator in the process\n' \
    "$N" "$start_wall" "$(bench_calc "$start_rss * 1024 / 1e6")" "$(bench_calc "$bare_rss * 1024 / 1e6")" "$per_ind"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "targets: >= 1,000,000 conn.log lines/s per core with matching on; < 100 bytes per indicator"
