#!/usr/bin/env bash
# milter_load.sh - messages/s through a private Postfix with and without `watchpost milter`,
# the latency the milter adds per message, and the count of messages lost (must be 0).
#
# usage:  sudo bench/milter_load.sh
# env:    N=5000          messages to send (smtp-source -m)
#         C=100           concurrent SMTP sessions (smtp-source -s)
#         SIZE=4096       size in bytes of the generated message (headers + plain-text body)
#         MSG=file        send this RFC 5322 file instead of the generated message (smtp-source -F)
#         WATCHPOST=path  binary to measure; default: build/release/watchpost, brought up to
#                         date first (`cmake --preset release`, `cmake --build -j$BUILD_JOBS`)
#         BUILD_JOBS=2    ninja's -j for that build
#         SOCKET=inet     the milter's socket: inet (inet:PORT@127.0.0.1) or unix (a socket file
#                         in the work directory)
#         MILTER_ARGS=... extra `watchpost milter` arguments (split on blanks), e.g.
#                         "--set action.malware=reject" (default: none: the default settings)
#         STALL=120       give up when nothing is delivered or decided for this many seconds
#         KEEP=1          keep the work directory (Postfix logs, milter log, mailboxes, store)
#
# Two phases with the same message, count and concurrency, each on a fresh Postfix instance
# (tests/milter/postfix-env.sh: loopback only, virtual delivery into one mbox, never relays,
# tuned by pf_tune_load: no client rate limits, no in_flow_delay, process limits for C
# sessions):
#   1. Postfix alone;
#   2. Postfix with `watchpost milter` (SOCKET, run as nobody, default rules and configuration,
#      store and compiled-rules cache in the work directory; timed after "listening on").
# Each phase: smtp-source sends N messages over C sessions; the clock runs from its start
# until every message is accounted for (delivered = `status=sent` in the Postfix log, or
# discarded/rejected/held by the milter, or refused to smtp-source). Latency added:
#   - milter: the ms= of each decision line (time at end of data: scan + store + reply);
#   - Postfix: `delays=a/...` of each delivery, a = arrival until the queue manager, which
#     includes the SMTP transaction and so every milter round trip; p50/p99 without and with.
# lost = sent - delivered - quarantined - rejected - held - refused (4xx/5xx to smtp-source).
# Exit 1 when lost != 0 or the milter tempfailed/refused anything (a failed run).
#
# Output: progress on stderr; results, a `== summary ==` block of key=value lines and a
# `hint:` line (command + table row for docs/PERFORMANCE.md) on stdout.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
# shellcheck disable=SC1091 # sourced from the repository, found at run time
. "$BENCH_REPO/tests/milter/postfix-env.sh"

N=${N:-5000} C=${C:-100} SIZE=${SIZE:-4096} MSG=${MSG:-} STALL=${STALL:-120}
BUILD_JOBS=${BUILD_JOBS:-2}
read -r -a MILTER_EXTRA <<<"${MILTER_ARGS:-}"
SOCKET=${SOCKET:-inet}
[[ $SOCKET == inet || $SOCKET == unix ]] || bench_die "SOCKET must be inet or unix (got '$SOCKET')"
[[ $N =~ ^[1-9][0-9]*$ ]] || bench_die "N must be a positive integer (got '$N')"
[[ $C =~ ^[1-9][0-9]*$ ]] || bench_die "C must be a positive integer (got '$C')"
[[ $SIZE =~ ^[1-9][0-9]*$ ]] || bench_die "SIZE must be a positive integer (got '$SIZE')"
[[ $EUID -eq 0 ]] || bench_die "needs root (a private Postfix instance, the milter run as nobody)"
command -v postfix >/dev/null || bench_die "postfix is not installed (scripts/install-deps.sh)"
SMTP_SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
[[ -x $SMTP_SOURCE ]] || bench_die "smtp-source not found (Debian package postfix)"
id nobody >/dev/null 2>&1 || bench_die "no user 'nobody'"

