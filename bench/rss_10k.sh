#!/usr/bin/env bash
# rss_10k.sh - peak RSS of `watchpost scan --json --jobs $(nproc)` over 10,000 messages.
#
# usage:  bench/rss_10k.sh [CORPUS_DIR...]
#         (default corpus: ../shared/data/spamassassin/easy_ham beside the repo)
# env:    WATCHPOST=path     binary to measure (default: build/release/watchpost); never built here
#         N=10000            messages in the set, cycling through the corpus files in sorted order
#         JOBS=$(nproc)      --jobs of the scan
#         MODES="dir mbox"   dir: a directory of N symlinks to the corpus files;
#                            mbox: the same N messages concatenated into one mboxrd file
#         RUNS=1             timed runs per mode (median reported)
#         TARGET_MB=100      peak RSS must stay below this (MB = 10^6 bytes)
#         WATCHPOST_OK_EXIT="0 1"  exit codes of `watchpost scan` that count as a good run
#         STRICT=1           exit 3 when a mode misses the target
#         KEEP=1             keep the work directory (the set, the mbox, outputs)
#
# The set lives in a temporary directory under /tmp and is deleted afterwards; nothing is
# written into the corpus or the repo. RSS is GNU time's "Maximum resident set size": the
# largest single process if watchpost forks workers (threads share one figure).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

N=${N:-10000}
JOBS=${JOBS:-$(nproc)}
MODES=${MODES:-dir mbox}
RUNS=${RUNS:-1}
TARGET_MB=${TARGET_MB:-100}
[[ $N =~ ^[1-9][0-9]*$ ]] || bench_die "N must be a positive integer (got '$N')"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || bench_die "RUNS must be a positive integer (got '$RUNS')"
for m in $MODES; do
    [[ $m == dir || $m == mbox ]] || bench_die "unknown mode '$m' in MODES (dir, mbox)"
done

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
NF=${#BENCH_FILES[@]}

OUT=$(mktemp -d /tmp/watchpost-rss10k.XXXXXX)
cleanup() {
    if [[ ${KEEP:-0} == 1 ]]; then bench_log "kept $OUT"; else rm -rf "$OUT"; fi
}
trap cleanup EXIT

# The set: message i is corpus file i mod NF; link names keep the original name for reading
# the output, prefixed by the index so that repeats differ.
SET=$OUT/set
mkdir "$SET"
BYTES=0
for ((i = 0; i < N; i++)); do
    BYTES=$((BYTES + BENCH_SIZES[i % NF]))
done
if command -v perl >/dev/null; then # one process instead of N forks of ln (25 s for 10,000)
    printf '%s\n' "${BENCH_FILES[@]}" | perl -e '
        my ($dir, $n) = @ARGV; chomp(my @f = <STDIN>);
        for my $i (0 .. $n - 1) {
            my $t = $f[$i % @f]; (my $b = $t) =~ s{.*/}{};
            symlink($t, sprintf("%s/%05d-%s", $dir, $i, $b)) or die "symlink $t: $!\n";
        }' "$SET" "$N"
else
    for ((i = 0; i < N; i++)); do
        f=${BENCH_FILES[i % NF]}
        ln -s -- "$f" "$SET/$(printf '%05d' "$i")-${f##*/}"
    done
fi
bench_log "built $SET: $N symlinks cycling through $NF files, $BYTES bytes"

if [[ " $MODES " == *" mbox "* ]]; then
    # mboxrd: a From_ line before each message, ">" added to body lines matching ^>*From ,
    # a blank line after each message that does not already end with one
    for ((i = 0; i < N; i++)); do printf '%s\n' "${BENCH_FILES[i % NF]}"; done |
        awk '{
            f = $0; last = ""
            print "From bench@localhost Thu Jan  1 00:00:00 1970"
            while ((getline line < f) > 0) {
                if (line ~ /^>*From /) line = ">" line
                print line; last = line
            }
            close(f)
            if (last != "" && last != "\r") print ""
        }' >"$OUT/set.mbox"
    bench_log "built $OUT/set.mbox: $(stat -c %s "$OUT/set.mbox") bytes"
fi

printf '== watchpost scan --json --jobs %s over %d messages (%.1f MB), %s ==\n' \
    "$JOBS" "$N" "$(bench_calc "$BYTES / 1e6")" "$(bench_machine)"
