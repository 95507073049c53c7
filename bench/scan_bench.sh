#!/usr/bin/env bash
# scan_bench.sh - throughput, CPU per message and peak RSS of `watchpost scan`, and the CPU
# ratio against rspamd 3.4 on the same corpus.
#
# usage:  bench/scan_bench.sh [CORPUS_DIR...]
#         (default corpus: ../shared/data/spamassassin/easy_ham beside the repo)
# env:    WATCHPOST=path         binary to measure (default: build/release/watchpost); never built here
#         RUNS=3                 timed runs per configuration; the median of each metric is reported
#         JOBS_ALL=$(nproc)      --jobs for the all-cores configuration
#         SKIP_RSPAMD=1          measure watchpost only (rspamd needs root and installs with apt)
#         RSPAMD_RUNS=3          runs of the rspamd recipe (each restarts rspamd); median reported
#         RSPAMD_RECIPE=path     default ../shared/peers/rspamd_cpu_per_msg.sh beside the repo
#         TARGET_RATIO=20        rspamd CPU/msg over watchpost CPU/msg (jobs 1) must reach this
#         WATCHPOST_OK_EXIT="0 1"  exit codes of `watchpost scan` that count as a good run
#         STRICT=1               exit 3 when the ratio target is measured and missed
#         KEEP=1                 keep the work directory (outputs, time reports, rspamd log)
#
# Every regular file under the corpus directories is one message (as in the rspamd recipe).
# One directory without symlinks is scanned in place; several directories, or one with
# symlinks, are first copied into one staging directory so that watchpost and rspamd read the
# very same files. Each run: `/usr/bin/time -v watchpost scan --json --jobs J DIR`, JSON to a
# file, page cache warmed first. CPU is user+sys of watchpost including start-up (rule
# compilation etc. is paid once per run and spread over the messages); rspamd's figure excludes
# its start-up (see bench/README.md for the asymmetries).
#
# Output: progress on stderr; per-configuration results, then a key=value summary block and a
# hint line for docs/PERFORMANCE.md on stdout.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

RUNS=${RUNS:-3}
JOBS_ALL=${JOBS_ALL:-$(nproc)}
SKIP_RSPAMD=${SKIP_RSPAMD:-0}
RSPAMD_RECIPE=${RSPAMD_RECIPE:-$BENCH_REPO/../shared/peers/rspamd_cpu_per_msg.sh}
RSPAMD_RUNS=${RSPAMD_RUNS:-3}
TARGET_RATIO=${TARGET_RATIO:-20}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || bench_die "RUNS must be a positive integer (got '$RUNS')"
[[ $JOBS_ALL =~ ^[1-9][0-9]*$ ]] || bench_die "JOBS_ALL must be a positive integer"
[[ $RSPAMD_RUNS =~ ^[1-9][0-9]*$ ]] || bench_die "RSPAMD_RUNS must be a positive integer"

