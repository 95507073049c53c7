# bench/quality.d/peers.sh - rspamd and SpamAssassin over the labelled sets, with a cache
# (sourced by bench/quality, not run).
#
# Why a cache: the peers' answers do not depend on watchpost, and SpamAssassin needs
# 0.2-1 s of CPU per message, so a full run costs tens of minutes on 2 cores. Each result
# file is keyed by sha256 over: the tool, its Debian package version, the sha256 of the
# recipe script, and the set's list of "relative path<TAB>size" lines. Same files, same tool
# and same recipe = same key = reused; anything else = a new run. --refresh ignores the cache.
#
# Layout: $QCACHE/peers/<tool>-<key>.tsv, lines "relative path<TAB>answer" (rspamd: the
# action; sa: "score/threshold"); $QCACHE/peers/rspamd-cpu-<key>.txt, the recipe's summary
# line. Files are written to a temporary name and renamed, so an interrupted run leaves no
# half file behind.
#
# The recipes only look at *.eml files found with `find -type f`, so every set is first
# copied (not symlinked) into $QWORK/stage/<set>/<n>.eml, n being the line of the file in the
# set's list; answers are mapped back through n. The copy lives in /tmp and is deleted with
# the work directory.
# shellcheck shell=bash disable=SC2034 # PEER_* are read by bench/quality

RSPAMD_ACTIONS=${RSPAMD_ACTIONS:-$QPEERS/rspamd_actions.sh}
RSPAMD_CPU=${RSPAMD_CPU:-$QPEERS/rspamd_cpu_per_msg.sh}
SA_SCORES=${SA_SCORES:-$QD/sa_scores.sh}

peer_pkg_version() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo none; }

# The Debian packages the recipes need, installed once up front (root only), so the
# versions that go into the cache keys are the ones that will run.
peers_install() {
    local need=()
    command -v rspamd >/dev/null && command -v rspamc >/dev/null || need+=(rspamd)
    # Debian 12 splits SpamAssassin: rules and Perl (spamassassin), daemon (spamd), client (spamc)
    command -v spamassassin >/dev/null || need+=(spamassassin)
    command -v spamd >/dev/null || need+=(spamd)
    command -v spamc >/dev/null || need+=(spamc)
    local c
    for c in curl jq bc; do command -v "$c" >/dev/null || need+=("$c"); done
    ((${#need[@]} == 0)) && return 0
    [[ $EUID -eq 0 ]] || q_die "peers need packages (${need[*]}): run as root, or --no-peers"
    q_log "installing ${need[*]} (Debian packages)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 ||
        { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "${need[@]}" >&2; } ||
        q_die "could not install ${need[*]}"
}

# peer_key TOOL LIST... : the cache key of TOOL's answers on the sets whose lists are given
peer_key() {
    local tool=$1 recipe pkg
    shift
    case $tool in
    rspamd) recipe=$RSPAMD_ACTIONS pkg=rspamd ;;
    rspamd-cpu) recipe=$RSPAMD_CPU pkg=rspamd ;;
    sa) recipe=$SA_SCORES pkg=spamassassin ;;
    *) q_die "peer_key: unknown tool $tool" ;;
    esac
    {
        printf 'tool %s\npackage %s %s\nrecipe %s\n' "$tool" "$pkg" "$(peer_pkg_version $pkg)" \
            "$(sha256sum <"$recipe" | cut -c1-64)"
        cat "$@"
    } | sha256sum | cut -c1-16
}

# stage_set I : copies of set I's files as $QWORK/stage/I/<n>.eml (idempotent)
stage_set() {
    local i=$1 d=$QWORK/stage/$1
    [[ -f $d/.done ]] && return 0
    rm -rf "$d"
    python3 "$QD/stage.py" copy "$QWORK/lists/$i.tsv" "${SET_DIR[$i]}" "$d" && touch "$d/.done"
}

# peer_map I RAW OUT : RAW has "<stage path>/<n>.eml<TAB>answer"; OUT gets "rel<TAB>answer"
peer_map() {
    awk -F'\t' 'NR == FNR {rel[NR] = $1; next}
        {n = $1; sub(/.*\//, "", n); sub(/\.eml$/, "", n); n += 0
         if (n in rel) print rel[n] "\t" $2}' "$QWORK/lists/$1.tsv" "$2" >"$3.tmp"
    mv "$3.tmp" "$3"
}

# peer_run_sets TOOL : answers of TOOL for every set whose cache file is missing
# (sequential: one rspamd / one spamd at a time, they share fixed ports and work dirs)
peer_run_sets() {
    local tool=$1 i out raw rc
    for i in "${!SET_DIR[@]}"; do
        out=${PEER_OUT[$tool.$i]}
        [[ -s $out ]] && continue
        stage_set "$i"
        raw=$QWORK/peers/$tool.$i.raw
        q_log "$tool: set $i (${SET_NAME[$i]}, ${SET_N[$i]} messages) started"
        rc=0
        case $tool in
        rspamd) WORK=$QWORK/rspamd-actions nice -n 10 "$RSPAMD_ACTIONS" "$QWORK/stage/$i" \
            >"$raw" 2>"$raw.err" || rc=$? ;;
        sa) SA_PORT=${SA_PORT:-7830} nice -n 10 "$SA_SCORES" "$QWORK/stage/$i" \
            >"$raw" 2>"$raw.err" || rc=$? ;;
        esac
        # rspamd_actions.sh prints a start-up line and a configtest result before the table
        grep -P '^/.*\.eml\t' "$raw" >"$raw.tsv" || true
        if ((rc != 0)) || [[ ! -s $raw.tsv ]]; then
            q_log "$tool: set $i failed (exit $rc); last lines of its stderr:"
            tail -n 15 "$raw.err" >&2
            continue
        fi
        peer_map "$i" "$raw.tsv" "$out"
        q_log "$tool: set $i done ($(wc -l <"$out") answers)"
    done
}

