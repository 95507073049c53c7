# bench/lib.sh - helpers shared by the benchmark scripts (sourced, not run).
#
# Measurement: every timed command runs under GNU `/usr/bin/time -v`; wall time is taken by
# the caller's shell from $EPOCHREALTIME (microseconds), CPU is user+system of the command and
# every descendant it waited for, peak RSS is "Maximum resident set size" (the largest single
# process, not a sum, if the command forks workers).
# Units: MB = 10^6 bytes everywhere (throughput and RSS), so "RSS < 100 MB" is the strict
# reading of the target.
# shellcheck shell=bash disable=SC2034 # BENCH_* and BT_* are read by the sourcing scripts

BENCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_REPO=$(cd "$BENCH_LIB_DIR/.." && pwd)

bench_log() { printf '[bench] %s\n' "$*" >&2; }
bench_die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

# GNU time, installed from Debian when missing (root only).
bench_need_time() {
    [[ -x /usr/bin/time ]] && return 0
    [[ $EUID -eq 0 ]] || bench_die "/usr/bin/time is missing: apt-get install time (as root)"
    bench_log "installing GNU time"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time >&2 ||
        { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends time >&2; }
    [[ -x /usr/bin/time ]] || bench_die "could not install GNU time"
}

# The watchpost binary: $WATCHPOST, else the release build (build/release/watchpost, or
# CMake's default place for it, build/release/src/cli/watchpost).
bench_watchpost() {
    local wp=${WATCHPOST:-$BENCH_REPO/build/release/watchpost}
    if [[ -z ${WATCHPOST:-} && ! -x $wp && -x $BENCH_REPO/build/release/src/cli/watchpost ]]; then
        wp=$BENCH_REPO/build/release/src/cli/watchpost
    fi
    [[ -x $wp ]] || bench_die "watchpost binary not found or not executable: $wp
  build it first (release preset), or set WATCHPOST=/path/to/watchpost"
    printf '%s\n' "$wp"
}

# bench_collect DIR... : fills BENCH_FILES (sorted regular files, symlinks followed),
# BENCH_SIZES (their sizes, same order) and BENCH_BYTES (the total). Every regular file
# counts as one message, as in the rspamd recipe (find -type f).
bench_collect() {
    local d
    BENCH_FILES=()
    for d in "$@"; do
        [[ -d $d ]] || bench_die "not a directory: $d"
    done
    mapfile -t BENCH_FILES < <(find -L "$@" -type f | LC_ALL=C sort)
    ((${#BENCH_FILES[@]} > 0)) || bench_die "no files under: $*"
    mapfile -t BENCH_SIZES < <(printf '%s\0' "${BENCH_FILES[@]}" | xargs -0 stat -L -c %s)
    BENCH_BYTES=$(printf '%s\n' "${BENCH_SIZES[@]}" | awk '{s += $1} END {printf "%d", s}')
}

# bench_timed PREFIX CMD... : runs CMD with stdin from /dev/null, stdout to PREFIX.out,
# stderr to PREFIX.err, GNU time's report to PREFIX.time. Sets BT_RC, BT_WALL (s),
# BT_CPU (user+sys s), BT_RSS_KB. Never fails by itself: the caller judges BT_RC.
bench_timed() {
    local prefix=$1
    shift
    local t0 t1
    t0=$EPOCHREALTIME
    BT_RC=0
    /usr/bin/time -v -o "$prefix.time" "$@" <"/dev/null" >"$prefix.out" 2>"$prefix.err" || BT_RC=$?
    t1=$EPOCHREALTIME
    BT_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f", b - a}')
    BT_CPU=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ {s += $2}
                         END {printf "%.3f", s}' "$prefix.time")
    BT_RSS_KB=$(awk -F': ' '/Maximum resident set size/ {print $2 + 0}' "$prefix.time")
    [[ -n $BT_RSS_KB ]] || BT_RSS_KB=0
}

# bench_rc_ok RC : true when RC is one of WATCHPOST_OK_EXIT (default "0 1": clean, or
# something found; anything else, including death by a signal, is a failed run).
bench_rc_ok() {
    local ok
    for ok in ${WATCHPOST_OK_EXIT:-0 1}; do
        [[ $1 == "$ok" ]] && return 0
    done
    return 1
}

# bench_results FILE : number of JSON values in FILE, counting each element of a top-level
# array (covers JSON Lines and one big array); "?" when jq is missing or the output is not JSON.
bench_results() {
    command -v jq >/dev/null || { echo "?"; return 0; }
    jq -s 'map(if type == "array" then length else 1 end) | add // 0' "$1" 2>/dev/null || echo "?"
}

# bench_median NUM... : median (mean of the two middle values for an even count).
bench_median() {
    printf '%s\n' "$@" | LC_ALL=C sort -g | awk '{a[NR] = $1}
        END {if (NR % 2) printf "%.6f", a[(NR + 1) / 2];
             else printf "%.6f", (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}

# bench_calc EXPR : floating-point arithmetic through awk, printed with %.3f.
bench_calc() { awk "BEGIN {printf \"%.3f\", $1}"; }

# One line describing the machine, for the record.
bench_machine() {
    local cpu
    cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null)
    printf '%s, %s cores, %s, kernel %s' "${cpu:-unknown cpu}" "$(nproc)" \
        "$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown os}")" "$(uname -r)"
}

bench_git_rev() {
    git -C "$BENCH_REPO" rev-parse --short HEAD 2>/dev/null || echo "uncommitted"
}