ARGS_GIVEN=("$@")
(($#)) || set -- "$BENCH_REPO/../shared/data/spamassassin/easy_ham"
CORPORA=()
for d in "$@"; do
    [[ -d $d ]] || bench_die "corpus directory not found: $d"
    CORPORA+=("$(readlink -f "$d")")
done

WP=$(bench_watchpost)
bench_need_time
bench_collect "${CORPORA[@]}"
N=${#BENCH_FILES[@]}
BYTES=$BENCH_BYTES

OUT=$(mktemp -d /tmp/watchpost-bench.XXXXXX)
cleanup() {
    if [[ ${KEEP:-0} == 1 ]]; then bench_log "kept $OUT"; else rm -rf "$OUT"; fi
}
trap cleanup EXIT

if ((${#CORPORA[@]} == 1)) && [[ -z $(find "${CORPORA[0]}" -type l -print -quit) ]]; then
    SCAN_DIR=${CORPORA[0]}
else
    SCAN_DIR=$OUT/corpus
    mkdir "$SCAN_DIR"
    bench_log "staging $N files from ${#CORPORA[@]} director(y/ies) into $SCAN_DIR"
    i=0
    for f in "${BENCH_FILES[@]}"; do
        cp -L -- "$f" "$SCAN_DIR/$(printf '%06d' "$i")-${f##*/}"
        i=$((i + 1))
    done
fi
bench_log "corpus: $N messages, $BYTES bytes in $SCAN_DIR"
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
awk -v l="${LOADAVG%% *}" -v n="$(nproc)" 'BEGIN {exit !(l > n / 2)}' &&
    bench_log "WARNING: load average $LOADAVG on $(nproc) cores: other work will skew CPU figures"
bench_log "watchpost: $WP"
find "$SCAN_DIR" -type f -exec cat {} + >/dev/null # warm the page cache

# run_config LABEL JOBS : RUNS timed scans; sets R_<metric> for the medians.
run_config() {
    local label=$1 jobs=$2 r results walls=() cpus=() rsss=()
    for ((r = 1; r <= RUNS; r++)); do
        bench_timed "$OUT/$label.$r" "$WP" scan --json --jobs "$jobs" "$SCAN_DIR"
        if ! bench_rc_ok "$BT_RC"; then
            tail -n 20 "$OUT/$label.$r.err" >&2 || true
            bench_die "watchpost scan --jobs $jobs exited with $BT_RC (run $r; accepted: ${WATCHPOST_OK_EXIT:-0 1})"
        fi
        if ((r == 1)); then
            results=$(bench_results "$OUT/$label.$r.out")
            [[ $results == "$N" ]] ||
                bench_log "WARNING: $label: $results JSON results for $N messages (check the output format / what watchpost skipped)"
        fi
        bench_log "$label run $r/$RUNS: wall ${BT_WALL}s cpu ${BT_CPU}s rss ${BT_RSS_KB}kB exit $BT_RC"
        walls+=("$BT_WALL")
        cpus+=("$BT_CPU")
        rsss+=("$BT_RSS_KB")
    done
    R_WALL=$(bench_median "${walls[@]}")
    R_CPU=$(bench_median "${cpus[@]}")
    R_RSS_KB=$(bench_median "${rsss[@]}")
    R_RSS_MB=$(bench_calc "$R_RSS_KB * 1024 / 1e6")
    R_MSGS=$(bench_calc "$N / ($R_WALL > 0 ? $R_WALL : 1e-9)")
    R_MBS=$(bench_calc "$BYTES / 1e6 / ($R_WALL > 0 ? $R_WALL : 1e-9)")
    R_CPU_MS=$(bench_calc "$R_CPU * 1000 / $N")
    R_RESULTS=$results
    R_WALL=$(bench_calc "$R_WALL")
    printf "%-10s jobs %-3s %9.1f msg/s %8.2f MB/s %8.3f ms CPU/msg %8.1f MB peak RSS  (median of %d, wall %.2f s)\n" \
        "$label" "$jobs" "$R_MSGS" "$R_MBS" "$R_CPU_MS" "$R_RSS_MB" "$RUNS" "$R_WALL"
}

printf '== watchpost scan: %d messages, %.2f MB, %s ==\n' "$N" "$(bench_calc "$BYTES / 1e6")" "$(bench_machine)"
run_config jobs1 1
J1=("$R_WALL" "$R_MSGS" "$R_MBS" "$R_CPU_MS" "$R_RSS_MB" "$R_RESULTS" "$R_CPU")
run_config jobsall "$JOBS_ALL"
JA=("$R_WALL" "$R_MSGS" "$R_MBS" "$R_CPU_MS" "$R_RSS_MB" "$R_RESULTS" "$R_CPU")

# Fixed cost per process (start-up, rule loading, exit): the same scan over one message.
# rspamd's figure excludes its start-up, so the "excl. start-up" ratio is the like-for-like one;
# the headline ratio keeps watchpost's start-up in (the conservative reading).
mkdir "$OUT/one"
cp -L -- "${BENCH_FILES[0]}" "$OUT/one/"
fixed=()
for ((r = 1; r <= RUNS; r++)); do
    bench_timed "$OUT/one.$r" "$WP" scan --json --jobs 1 "$OUT/one"
    bench_rc_ok "$BT_RC" || bench_die "watchpost scan of one message exited with $BT_RC"
    fixed+=("$BT_CPU")
done
STARTUP_CPU_MS=$(bench_calc "$(bench_median "${fixed[@]}") * 1000")
J1_NET_CPU_MS=$(awk -v c="${J1[6]}" -v f="$STARTUP_CPU_MS" -v n="$N" 'BEGIN {
    x = (c * 1000 - f) / n; printf "%.4f", (x > 0 ? x : 0)}')
printf '%-10s jobs 1   %s ms CPU for one message; excluding it, %s ms CPU/msg\n' \
    "startup" "$STARTUP_CPU_MS" "$J1_NET_CPU_MS"

RS_CPU_MS=skipped RS_SCANNED=skipped RS_WALL=skipped RS_ELAPSED=skipped RS_RANGE=skipped
RATIO=skipped RATIO_ALL=skipped RATIO_NET=skipped TARGET_MET=skipped
if [[ $SKIP_RSPAMD != 1 ]]; then
    [[ $EUID -eq 0 ]] || bench_die "the rspamd recipe needs root (apt-get, unshare -n); or SKIP_RSPAMD=1"
    [[ -x $RSPAMD_RECIPE ]] || bench_die "rspamd recipe not found or not executable: $RSPAMD_RECIPE"
    # the recipe sums the CPU of every process named rspamd: another instance would be counted
    if pids=$(pgrep -x rspamd); then
        bench_die "rspamd is already running (pids: ${pids//$'\n'/ }); stop it first or SKIP_RSPAMD=1"
    fi
    printf '== rspamd (%s) on the same %d messages, %d runs ==\n' "${RSPAMD_RECIPE##*/}" "$N" "$RSPAMD_RUNS"
    rs_cpus=() rs_walls=()
    t0=$EPOCHREALTIME
    for ((r = 1; r <= RSPAMD_RUNS; r++)); do
        if ! "$RSPAMD_RECIPE" "$SCAN_DIR" >"$OUT/rspamd.$r.log" 2>&1; then
            tail -n 30 "$OUT/rspamd.$r.log" >&2
            bench_die "rspamd recipe failed (run $r, log above)"
        fi
        line=$(grep '^rspamd messages ' "$OUT/rspamd.$r.log" | tail -n 1) ||
            bench_die "no result line in the rspamd recipe's output ($OUT/rspamd.$r.log)"
        read -r _ _ _ _ RS_SCANNED _ wall _ cpu_ms <<<"$line"
        bench_log "rspamd run $r/$RSPAMD_RUNS: $line"
        [[ $RS_SCANNED == "$N" ]] || bench_log "WARNING: rspamd scanned $RS_SCANNED of $N messages"
        rs_cpus+=("$cpu_ms")
        rs_walls+=("$wall")
    done
    RS_ELAPSED=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
    RS_CPU_MS=$(bench_calc "$(bench_median "${rs_cpus[@]}")")
    RS_WALL=$(bench_calc "$(bench_median "${rs_walls[@]}")")
    RS_RANGE="$(printf '%s\n' "${rs_cpus[@]}" | LC_ALL=C sort -g | sed -n '1p;$p' | paste -sd -)"
    printf 'rspamd     %s ms CPU/msg (median of %d, range %s), scan wall %s s, %s scanned; recipe total %s s\n' \
        "$RS_CPU_MS" "$RSPAMD_RUNS" "$RS_RANGE" "$RS_WALL" "$RS_SCANNED" "$RS_ELAPSED"
    # ratios from the unrounded CPU seconds; "inf" when watchpost's CPU was below resolution
    ratio() { awk -v r="$RS_CPU_MS" -v c="$1" -v n="$N" 'BEGIN {
        x = c * 1000 / n; if (x > 0) printf "%.2f", r / x; else print "inf"}'; }
    RATIO=$(ratio "${J1[6]}")
    RATIO_ALL=$(ratio "${JA[6]}")
    RATIO_NET=$(awk -v r="$RS_CPU_MS" -v x="$J1_NET_CPU_MS" 'BEGIN {
        if (x > 0) printf "%.2f", r / x; else print "inf"}')
    TARGET_MET=$(awk -v r="$RATIO" -v t="$TARGET_RATIO" 'BEGIN {
        print ((r == "inf" || r + 0 >= t + 0) ? "yes" : "no")}')
    printf 'ratio rspamd/watchpost CPU per message: %s (jobs 1), %s (jobs %s), %s (jobs 1 excl. start-up); target >= %s: %s\n' \
        "$RATIO" "$RATIO_ALL" "$JOBS_ALL" "$RATIO_NET" "$TARGET_RATIO" "$TARGET_MET"
fi

WP_VERSION=$("$WP" --version 2>/dev/null </dev/null | head -n 1) || true
# the command that reproduces this run, for docs/PERFORMANCE.md
CMD="bench/scan_bench.sh"
for a in "${ARGS_GIVEN[@]}"; do CMD+=" $(printf '%q' "$a")"; done
[[ $SKIP_RSPAMD == 1 ]] && CMD="SKIP_RSPAMD=1 $CMD"
[[ $RUNS == 3 ]] || CMD="RUNS=$RUNS $CMD"
[[ $RSPAMD_RUNS == 3 || $SKIP_RSPAMD == 1 ]] || CMD="RSPAMD_RUNS=$RSPAMD_RUNS $CMD"
[[ -z ${WATCHPOST:-} ]] || CMD="WATCHPOST=$(printf '%q' "$WATCHPOST") $CMD"
cat <<EOF
== summary ==
bench=scan_bench
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
git_rev=$(bench_git_rev)
machine=$(bench_machine)
loadavg_start=$LOADAVG
watchpost=$WP
watchpost_version=${WP_VERSION:-unknown}
corpus=${CORPORA[*]}
messages=$N
bytes=$BYTES
runs=$RUNS
jobs1_wall_s=${J1[0]}
jobs1_msgs_per_s=${J1[1]}
jobs1_mb_per_s=${J1[2]}
jobs1_cpu_ms_per_msg=${J1[3]}
jobs1_peak_rss_mb=${J1[4]}
jobs1_json_results=${J1[5]}
jobs1_startup_cpu_ms=$STARTUP_CPU_MS
jobs1_cpu_ms_per_msg_excl_startup=$J1_NET_CPU_MS
jobsall_jobs=$JOBS_ALL
jobsall_wall_s=${JA[0]}
jobsall_msgs_per_s=${JA[1]}
jobsall_mb_per_s=${JA[2]}
jobsall_cpu_ms_per_msg=${JA[3]}
jobsall_peak_rss_mb=${JA[4]}
jobsall_json_results=${JA[5]}
rspamd_cpu_ms_per_msg=$RS_CPU_MS
rspamd_scanned=$RS_SCANNED
rspamd_cpu_ms_per_msg_range=$RS_RANGE
rspamd_runs=$([[ $SKIP_RSPAMD == 1 ]] && echo skipped || echo "$RSPAMD_RUNS")
rspamd_scan_wall_s=$RS_WALL
rspamd_recipe_s=$RS_ELAPSED
ratio_rspamd_over_watchpost=$RATIO
ratio_rspamd_over_watchpost_jobsall=$RATIO_ALL
ratio_rspamd_over_watchpost_excl_startup=$RATIO_NET
ratio_target=$TARGET_RATIO
ratio_target_met=$TARGET_MET
command=$CMD
EOF
# shellcheck disable=SC2016 # the backquotes are literal markdown
printf 'hint: for docs/PERFORMANCE.md: `%s` -> | %s | %s | %d msgs, %.1f MB | %.0f msg/s, %.3f ms CPU/msg, %.1f MB RSS (jobs 1) | %.0f msg/s, %.1f MB RSS (jobs %s) | rspamd %s ms CPU/msg | ratio %s (target %s: %s) |\n' \
    "$CMD" "$(date -u +%Y-%m-%d)" "$(bench_git_rev)" "$N" "$(bench_calc "$BYTES / 1e6")" \
    "${J1[1]}" "${J1[3]}" "${J1[4]}" "${JA[1]}" "${JA[4]}" "$JOBS_ALL" \
    "$RS_CPU_MS" "$RATIO" "$TARGET_RATIO" "$TARGET_MET"

if [[ ${STRICT:-0} == 1 && $TARGET_MET == no ]]; then
    exit 3
fi
