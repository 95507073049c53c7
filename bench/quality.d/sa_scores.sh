#!/usr/bin/env bash
# sa_scores.sh DIR - SpamAssassin 4.0 offline score of every *.eml under DIR.
# Output: file<TAB>score/threshold (spamc -c), one line per file, in no particular order.
#
# Adapted from ../shared/peers/sa_scores.sh (same SpamAssassin set-up: Debian rules, `spamd -L`,
# no Bayes, no DNS, no network at all: the run re-executes itself inside `unshare -n`). Changes:
#   - WORK (default: a fresh mktemp directory /tmp/sa-scores-quality.XXXXXX, removed at the end)
#     instead of the fixed /tmp/sa-scores, so a concurrent run of the shared recipe by someone
#     else does not delete our spamd's files;
#   - file names go to spamc as arguments, never through `sh -c` string splicing;
#   - spamc -s 4000000: spamc's default 500 KB cap passes bigger messages through unscanned
#     ("0/0"), which would count as "not flagged" rather than as SpamAssassin's real opinion;
#   - spamd is stopped on every exit path; packages are installed when missing (Debian 12 ships
#     the daemon in its own package, spamd, which the shared recipe does not install).
# A line "file<TAB>0/0" means spamc could not get a score (spamd error or timeout).
set -euo pipefail
D=$(readlink -f "${1:?usage: sa_scores.sh DIR}")
W=${WORK:-}
PORT=${SA_PORT:-7830}

if [[ -z "${_IN_NETNS:-}" ]]; then
    if ! command -v spamd >/dev/null || ! command -v spamc >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            spamassassin spamd spamc >&2
    fi
    command -v spamd >/dev/null || { echo "sa_scores.sh: spamd not installed (Debian package spamd)" >&2; exit 1; }
    if unshare -n true 2>/dev/null; then
        exec env _IN_NETNS=1 unshare -n -- "$0" "$D"
    fi
    echo "NOTE: running without a private netns; isolation relies on the SpamAssassin config only" >&2
fi
ip link set lo up 2>/dev/null || true

# spamd drops to `nobody`, which must be able to read the site config: a private directory
# of its own in /tmp, world-readable (a WORK inside a 0700 mktemp directory would not be)
if [[ -z $W ]]; then W=$(mktemp -d /tmp/sa-scores-quality.XXXXXX); OWN_W=1; else OWN_W=0; rm -rf "$W"; fi
mkdir -p "$W/site" "$W/home"
chmod 755 "$W"
cp /etc/spamassassin/*.pre /etc/spamassassin/*.cf "$W/site/"
printf 'use_bayes 0\nbayes_auto_learn 0\nskip_rbl_checks 1\ndns_available no\n' >"$W/site/zz_offline.cf"
chmod -R a+rX "$W"
export HOME=$W/home

spamd -L -x --siteconfigpath="$W/site" --listen="127.0.0.1:$PORT" -m 2 -u nobody \
    --pidfile="$W/spamd.pid" >"$W/spamd.log" 2>&1 &
SPAMD_PID=$!
stop() {
    if [[ -f $W/spamd.pid ]]; then kill "$(cat "$W/spamd.pid")" 2>/dev/null || true; fi
    if ((OWN_W)); then sleep 1; rm -rf "$W"; fi
}
trap stop EXIT
# up to 2 min for the rules to load; give up at once if spamd died (it logs why)
for _ in $(seq 1 240); do
    spamc -p "$PORT" -K >/dev/null 2>&1 && break
    kill -0 "$SPAMD_PID" 2>/dev/null || break
    sleep 0.5
done
spamc -p "$PORT" -K >/dev/null 2>&1 || { tail -n 30 "$W/spamd.log" >&2; exit 1; }

export PORT
# shellcheck disable=SC2016 # $1 and $PORT expand in the inner sh
find "$D" -type f -name '*.eml' -print0 | sort -z |
    xargs -0 -P 2 -n 1 sh -c 'printf "%s\t%s\n" "$1" "$(spamc -p "$PORT" -s 4000000 -c <"$1")"' sa
