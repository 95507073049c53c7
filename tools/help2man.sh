#!/usr/bin/env bash
# help2man.sh WATCHPOST OUTDIR - one man page per subcommand (watchpost-<cmd>.1) and
# watchpost.1, from the --help texts, which are man-style already (NAME, SYNOPSIS, ...
# headings at column 0, 4-space indented bodies). Bodies stay preformatted: the option
# tables are laid out by hand.
set -euo pipefail
WP=$1 OUT=$2
V=$("$WP" --version | awk '{print $2}')
page() { # NAME SECTION-TITLE < help text
  local name=$1 title=$2
  {
    printf '.TH %s 1 "" "watchpost %s" "watchpost manual"\n' "$(tr a-z A-Z <<< "$name")" "$V"
    awk -v name="$name" -v title="$title" '
      function esc(s) { gsub(/\\/, "\\e", s); if (s ~ /^[.\x27]/) s = "\\&" s; return s }
      NR == 1 && $0 !~ /^NAME$/ { print ".SH NAME"; print name " \\- " title; print ".SH SYNOPSIS"; print ".nf" ; pre = 1 }
      /^[A-Z][A-Z ]*$/ { if (pre) print ".fi"; print ".SH " $0; if ($0 == "NAME") { named = 1; pre = 0 } else { print ".nf"; pre = 1 }; next }
      named { s = $0; sub(/^ *watchpost [a-z]* - /, "", s); print name " \\- " esc(s); named = 0; next }
      { sub(/^    /, ""); print esc($0) }
      END { if (pre) print ".fi" }'
  } > "$OUT/$name.1"
}
"$WP" --help | page watchpost "targeted-attack surveillance of mail and network logs"
for c in scan findings learn events quarantine milter ingest watch incidents prune serve user hunt; do
  t=$("$WP" "$c" --help | sed -n '2{s/^ *watchpost [a-z]* - //;p}')
  [[ -n $t && $("$WP" "$c" --help | head -1) == NAME ]] || t="watchpost $c"
  "$WP" "$c" --help | page "watchpost-$c" "$t"
done