# ---- the binary: the release build, brought up to date (ninja does nothing when it is)
if [[ -z ${WATCHPOST:-} ]]; then
    if [[ ! -f $BENCH_REPO/build/release/build.ninja ]]; then
        bench_log "configuring the release build"
        (cd "$BENCH_REPO" && cmake --preset release >&2) || bench_die "cmake --preset release failed"
    fi
    bench_log "building build/release (-j$BUILD_JOBS)"
    cmake --build "$BENCH_REPO/build/release" -j "$BUILD_JOBS" >&2 ||
        bench_die "the release build failed (or set WATCHPOST=/path/to/watchpost)"
fi
WP=$(bench_watchpost)
"$WP" milter --help >/dev/null 2>&1 || bench_die "$WP has no milter command"

T=$(mktemp -d /tmp/watchpost-milterload.XXXXXX)
chmod 755 "$T"
MPID='' SPID='' PF_DIRS=()
# stop_postfix DIR : pf_stop, then wait for the master to exit (the queue is quiet after it)
stop_postfix() {
    pf_stop "$1" || true # not running any more: fine
    for _ in $(seq 50); do
        postfix -c "$1/etc" status >/dev/null 2>&1 || return 0
        sleep 0.1
    done
}
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    local d
    set +e
    [[ -n $SPID ]] && kill "$SPID" 2>/dev/null
    if [[ -n $MPID ]]; then
        kill "$MPID" 2>/dev/null
        wait "$MPID" 2>/dev/null
    fi
    for d in "${PF_DIRS[@]}"; do stop_postfix "$d"; done
    if [[ ${KEEP:-0} == 1 ]]; then bench_log "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the message
if [[ -n $MSG ]]; then
    [[ -f $MSG && -r $MSG ]] || bench_die "MSG is not a readable file: $MSG"
    cp -- "$MSG" "$T/msg.eml"
    MSG_DESC="${MSG##*/}"
else
    # a plain business mail of about SIZE bytes (LF lines; smtp-source sends CRLF)
    {
        printf 'From: Alice Example <alice@example.org>\nTo: Bob <bob@watchpost.test>\n'
        printf 'Subject: Minutes of the planning meeting\nDate: Thu, 26 Nov 2026 09:30:00 +0000\n'
        printf 'Message-ID: <20261126093000.4711@mail.example.org>\nMIME-Version: 1.0\n'
        printf 'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nHi Bob,\n\n'
        awk -v size="$SIZE" 'BEGIN {
            s[0] = "thanks for joining the planning meeting this morning. Below are the points we agreed on,"
            s[1] = "the budget for the next quarter stays as proposed, with the travel line reduced by ten percent."
            s[2] = "Carol will send the updated schedule on Friday; please check the dates for the review."
            s[3] = "The shared documents are at https://intranet.example.org/planning/2026-q4 as usual."
            s[4] = "If anything in these notes is wrong, reply before Monday so that we can fix the record."
            n = 420
            for (i = 0; n < size - 40; i++) { line = s[i % 5]; print line; n += length(line) + 1 }
            print "\nBest regards,\nAlice"
        }'
    } >"$T/msg.eml"
    MSG_DESC="generated text/plain"
fi
MSG_BYTES=$(stat -c %s "$T/msg.eml")
SENDER=alice@example.org RCPT=bob@watchpost.test

LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
awk -v l="${LOADAVG%% *}" -v n="$(nproc)" 'BEGIN {exit !(l > n / 2)}' &&
    bench_log "WARNING: load average $LOADAVG on $(nproc) cores: other work will skew the figures"

# pct P FILE : nearest-rank percentile of the numbers in FILE (one a line); "-" when empty
pct() {
    LC_ALL=C sort -g "$2" | awk -v p="$1" '{a[NR] = $1} END {
        if (NR == 0) { print "-"; exit }
        i = int(p / 100 * NR); if (i < p / 100 * NR) i++; if (i < 1) i = 1
        printf "%.1f", a[i] }'
}
# count REGEX FILE : matching lines (0 when none or no file)
count() { grep -cE -- "$1" "$2" 2>/dev/null || true; }
# busy and total jiffies of all CPUs, from /proc/stat
cpu_jiffies() { awk '/^cpu / {b = $2 + $3 + $4 + $7 + $8; print b, b + $5 + $6; exit}' /proc/stat; }

