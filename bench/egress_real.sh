#!/usr/bin/env bash
# bench/egress_real.sh - `watchpost ingest` over the real Zeek and Suricata logs in
# ../shared/data (docs/EGRESS.md, "Measured on real logs"): per set, lines and records read,
# what was skipped and why, findings per code, incidents raised, time and peak RSS.
#
#   bench/egress_real.sh                  # default configuration (no -c): what a new user gets
#   CONF=site.conf bench/egress_real.sh   # the same sets with a configuration file
#
# The sets are benign or lab traffic with no planted indicators, so with the default
# configuration every incident is a false positive and every finding is something an
# analyst would be shown: the table is the false-positive measurement of issue 5. Each set
# gets a fresh store, so first-seen learning starts from nothing every time.
# Variables: SHARED (default ../shared/data beside the repository), CONF, KEEP.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SHARED=${SHARED:-$BENCH_REPO/../shared/data}
WP=$(bench_watchpost)
bench_need_time
[[ -d $SHARED ]] || bench_die "no shared data at $SHARED (set SHARED=)"
T=$(mktemp -d /tmp/wp-egress-real.XXXXXX)
[[ -n ${KEEP:-} ]] || trap 'rm -rf "$T"' EXIT
conf=()
[[ -n ${CONF:-} ]] && conf=(-c "$CONF")

# Every directory that holds logs of one capture. Parser fixtures (truncated, unknown
# fields, not-a-log) are left to tests/net: they measure error handling, not detection.
sets=()
for d in "$SHARED"/zeek_logs/rita-test_data/* "$SHARED"/zeek_logs/zed-sample-data-wrccdc2018/* \
         "$SHARED"/suricata_eve/*; do
    [[ -d $d ]] || continue
    case ${d##*/} in truncated | has_unknown_field | text_file) continue ;; esac
    sets+=("$d")
done
((${#sets[@]} > 0)) || bench_die "no log sets under $SHARED"

printf '| set | files | lines | records | skipped bad | out of order | findings | incidents | s | lines/s | peak RSS MB |\n'
printf '|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|\n'
total_inc=0
for d in "${sets[@]}"; do
    name=${d#"$SHARED"/}
    p=$T/$(printf '%s' "$name" | tr '/' '_')
    bench_timed "$p" "$WP" ingest "${conf[@]}" --db "$p.db" --quiet "$d"
    bench_rc_ok "$BT_RC" || { cat "$p.err" >&2; bench_die "ingest failed on $name (exit $BT_RC)"; }
    # the summary lines of `watchpost ingest` (stderr with --quiet; docs/EGRESS.md)
    s=$(grep -h -E '^(files|findings|incidents)' "$p.out" "$p.err" || true)
    files=$(sed -nE 's/^files ([0-9]+).*/\1/p' <<<"$s")
    lines=$(sed -nE 's/.*lines ([0-9]+):.*/\1/p' <<<"$s")
    recs=$(sed -nE 's/.*records ([0-9]+),.*/\1/p' <<<"$s")
    bad=$(sed -nE 's/.*skipped bad ([0-9]+).*/\1/p' <<<"$s")
    ooo=$(sed -nE 's/.*out of order ([0-9]+).*/\1/p' <<<"$s")
    fnd=$(sed -nE 's/^findings ([0-9]+):? ?(.*)/\1 \2/p' <<<"$s")
    inc=$(sed -nE 's/^incidents: ([0-9]+) raised.*/\1/p' <<<"$s")
    [[ -n $lines && -n $inc ]] || { cat "$p.out" "$p.err" >&2; bench_die "no summary from ingest on $name"; }
    total_inc=$((total_inc + inc))
    rate=$(awk -v l="$lines" -v t="$BT_WALL" 'BEGIN {printf "%.0f", (t > 0 ? l / t : 0)}')
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %.2f | %s | %.1f |\n' "$name" "$files" \
        "$lines" "$recs" "$bad" "$ooo" "${fnd:-0}" "$inc" "$BT_WALL" "$rate" \
        "$(awk -v k="$BT_RSS_KB" 'BEGIN {print k * 1024 / 1e6}')"
done
printf '\nincidents over all sets: %d (with the default configuration each one is a false positive)\n' \
    "$total_inc"
printf 'watchpost: %s\n' "$("$WP" version 2>/dev/null | head -1)"