SUMMARY=()
ROW=()
ALL_MET=yes
for m in $MODES; do
    target=$SET
    [[ $m == mbox ]] && target=$OUT/set.mbox
    rsss=() walls=() cpus=()
    for ((r = 1; r <= RUNS; r++)); do
        bench_timed "$OUT/$m.$r" "$WP" scan --json --jobs "$JOBS" "$target"
        if ! bench_rc_ok "$BT_RC"; then
            tail -n 20 "$OUT/$m.$r.err" >&2 || true
            bench_die "watchpost scan over the $m set exited with $BT_RC (accepted: ${WATCHPOST_OK_EXIT:-0 1})"
        fi
        if ((r == 1)); then
            results=$(bench_results "$OUT/$m.$r.out")
            [[ $results == "$N" ]] ||
                bench_log "WARNING: $m: $results JSON results for $N messages (symlinks or mbox not followed?)"
        fi
        bench_log "$m run $r/$RUNS: wall ${BT_WALL}s cpu ${BT_CPU}s rss ${BT_RSS_KB}kB exit $BT_RC"
        rsss+=("$BT_RSS_KB")
        walls+=("$BT_WALL")
        cpus+=("$BT_CPU")
    done
    rss_mb=$(bench_calc "$(bench_median "${rsss[@]}") * 1024 / 1e6")
    wall=$(bench_calc "$(bench_median "${walls[@]}")")
    cpu_ms=$(bench_calc "$(bench_median "${cpus[@]}") * 1000 / $N")
    met=$(awk -v r="$rss_mb" -v t="$TARGET_MB" 'BEGIN {print ((r + 0 < t + 0) ? "yes" : "no")}')
    [[ $met == yes ]] || ALL_MET=no
    printf '%-5s peak RSS %8.1f MB (target < %s MB: %s)  wall %.2f s  %.3f ms CPU/msg  %s JSON results\n' \
        "$m" "$rss_mb" "$TARGET_MB" "$met" "$wall" "$cpu_ms" "$results"
    SUMMARY+=("rss10k_${m}_peak_rss_mb=$rss_mb" "rss10k_${m}_target_met=$met"
        "rss10k_${m}_wall_s=$wall" "rss10k_${m}_cpu_ms_per_msg=$cpu_ms"
        "rss10k_${m}_json_results=$results")
    ROW+=("$m: $rss_mb MB peak RSS, $wall s")
done

CMD="bench/rss_10k.sh"
for a in "${ARGS_GIVEN[@]}"; do CMD+=" $(printf '%q' "$a")"; done
[[ $N == 10000 ]] || CMD="N=$N $CMD"
[[ -z ${WATCHPOST:-} ]] || CMD="WATCHPOST=$(printf '%q' "$WATCHPOST") $CMD"
WP_VERSION=$("$WP" --version 2>/dev/null </dev/null | head -n 1) || true
echo "== summary =="
printf '%s\n' "bench=rss_10k" "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" "git_rev=$(bench_git_rev)" \
    "machine=$(bench_machine)" "watchpost=$WP" "watchpost_version=${WP_VERSION:-unknown}" \
    "corpus=${CORPORA[*]}" "corpus_files=$NF" "messages=$N" "bytes=$BYTES" "jobs=$JOBS" \
    "runs=$RUNS" "modes=$MODES" "${SUMMARY[@]}" "rss10k_target_mb=$TARGET_MB" \
    "rss10k_target_met=$ALL_MET" "command=$CMD"
# shellcheck disable=SC2016 # the backquotes are literal markdown
printf 'hint: for docs/PERFORMANCE.md: `%s` -> | %s | %s | %d msgs, %.1f MB, jobs %s | %s | target < %s MB: %s |\n' \
    "$CMD" "$(date -u +%Y-%m-%d)" "$(bench_git_rev)" "$N" "$(bench_calc "$BYTES / 1e6")" "$JOBS" \
    "$(printf '%s; ' "${ROW[@]}" | sed 's/; $//')" "$TARGET_MB" "$ALL_MET"

if [[ ${STRICT:-0} == 1 && $ALL_MET == no ]]; then
    exit 3
fi