# proc_cpu PID : user+system CPU seconds of a running process
proc_cpu() {
    awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / hz}' "/proc/$1/stat"
}

# start_milter DIR LISTEN : starts the milter (log appended to DIR/milter.log), sets MPID and
# P_READY_S (seconds until its "listening on" line)
start_milter() {
    local d=$1 listen=$2 t0 before
    before=$(count "listening on" "$d/milter.log")
    t0=$EPOCHREALTIME
    "$WP" milter -c "$d/watchpost.conf" --listen "$listen" --user nobody \
        --foreground --db "$d/store/store.db" --spool "$d/store/spool" "${MILTER_EXTRA[@]}" >>"$d/milter.log" 2>&1 &
    MPID=$!
    for _ in $(seq 3000); do
        (($(count "listening on" "$d/milter.log") > before)) && break
        kill -0 "$MPID" 2>/dev/null || { tail -n 20 "$d/milter.log" >&2; bench_die "the milter exited at start"; }
        sleep 0.1
    done
    (($(count "listening on" "$d/milter.log") > before)) || bench_die "the milter was not ready within 300 s"
    P_READY_S=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
    # the socket is nobody's, mode 0660, and postfix is not in nobody's group (in production:
    # a group shared by postfix and the run user; see docs/MILTER.md)
    [[ $listen != unix:* ]] || chmod 0666 "${listen#unix:}"
}

