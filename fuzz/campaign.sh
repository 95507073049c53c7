#!/usr/bin/env bash
# campaign.sh - a long libFuzzer campaign, beside CI's 45-second smoke run.
#
# usage: fuzz/campaign.sh [SECONDS_PER_TARGET] [TARGET...]
#   default: 3600 s for each of message content html text netlog egress auth intel rules
#   bayes wave router, one job at a time at nice 19 (the machine is shared).
# env:   CORPUS=/var/tmp/watchpost-fuzz   corpus kept between campaigns, one folder per target
#        JOBS=1                           parallel fuzzing processes per target (-fork=N)
#
# Each target starts from its kept corpus plus fuzz/seeds/<target> and the regression inputs,
# runs for the given time with the target's dictionary, then merges (minimises) the corpus in
# place. Crashes, leaks, timeouts and OOMs land in $CORPUS/<target>/finds/; copy each one, once
# fixed, into fuzz/regressions/<target>/ (replayed by ctest forever). A line per target goes to
# $CORPUS/campaigns.log: date, commit, target, seconds, executions, corpus size, finds.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-3600}
shift || true
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(message content html text netlog egress auth intel rules bayes wave router)
CORPUS=${CORPUS:-/var/tmp/watchpost-fuzz}
cmake --preset fuzz >/dev/null
cmake --build build/fuzz >/dev/null
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
for t in "${TARGETS[@]}"; do
  bin=build/fuzz/fuzz_$t
  [[ -x $bin ]] || { echo "campaign: no $bin"; continue; }
  dir=$CORPUS/$t
  mkdir -p "$dir/corpus" "$dir/finds"
  dict=(); [[ -f fuzz/$t.dict ]] && dict=(-dict="fuzz/$t.dict")
  before=$(find "$dir/corpus" -type f | wc -l)
  echo "campaign: $t for $SECS s (corpus $before)"
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 nice -n 19 "$bin" -max_total_time="$SECS" \
    -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$dir/finds/" -fork="${JOBS:-1}" -ignore_crashes=1 "${dict[@]}" \
    "$dir/corpus" "fuzz/seeds/$t" "fuzz/regressions/$t" > "$dir/last.log" 2>&1 || true
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$dir/last.log" | grep -oE '[0-9]+$' | tail -1)
  [[ -n $execs ]] || execs=$(grep -oE '#[0-9]+' "$dir/last.log" | tail -1 | tr -d '#')
  # minimise the kept corpus in place
  mkdir -p "$dir/merged"
  nice -n 19 "$bin" -merge=1 "$dir/merged" "$dir/corpus" > /dev/null 2>&1 || true
  rm -rf "$dir/corpus"; mv "$dir/merged" "$dir/corpus"
  after=$(find "$dir/corpus" -type f | wc -l)
  finds=$(find "$dir/finds" -type f | wc -l)
  line="$(date -u +%FT%TZ) $rev $t ${SECS}s execs=${execs:-?} corpus=$before->$after finds=$finds"
  echo "$line" | tee -a "$CORPUS/campaigns.log"
done
