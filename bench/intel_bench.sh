#!/usr/bin/env bash
# bench/intel_bench.sh - load time, memory and lookup rate of an indicator set of a million
# mixed indicators (bench/intel_gen.py), through the public API of libwatchpost.
#
#   bench/intel_bench.sh                       # 1,000,000 indicators, plain list
#   N=200000 FORMAT=csv bench/intel_bench.sh   # fewer, as "type,value,source" CSV
#
# It compiles the small driver bench/intel_bench.c against the release build's static
# library ($LIBWATCHPOST, default build/release/src/lib/libwatchpost.a; build it with
# `cmake --preset release && cmake --build build/release`), generates the indicators and
# queries under a temporary directory (deleted unless KEEP=1), and runs the driver under GNU
# time. Printed: load seconds and indicators/s; RSS before and after loading and the
# per-indicator difference; the set's own byte count per indicator; lookups/s for hits and
# for misses; the whole process's peak RSS. Target: < 100 bytes per loaded indicator.
# Variables: N (1000000), Q (queries, 200000), ROUNDS (5 passes over the queries), SEED,
# FORMAT (plain|csv), LIBWATCHPOST, CC (gcc), KEEP, STRICT (1: exit 3 when a target is missed).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

N=${N:-1000000}
Q=${Q:-200000}
ROUNDS=${ROUNDS:-5}
SEED=${SEED:-20261126}
FORMAT=${FORMAT:-plain}
TARGET_BYTES=${TARGET_BYTES:-100}
LIB=${LIBWATCHPOST:-$BENCH_REPO/build/release/src/lib/libwatchpost.a}
[[ -f $LIB ]] || bench_die "static library not found: $LIB
  build it first: cmake --preset release && cmake --build build/release --target watchpost_lib
  (or set LIBWATCHPOST=/path/to/libwatchpost.a)"
command -v python3 >/dev/null || bench_die "python3 is needed for bench/intel_gen.py"
bench_need_time

WORK=$(mktemp -d /tmp/wp-intel-bench.XXXXXX)
cleanup() { [[ ${KEEP:-0} == 1 ]] && bench_log "kept $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT

bench_log "compiling the driver against $LIB"
# the library's dependencies, as src/lib/CMakeLists.txt links them; only what the intel
# objects pull in is actually used (--as-needed)
DEPS=$(pkg-config --libs gmime-3.0 yara libarchive jansson libcrypto zlib libhs opendkim sqlite3)
# shellcheck disable=SC2086 # DEPS is a list of flags
"${CC:-gcc}" -O2 -std=gnu17 -I"$BENCH_REPO/include" "$BENCH_REPO/bench/intel_bench.c" "$LIB" \
    -Wl,--as-needed $DEPS -lspf2 -lopendmarc -lmagic -lpthread -lm -o "$WORK/intel_bench" ||
    bench_die "could not build bench/intel_bench.c"

bench_log "generating $N indicators ($FORMAT) and $Q queries, seed $SEED"
gen_args=(--count "$N" --queries "$Q" --seed "$SEED")
[[ $FORMAT == csv ]] && gen_args+=(--csv)
t0=$EPOCHREALTIME
python3 "$BENCH_REPO/bench/intel_gen.py" "${gen_args[@]}" "$WORK/gen"
gen_s=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
file_mb=$(stat -c %s "$WORK/gen/indicators.txt" | awk '{printf "%.1f", $1 / 1e6}')

# warm the page cache so the load measures parsing, not the disk
cat "$WORK/gen/indicators.txt" >/dev/null
bench_log "loading and looking up"
bench_timed "$WORK/run" "$WORK/intel_bench" -r "$ROUNDS" "$WORK/gen/queries.tsv" \
    "$WORK/gen/indicators.txt"
[[ $BT_RC == 0 ]] || { cat "$WORK/run.err" >&2; bench_die "driver failed (exit $BT_RC)"; }

val() { awk -F= -v k="$1" '$1 == k {print $2}' "$WORK/run.out"; }
per_rss=$(val rss_delta_bytes_per_indicator)
per_set=$(val set_bytes_per_indicator)
met=$(awk -v a="$per_rss" -v b="$TARGET_BYTES" 'BEGIN {print (a < b) ? "yes" : "no"}')

cat <<EOF
machine:                 $(bench_machine)
commit:                  $(bench_git_rev)
indicators:              $(val indicators) distinct of $N generated ($FORMAT, ${file_mb} MB; $(val duplicates) duplicates, $(val bad_lines) bad lines)
generate:                ${gen_s} s (python, not part of the load)
load:                    $(val load_s) s ($(val load_indicators_per_s) indicators/s)
RSS before/after load:   $(val rss_before_kb) kB / $(val rss_after_kb) kB
bytes per indicator:     ${per_rss} (RSS delta)   ${per_set} (set's own accounting)   target < ${TARGET_BYTES}: ${met}
peak RSS (process):      ${BT_RSS_KB} kB (the driver, the set and the queries)
lookups/s, hits:         $(val hit_lookups_per_s)
lookups/s, misses:       $(val miss_lookups_per_s)
wrong answers:           $(val wrong_answers)
EOF
echo "== summary =="
cat "$WORK/run.out"
echo "generate_s=$gen_s"
echo "process_peak_rss_kb=$BT_RSS_KB"
echo "target_bytes_met=$met"
echo "hint: N=$N FORMAT=$FORMAT SEED=$SEED ROUNDS=$ROUNDS bench/intel_bench.sh | $(val indicators) | $(val load_s) s | ${per_rss} B (RSS) / ${per_set} B (set) | $(val hit_lookups_per_s) hit/s | $(val miss_lookups_per_s) miss/s |"
if [[ ${STRICT:-0} == 1 && $met != yes ]]; then
    exit 3
fi