# run_phase LABEL WITH_MILTER(0|1) : sets P_* results
run_phase() {
    local label=$1 with=$2 d=$T/$1 sport mport=0 spec='' why t0 t1 tsrc last_acc=-1 last_t
    mkdir -p "$d"
    chmod 755 "$d"
    sport=$(pf_free_port)
    P_MS_P50=- P_MS_P99=- P_MS_MAX=- P_HWM_KB=0 P_CPU_S=0 P_THREADS=0 P_COMPILE_S=0
    P_M_DELIVER=0 P_M_TAG=0 P_M_QUAR=0 P_M_HOLD=0 P_M_REJ=0 P_M_TEMPFAIL=0 P_M_ERR=0 P_M_LINES=0 P_EXIT=-
    P_EV=skipped P_RSS_KB=0 P_HWM0_KB=0 P_READY_S=0 P_CPU0=0
    if ((with)); then
        local listen
        if [[ $SOCKET == unix ]]; then
            listen="unix:$d/milter.sock" spec="unix:$d/milter.sock"
        else
            mport=$(pf_free_port)
            [[ $mport != "$sport" ]] || mport=$((sport + 1))
            listen="inet:$mport@127.0.0.1" spec="inet:127.0.0.1:$mport"
        fi
        mkdir -p "$d/store"
        chown nobody:nogroup "$d/store"
        : >"$d/watchpost.conf" # the defaults: no configuration file of the host
        chmod 644 "$d/watchpost.conf"
        : >"$d/milter.log"
        # first start: compiles the rules into the cache beside the store (as a production
        # milter does once); the measured milter is the second start, which loads the cache
        start_milter "$d" "$listen"
        P_COMPILE_S=$P_READY_S
        kill -TERM "$MPID"
        wait "$MPID" || bench_die "$label: the warm-up milter exited with $? after SIGTERM"
        MPID=''
        start_milter "$d" "$listen"
        P_CPU0=$(proc_cpu "$MPID")
        P_HWM0_KB=$(awk '/^VmHWM:/ {print $2}' "/proc/$MPID/status")
        bench_log "$label: milter pid $MPID on $listen; rules compiled in ${P_COMPILE_S}s, ready from the cache in ${P_READY_S}s"
    fi
    PF_DIRS+=("$d")
    why=$(pf_setup "$d" "$sport" "$spec") || bench_die "$label: $why"
    why=$(pf_tune_load "$d" "$C") || bench_die "$label: $why"
    bench_log "$label: postfix on 127.0.0.1:$sport; smtp-source -s $C -m $N ($MSG_BYTES-byte message)"

    local j0 j1
    j0=$(cpu_jiffies)
    t0=$EPOCHREALTIME
    "$SMTP_SOURCE" -A -s "$C" -m "$N" -F "$T/msg.eml" -f "$SENDER" -t "$RCPT" \
        -M client.example.org "127.0.0.1:$sport" >"$d/smtp-source.out" 2>"$d/smtp-source.err" &
    SPID=$!
    P_SRC_RC=0
    wait "$SPID" || P_SRC_RC=$?
    SPID=''
    tsrc=$EPOCHREALTIME
    P_SRC_S=$(awk -v a="$t0" -v b="$tsrc" 'BEGIN {printf "%.3f", b - a}')
    # refused by Postfix (any non-2xx reply smtp-source warned about), split by class
    P_REFUSED_4=$(count 'warning: .*: 4[0-9][0-9] ' "$d/smtp-source.err")
    P_REFUSED_5=$(count 'warning: .*: 5[0-9][0-9] ' "$d/smtp-source.err")
    P_POLICY=$(count 'warning: .*: 550 5\.7\.1 rejected by policy, reference ' "$d/smtp-source.err")
    P_SRC_ERR=$(count 'warning:|fatal:' "$d/smtp-source.err")
    ((P_SRC_RC == 0)) || bench_log "$label: smtp-source exited with $P_SRC_RC: $(tail -n 3 "$d/smtp-source.err")"

    # wait until every message is accounted for, or nothing moves for STALL seconds
    local log=$d/postfix.log acc
    last_t=$EPOCHREALTIME
    while :; do
        P_DELIVERED=$(count ' status=sent ' "$log")
        P_DISCARD=$(count 'milter-discard: END-OF-MESSAGE' "$log")
        P_HOLD=$(count 'milter-hold: END-OF-MESSAGE' "$log")
        acc=$((P_DELIVERED + P_DISCARD + P_HOLD + P_REFUSED_4 + P_REFUSED_5))
        ((acc >= N)) && break
        if ((acc != last_acc)); then
            last_acc=$acc last_t=$EPOCHREALTIME
        elif awk -v a="$last_t" -v b="$EPOCHREALTIME" -v s="$STALL" 'BEGIN {exit !(b - a > s)}'; then
            bench_log "$label: no progress for ${STALL}s at $acc of $N accounted; giving up"
            break
        fi
        sleep 0.1
    done
    t1=$EPOCHREALTIME
    j1=$(cpu_jiffies)
    P_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
    P_MSGS=$(bench_calc "$acc / $P_WALL")
    P_ACCEPT_MSGS=$(bench_calc "$N / $P_SRC_S")
    P_SYS_CPU=$(awk -v a="$j0" -v b="$j1" 'BEGIN {split(a, x, " "); split(b, y, " ");
        t = y[2] - x[2]; printf "%.0f", (t > 0 ? 100 * (y[1] - x[1]) / t : 0)}')
    P_MBOX=$(count '^From ' "$d/vmail/bob")
    P_QUEUE=$(postqueue -c "$d/etc" -p 2>&1 | tail -n 1)
    [[ $P_QUEUE == *"Mail queue is empty"* ]] && P_QUEUE=empty
    stop_postfix "$d" # idle from here on; not left running beside the next phase

    # Postfix's delays= a (arrival .. queue manager), seconds -> ms
    sed -nE 's/.* delays=([0-9.]+)\/.* status=sent .*/\1/p' "$log" |
        awk '{printf "%.3f\n", $1 * 1000}' >"$d/delay_a.ms"
    P_A_P50=$(pct 50 "$d/delay_a.ms") P_A_P99=$(pct 99 "$d/delay_a.ms")
    P_A_MAX=$(pct 100 "$d/delay_a.ms")

    if ((with)); then
        local st
        # the milter's own figures, read before it stops
        P_HWM_KB=$(awk '/^VmHWM:/ {print $2}' "/proc/$MPID/status" 2>/dev/null || echo 0)
        P_THREADS=$(awk '/^Threads:/ {print $2}' "/proc/$MPID/status" 2>/dev/null || echo 0)
        P_CPU_S=$(awk -v a="$P_CPU0" -v b="$(proc_cpu "$MPID")" 'BEGIN {printf "%.2f", b - a}')
        P_RSS_KB=$(awk '/^VmRSS:/ {print $2}' "/proc/$MPID/status" 2>/dev/null || echo 0)
        kill -TERM "$MPID"
        st=0
        wait "$MPID" || st=$?
        P_EXIT=$st MPID=''
        local ml=$d/milter.log
        P_M_DELIVER=$(count ': deliver verdict=' "$ml")
        P_M_TAG=$(count ': tag verdict=' "$ml")
        P_M_QUAR=$(count ': quarantine verdict=' "$ml")
        P_M_HOLD=$(count ': quarantine\+hold verdict=' "$ml")
        P_M_REJ=$(count ': reject verdict=' "$ml")
        P_M_TEMPFAIL=$(count ': tempfail' "$ml")
        P_M_LINES=$(count ' ms=[0-9.]+' "$ml")
        P_M_ERR=$(grep -vE 'verdict=|listening on|running as|signal [0-9]+: stopping|^.{0,60}stopped$' "$ml" |
            grep -ciE 'error|warning|fail|cannot' || true)
        sed -nE 's/.* ms=([0-9.]+)$/\1/p' "$ml" >"$d/milter.ms"
        P_MS_P50=$(pct 50 "$d/milter.ms") P_MS_P99=$(pct 99 "$d/milter.ms") P_MS_MAX=$(pct 100 "$d/milter.ms")
        P_VERDICTS=$(sed -nE 's/.* verdict=([a-z]+) .*/\1/p' "$ml" | sort | uniq -c | awk '{printf "%s%s=%s", (NR > 1 ? "," : ""), $2, $1}')
        # the store's own count of decisions (after the milter stopped: no lock contention)
        if command -v jq >/dev/null; then
            P_EV=$("$WP" events --db "$d/store/store.db" --json --limit $((N * 2 + 10)) 2>/dev/null |
                jq -s 'length' 2>/dev/null || echo "?")
        fi
    fi
    P_LOST=$((N - P_DELIVERED - P_DISCARD - P_HOLD - P_REFUSED_4 - P_REFUSED_5))
    bench_log "$label: $acc/$N accounted in ${P_WALL}s (smtp-source ${P_SRC_S}s); system CPU busy ${P_SYS_CPU}%"
}

