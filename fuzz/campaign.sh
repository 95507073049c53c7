#!/usr/bin/env bash
# campaign.sh - a long libFuzzer campaign, beside CI's 45-second smoke run.
#
# usage: fuzz/campaign.sh [SECONDS_PER_TARGET] [TARGET...]
#   default: 3600 s for each target built in build/fuzz (every fuzz_* binary, so a target
#   added later is never skipped), one after the other at nice 19 (the machine is shared).
# env:   CORPUS=/var/tmp/watchpost-fuzz   corpus kept between campaigns, one folder per target
#        JOBS=1                           parallel fuzzing processes per target (-fork=N)
#
# Each target starts from its kept corpus plus fuzz/seeds/<target> and the regression inputs,
# runs for the given time with the target's dictionary, then merges (minimises) the corpus in
# place. Crashes, leaks, timeouts and OOMs land in $CORPUS/<target>/finds/; copy each one, once
# fixed, into fuzz/regressions/<target>/ (replayed by ctest forever). A line per target goes to
# $CORPUS/campaigns.log: date, commit, target, seconds asked, wall and CPU seconds, executions,
# exec/s (over wall time), corpus size before and after, new finds in this run (and the total
# kept in finds/).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-3600}
shift || true
CORPUS=${CORPUS:-/var/tmp/watchpost-fuzz}
# the build's output is only shown when it fails (set -e would otherwise stop silently)
mkdir -p "$CORPUS"
if ! { cmake --preset fuzz && nice -n 19 cmake --build build/fuzz; } > "$CORPUS/build.log" 2>&1; then
  tail -30 "$CORPUS/build.log"; echo "campaign: fuzz build failed"; exit 1
fi
TARGETS=("$@")
if ((${#TARGETS[@]} == 0)); then
  for b in build/fuzz/fuzz_*; do
    [[ -x $b && -f $b ]] && TARGETS+=("${b#build/fuzz/fuzz_}")
  done
fi
# --dirty: a campaign on uncommitted changes must not be credited to the commit
rev=$(git describe --always --dirty --abbrev=7 2>/dev/null || echo unknown)
for t in "${TARGETS[@]}"; do
  bin=build/fuzz/fuzz_$t
  [[ -x $bin ]] || { echo "campaign: no $bin"; continue; }
  dir=$CORPUS/$t
  mkdir -p "$dir/corpus" "$dir/finds"
  # text, bayes and wave read message text and have no dictionary of their own
  dict=()
  if [[ -f fuzz/$t.dict ]]; then
    dict=(-dict="fuzz/$t.dict")
  elif [[ $t == text || $t == bayes || $t == wave ]]; then
    dict=(-dict=fuzz/message.dict)
  fi
  inputs=("$dir/corpus")
  for d in "fuzz/seeds/$t" "fuzz/regressions/$t"; do
    [[ -d $d ]] && inputs+=("$d")   # libFuzzer refuses to start on a missing directory
  done
  before=$(find "$dir/corpus" -type f | wc -l)
  finds_before=$(find "$dir/finds" -type f | wc -l)
  echo "campaign: $t for $SECS s (corpus $before)"
  start=$SECONDS
  # timeouts and OOMs are ignored by default in fork mode; spelled out so nobody has to know.
  # `time` reports user+sys of the fuzzer and all its jobs: on a shared machine at nice 19
  # the CPU actually spent can be far below the wall time, and CPU-hours are what count.
  cpu=$( { TIMEFORMAT='%U %S'; time UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    nice -n 19 "$bin" -max_total_time="$SECS" \
    -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$dir/finds/" -fork="${JOBS:-1}" -ignore_crashes=1 -ignore_timeouts=1 \
    -ignore_ooms=1 "${dict[@]}" "${inputs[@]}" > "$dir/last.log" 2>&1 || true; } 2>&1 |
    awk '{ printf "%d", $1 + $2 }')
  elapsed=$((SECONDS - start))
  # -fork=0 prints final stats; fork mode prints none, only a "#N: ... exec/s R ... job: J"
  # line after each job, whose N sums the final stats of the jobs merged so far (with JOBS>1
  # the jobs still running at the deadline are stopped and not counted, nor is a job that
  # crashed before printing its stats) and whose R is the last job's rate only: exec/s is
  # therefore computed here, over the whole wall time of the run.
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$dir/last.log" | grep -oE '[0-9]+$' | tail -1 || true)
  [[ -n $execs ]] || execs=$(grep -oE '^#[0-9]+' "$dir/last.log" | tail -1 | tr -d '#' || true)
  rate='?'
  [[ -n $execs && $elapsed -gt 0 ]] && rate=$((execs / elapsed))
  # minimise the kept corpus in place; the old corpus is only replaced by a merge that
  # succeeded, so a failed merge (killed, out of disk ...) cannot wipe the corpus
  rm -rf "$dir/merged"; mkdir -p "$dir/merged"
  if nice -n 19 "$bin" -merge=1 -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
       "$dir/merged" "$dir/corpus" > "$dir/merge.log" 2>&1 &&
     { (( before == 0 )) || [[ -n $(find "$dir/merged" -type f -print -quit) ]]; }; then
    rm -rf "$dir/corpus"; mv "$dir/merged" "$dir/corpus"
  else
    echo "campaign: $t: merge failed, corpus kept unmerged (see $dir/merge.log)"
    rm -rf "$dir/merged"
  fi
  after=$(find "$dir/corpus" -type f | wc -l)
  finds_total=$(find "$dir/finds" -type f | wc -l)
  line="$(date -u +%FT%TZ) $rev $t ${SECS}s wall=${elapsed}s cpu=${cpu:-?}s execs=${execs:-?} exec/s=$rate"
  line+=" corpus=$before->$after finds=$((finds_total - finds_before)) (kept $finds_total)"
  echo "$line" | tee -a "$CORPUS/campaigns.log"
done
