#!/usr/bin/env bash
# tidy.sh - clang-tidy-14 over the library and front ends with the repository's .clang-tidy
# (the team's checked list, ../shared/style/clang-tidy; docs/DEVELOPMENT.md says what each
# group is for), from the dev build's compile_commands.json, on both cores.
#
# The tree predates the check (about 700 findings when it was added, most of them
# cert-err33-c: unchecked snprintf/fprintf results, the house idiom). So CI runs it as a
# ratchet: the number of distinct findings per check may go down, never up, against
# .ci/tidy-baseline. A change that adds a finding fails; one that removes findings should
# lower the baseline (scripts/tidy.sh --update-baseline) in the same commit.
#
# usage: scripts/tidy.sh [--update-baseline]
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=.ci/tidy-baseline
command -v run-clang-tidy-14 >/dev/null || { echo "tidy: clang-tidy-14 missing (scripts/install-deps.sh)"; exit 1; }
[[ -f build/dev/compile_commands.json ]] || cmake --preset dev >/dev/null
log=$(mktemp)
trap 'rm -f "$log" "$log.now"' EXIT
start=$SECONDS
run-clang-tidy-14 -p build/dev -j "$(nproc)" -quiet "$PWD/src/" > "$log" 2>&1 || true
# distinct findings (a header's finding is reported once per file that includes it)
sed 's/\x1b\[[0-9;]*m//g' "$log" |
  grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): .*\[[a-zA-Z0-9.,-]+\]$' |
  sed -E 's/^([^ ]+:[0-9]+:[0-9]+): (warning|error): .*\[([a-zA-Z0-9.-]+)(,-warnings-as-errors)?\]$/\3 \1/' |
  sort -u | awk '{n[$1]++} END {for (c in n) print c, n[c]}' | sort > "$log.now"
echo "tidy: $(awk '{s+=$2} END {print s+0}' "$log.now") distinct findings in $((SECONDS - start)) s"
if [[ ${1:-} == --update-baseline ]]; then
  cp "$log.now" "$BASE"
  echo "tidy: wrote $BASE"
  exit 0
fi
[[ -f $BASE ]] || { echo "tidy: no $BASE (scripts/tidy.sh --update-baseline)"; exit 1; }
worse=$(join -a1 -e 0 -o 0,1.2,2.2 "$log.now" "$BASE" | awk '$2 > $3 {print "  " $1 ": " $3 " -> " $2}')
better=$(join -a2 -e 0 -o 0,1.2,2.2 "$log.now" "$BASE" | awk '$2 < $3 {print "  " $1 ": " $3 " -> " $2}')
[[ -n $better ]] && printf 'tidy: fewer findings than the baseline (lower it with --update-baseline):\n%s\n' "$better"
if [[ -n $worse ]]; then
  printf 'tidy: new findings:\n%s\n' "$worse"
  # the findings of the checks that grew (awk stops printing, not reading: a head here would
  # end the pipe early, and under pipefail that SIGPIPE was CI's exit 141)
  grew=$(printf '%s\n' "$worse" | awk '{sub(/:$/, "", $1); printf "%s ", $1}')
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '(warning|error): ' | sort -u |
    awk -v grew="$grew" 'BEGIN {n = split(grew, g, " "); for (i = 1; i <= n; i++) want[g[i]] = 1}
      { c = $NF; gsub(/^\[|(,-warnings-as-errors)?\]$/, "", c) }
      (c in want) && shown++ < 60'
  exit 1
fi
echo "tidy: no check has more findings than .ci/tidy-baseline"