MACHINE=$(bench_machine)
CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null)
printf '== watchpost milter under load: %d messages, %d sessions, %d-byte message (%s), milter on %s socket, %s ==\n' \
    "$N" "$C" "$MSG_BYTES" "$MSG_DESC" "$SOCKET" "$MACHINE"

run_phase plain 0
B=("$P_WALL" "$P_MSGS" "$P_SRC_S" "$P_ACCEPT_MSGS" "$P_A_P50" "$P_A_P99" "$P_A_MAX" "$P_DELIVERED" "$P_LOST"
    "$P_REFUSED_4" "$P_REFUSED_5" "$P_SYS_CPU" "$P_MBOX" "$P_QUEUE" "$P_SRC_ERR")
printf '%-8s %8.1f msg/s delivered (wall %.2f s), smtp-source done in %.2f s (%.1f msg/s), delays a p50 %s ms p99 %s ms max %s ms; delivered %d, refused 4xx %d 5xx %d, lost %d; mbox %d, queue %s, CPU busy %s%%\n' \
    "without" "${B[1]}" "${B[0]}" "${B[2]}" "${B[3]}" "${B[4]}" "${B[5]}" "${B[6]}" "${B[7]}" "${B[9]}" "${B[10]}" \
    "${B[8]}" "${B[12]}" "${B[13]}" "${B[11]}"

run_phase milter 1
M=("$P_WALL" "$P_MSGS" "$P_SRC_S" "$P_ACCEPT_MSGS" "$P_A_P50" "$P_A_P99" "$P_A_MAX" "$P_DELIVERED" "$P_LOST"
    "$P_REFUSED_4" "$P_REFUSED_5" "$P_SYS_CPU" "$P_MBOX" "$P_QUEUE" "$P_SRC_ERR")