# peer_run_cpu : rspamd's CPU per message over all sets together (one rspamd start)
peer_run_cpu() {
    [[ -s $PEER_CPU_OUT ]] && return 0
    local i d=$QWORK/stage-all raw=$QWORK/peers/rspamd-cpu.raw
    rm -rf "$d"
    mkdir -p "$d"
    for i in "${!SET_DIR[@]}"; do
        stage_set "$i"
        cp -l -r "$QWORK/stage/$i" "$d/$i" 2>/dev/null || cp -r "$QWORK/stage/$i" "$d/$i"
        rm -f "$d/$i/.done"
    done
    # the recipe sums the CPU of every process named rspamd: wait (up to 10 min) for any
    # other rspamd to go away, else measure anyway and say so
    local waited=0
    while pgrep -x rspamd >/dev/null && ((waited < 600)); do sleep 5; waited=$((waited + 5)); done
    pgrep -x rspamd >/dev/null &&
        q_log "rspamd-cpu: another rspamd is running; its CPU will be counted too"
    q_log "rspamd-cpu: started"
    if WORK=$QWORK/rspamd-cpu nice -n 10 "$RSPAMD_CPU" "$d" >"$raw" 2>"$raw.err" &&
        grep -q 'cpu_ms_per_msg' "$raw"; then
        grep 'cpu_ms_per_msg' "$raw" | tail -n 1 >"$PEER_CPU_OUT.tmp"
        mv "$PEER_CPU_OUT.tmp" "$PEER_CPU_OUT"
        q_log "rspamd-cpu: $(cat "$PEER_CPU_OUT")"
    else
        q_log "rspamd-cpu: failed; last lines:"
        tail -n 15 "$raw.err" >&2
    fi
    rm -rf "$d"
}

# peers_start : computes the keys, then runs the answers that are not cached in two
# background jobs at nice 10 (rspamd; SpamAssassin). Sets PEER_PIDS. rspamd's CPU figure
# is measured later, in the foreground, by peers_cpu (after peers_wait), so that neither
# SpamAssassin nor our own scans run beside it.
declare -A PEER_OUT
PEER_PIDS=()
peers_start() {
    local i tool lists=()
    mkdir -p "$QCACHE/peers" "$QWORK/peers"
    for i in "${!SET_DIR[@]}"; do
        lists+=("$QWORK/lists/$i.tsv")
        for tool in rspamd sa; do
            PEER_OUT[$tool.$i]=$QCACHE/peers/$tool-$(peer_key $tool "$QWORK/lists/$i.tsv").tsv
            ((REFRESH)) && rm -f "${PEER_OUT[$tool.$i]}"
        done
    done
    PEER_CPU_OUT=$QCACHE/peers/rspamd-cpu-$(peer_key rspamd-cpu "${lists[@]}").txt
    ((REFRESH)) && rm -f "$PEER_CPU_OUT"
    local todo_r=0 todo_s=0
    for i in "${!SET_DIR[@]}"; do
        [[ -s ${PEER_OUT[rspamd.$i]} ]] || todo_r=1
        [[ -s ${PEER_OUT[sa.$i]} ]] || todo_s=1
    done
    if ((todo_r)); then
        (peer_run_sets rspamd) >"$QWORK/peers/rspamd.log" 2>&1 &
        PEER_PIDS+=($!)
        q_log "rspamd running in the background (pid $!, log $QWORK/peers/rspamd.log)"
    else
        q_log "rspamd: every answer cached"
    fi
    if ((todo_s)); then
        (peer_run_sets sa) >"$QWORK/peers/sa.log" 2>&1 &
        PEER_PIDS+=($!)
        q_log "SpamAssassin running in the background (pid $!, log $QWORK/peers/sa.log)"
    else
        q_log "SpamAssassin: every answer cached"
    fi
}

# peers_wait : waits for the background jobs, then shows their logs
peers_wait() {
    local p
    ((${#PEER_PIDS[@]})) || return 0
    q_log "waiting for the peers (rspamd, SpamAssassin)..."
    for p in "${PEER_PIDS[@]}"; do wait "$p" || true; done
    PEER_PIDS=()
    cat "$QWORK/peers/"*.log >&2 2>/dev/null || true
}

# peers_cpu : rspamd's CPU per message (cached like the answers)
peers_cpu() {
    if [[ -s $PEER_CPU_OUT ]]; then
        q_log "rspamd CPU: cached ($(cat "$PEER_CPU_OUT"))"
    else
        peer_run_cpu
    fi
}