printf '%-8s %8.1f msg/s delivered (wall %.2f s), smtp-source done in %.2f s (%.1f msg/s), delays a p50 %s ms p99 %s ms max %s ms; delivered %d, refused 4xx %d 5xx %d, lost %d; mbox %d, queue %s, CPU busy %s%%\n' \
    "with" "${M[1]}" "${M[0]}" "${M[2]}" "${M[3]}" "${M[4]}" "${M[5]}" "${M[6]}" "${M[7]}" "${M[9]}" "${M[10]}" \
    "${M[8]}" "${M[12]}" "${M[13]}" "${M[11]}"
printf 'milter   decisions %d (deliver %d, tag %d, quarantine %d, quarantine+hold %d, reject %d; verdicts %s), tempfail %d, other errors/warnings %d; store events %s\n' \
    "$P_M_LINES" "$P_M_DELIVER" "$P_M_TAG" "$P_M_QUAR" "$P_M_HOLD" "$P_M_REJ" "${P_VERDICTS:-none}" \
    "$P_M_TEMPFAIL" "$P_M_ERR" "$P_EV"
printf 'milter   ms at end of data: p50 %s p99 %s max %s; CPU %s s during the run (%s ms/msg); peak RSS (VmHWM) %.1f MB (%.1f MB when ready, %.1f MB at the end); %s threads at the end; rules compiled in %s s, ready from the cache in %s s; exit %s\n' \
    "$P_MS_P50" "$P_MS_P99" "$P_MS_MAX" "$P_CPU_S" "$(bench_calc "$P_CPU_S * 1000 / $N")" \
    "$(bench_calc "$P_HWM_KB * 1024 / 1e6")" "$(bench_calc "$P_HWM0_KB * 1024 / 1e6")" \
    "$(bench_calc "$P_RSS_KB * 1024 / 1e6")" "$P_THREADS" "$P_COMPILE_S" "$P_READY_S" "$P_EXIT"
RATIO=$(awk -v a="${M[1]}" -v b="${B[1]}" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
ACC_RATIO=$(awk -v a="${M[3]}" -v b="${B[3]}" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
ADD_P50=$(awk -v a="${M[4]}" -v b="${B[4]}" 'BEGIN {printf "%.1f", a - b}')
ADD_P99=$(awk -v a="${M[5]}" -v b="${B[5]}" 'BEGIN {printf "%.1f", a - b}')
LOST=$((B[8] + M[8]))
printf 'result   with/without: delivered msg/s %s, accepted msg/s %s; added latency (delays a, with - without): p50 %s ms, p99 %s ms; milter ms p50 %s p99 %s; lost=%d\n' \
    "$RATIO" "$ACC_RATIO" "$ADD_P50" "$ADD_P99" "$P_MS_P50" "$P_MS_P99" "$LOST"

WP_VERSION=$("$WP" --version 2>/dev/null </dev/null | head -n 1) || true
CMD="bench/milter_load.sh"
[[ $SIZE == 4096 || -n $MSG ]] || CMD="SIZE=$SIZE $CMD"
[[ -z $MSG ]] || CMD="MSG=$(printf '%q' "$MSG") $CMD"
CMD="N=$N C=$C $CMD"
[[ $SOCKET == inet ]] || CMD="SOCKET=$SOCKET $CMD"
[[ -z ${MILTER_ARGS:-} ]] || CMD="MILTER_ARGS=$(printf '%q' "$MILTER_ARGS") $CMD"
[[ -z ${WATCHPOST:-} ]] || CMD="WATCHPOST=$(printf '%q' "$WATCHPOST") $CMD"
GIT_REV=$(bench_git_rev)
[[ -z $(git -C "$BENCH_REPO" status --porcelain --untracked-files=no 2>/dev/null) ]] || GIT_REV="$GIT_REV+dirty"
cat <<EOF
== summary ==
bench=milter_load
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
git_rev=$GIT_REV
machine=$MACHINE
nproc=$(nproc)
cpu_model=${CPU_MODEL:-unknown}
loadavg_start=$LOADAVG
watchpost=$WP
watchpost_version=${WP_VERSION:-unknown}
postfix_version=$(postconf -d -h mail_version 2>/dev/null || echo unknown)
messages=$N
sessions=$C
message_bytes=$MSG_BYTES
message=$MSG_DESC
milter_socket=$SOCKET
without_wall_s=${B[0]}
without_msgs_per_s=${B[1]}
without_smtp_source_s=${B[2]}
without_accept_msgs_per_s=${B[3]}
without_delay_a_p50_ms=${B[4]}
without_delay_a_p99_ms=${B[5]}
without_delivered=${B[7]}
without_refused_4xx=${B[9]}
without_refused_5xx=${B[10]}
without_lost=${B[8]}
without_cpu_busy_pct=${B[11]}
with_wall_s=${M[0]}
with_msgs_per_s=${M[1]}
with_smtp_source_s=${M[2]}
with_accept_msgs_per_s=${M[3]}
with_delay_a_p50_ms=${M[4]}
with_delay_a_p99_ms=${M[5]}
with_delivered=${M[7]}
with_quarantined=$P_M_QUAR
with_held=$P_M_HOLD
with_rejected=$P_POLICY
with_refused_4xx=${M[9]}
with_lost=${M[8]}
with_cpu_busy_pct=${M[11]}
throughput_ratio=$RATIO
accept_ratio=$ACC_RATIO
added_delay_a_p50_ms=$ADD_P50
added_delay_a_p99_ms=$ADD_P99
milter_ms_p50=$P_MS_P50
milter_ms_p99=$P_MS_P99
milter_ms_max=$P_MS_MAX
milter_decisions=$P_M_LINES
milter_store_events=$P_EV
milter_tempfail=$P_M_TEMPFAIL
milter_errors=$P_M_ERR
milter_peak_rss_mb=$(bench_calc "$P_HWM_KB * 1024 / 1e6")
milter_rss_ready_mb=$(bench_calc "$P_HWM0_KB * 1024 / 1e6")
milter_rss_end_mb=$(bench_calc "$P_RSS_KB * 1024 / 1e6")
milter_threads_end=$P_THREADS
milter_rules_compile_s=$P_COMPILE_S
milter_ready_from_cache_s=$P_READY_S
milter_cpu_s=$P_CPU_S
milter_cpu_ms_per_msg=$(bench_calc "$P_CPU_S * 1000 / $N")
milter_exit=$P_EXIT
lost=$LOST
command=$CMD
EOF
# shellcheck disable=SC2016 # the backquotes are literal markdown
printf 'hint: for docs/PERFORMANCE.md: `%s` -> | %s | %s | %d msgs x %d B, %d sessions | %.0f / %.0f msg/s | %.0f / %.0f msg/s (%s×, accepted %s×) | %s / %s ms | %s / %s ms -> %s / %s ms | %s | %.1f MB |\n' \
    "$CMD" "$(date -u +%Y-%m-%d)" "$GIT_REV" "$N" "$MSG_BYTES" "$C" "${B[1]}" "${B[3]}" "${M[1]}" "${M[3]}" "$RATIO" "$ACC_RATIO" \
    "$P_MS_P50" "$P_MS_P99" "${B[4]}" "${B[5]}" "${M[4]}" "${M[5]}" "$LOST" \
    "$(bench_calc "$P_HWM_KB * 1024 / 1e6")"

FAIL=0
((LOST == 0)) || { bench_log "FAIL: $LOST message(s) lost"; FAIL=1; }
((B[9] + B[10] + M[9] + M[10] - P_POLICY == 0)) ||
    { bench_log "FAIL: refused to smtp-source other than by policy: without 4xx ${B[9]} 5xx ${B[10]}, with 4xx ${M[9]} 5xx ${M[10]} - $P_POLICY by policy (see smtp-source.err; KEEP=1)"; FAIL=1; }
((B[14] + M[14] == B[9] + B[10] + M[9] + M[10])) ||
    { bench_log "FAIL: smtp-source reported errors other than refusals (see smtp-source.err; KEEP=1)"; FAIL=1; }
((P_M_TEMPFAIL == 0)) || { bench_log "FAIL: the milter tempfailed $P_M_TEMPFAIL message(s)"; FAIL=1; }
[[ $P_EXIT == 0 ]] || { bench_log "FAIL: the milter exited with $P_EXIT after SIGTERM"; FAIL=1; }
exit "$FAIL"
