#!/bin/sh
# bayes_split.sh - the documented train/eval split behind the learned classifier's numbers
# (docs/BAYES.md, "Measuring it").
#
# Split: in each set (phishing_pot/eml, spamassassin/{easy_ham,easy_ham_2,hard_ham,spam,
# spam_2}) a file is TRAIN when the first hex digit of sha256(its file name) is 0-7 and EVAL
# when it is 8-f. The rule needs no random seed and no list to keep: anyone recomputes it.
#
# Steps:
#   1. write the lists (OUT/train.<set>, OUT/eval.<set>) and print their sizes;
#   2. train OUT/bayes.db on TRAIN: phishing_pot + spam + spam_2 as spam, the three ham sets
#      as ham; print its path;
#   3. scan EVAL alone, with the classifier off and on, and print per set: the share with
#      BAYES_SPAM, with BAYES_HAM, and judged not clean (off -> on);
#   4. the era trap (--era): the legitimate mail is from 2002-2005 and most phishing from
#      2022-2026. (a) A model trained on SpamAssassin spam vs ham only (one era) scored on
#      phishing EVAL: what content alone carries across twenty years. (b) A model trained on
#      phishing vs ham only (era and class confounded) scored on SpamAssassin spam EVAL: old
#      spam called ham would mean the model learned the era.
#
# Usage: bench/bayes_split.sh [-w WATCHPOST] [-d DATA] [-o OUTDIR] [-j JOBS] [--era]
# Nothing here reads message content in the shell: files are only named and handed over.
set -eu

W=${WATCHPOST:-}
DATA=/work/shared/data
OUT=
JOBS=2
ERA=no
while [ $# -gt 0 ]; do
    case $1 in
    -w) W=$2; shift 2 ;;
    -d) DATA=$2; shift 2 ;;
    -o) OUT=$2; shift 2 ;;
    -j) JOBS=$2; shift 2 ;;
    --era) ERA=yes; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "bayes_split.sh: unknown argument $1" >&2; exit 3 ;;
    esac
done
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "$W" ]; then
    for c in "$here/build/release/watchpost" "$here/build/dev/watchpost"; do
        [ -x "$c" ] && W=$c && break
    done
fi
[ -n "$W" ] && [ -x "$W" ] || { echo "bayes_split.sh: no watchpost binary (-w)" >&2; exit 3; }
[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/wp-bayes-split.XXXXXX)
mkdir -p "$OUT"

SETS="phishing_pot/eml spamassassin/easy_ham spamassassin/easy_ham_2 spamassassin/hard_ham \
spamassassin/spam spamassassin/spam_2"
SPAM_SETS="phishing_pot/eml spamassassin/spam spamassassin/spam_2"
HAM_SETS="spamassassin/easy_ham spamassassin/easy_ham_2 spamassassin/hard_ham"

tag() { echo "$1" | tr '/' '_'; }

# 1. the split
echo "== split (sha256(file name): 0-7 train, 8-f eval) =="
printf '%-26s %6s %6s\n' set train eval
for s in $SETS; do
    t=$(tag "$s")
    : >"$OUT/train.$t"
    : >"$OUT/eval.$t"
    for f in "$DATA/$s"/*; do
        [ -f "$f" ] || continue
        d=$(printf '%s' "${f##*/}" | sha256sum | cut -c1)
        case $d in
        [0-7]) echo "$f" >>"$OUT/train.$t" ;;
        *) echo "$f" >>"$OUT/eval.$t" ;;
        esac
    done
    printf '%-26s %6d %6d\n' "$s" "$(wc -l <"$OUT/train.$t")" "$(wc -l <"$OUT/eval.$t")"
done

# learn DB CLASS SET... : every TRAIN file of the sets
learn() {
    db=$1 cls=$2
    shift 2
    for s in "$@"; do
        xargs "$W" learn --db "$db" "--$cls" <"$OUT/train.$(tag "$s")" | sed "s|^|  $s: |"
    done
}

# rates DB ONOFF SET: "bayes_spam bayes_ham not_clean total" over the EVAL files of SET
rates() {
    db=$1 on=$2 s=$3
    xargs "$W" scan --json -j "$JOBS" --set "bayes.db=$db" --set "bayes.enabled=$on" \
        <"$OUT/eval.$(tag "$s")" 2>/dev/null >"$OUT/scan.json" || true
    n=$(wc -l <"$OUT/scan.json")
    bs=$(grep -c '"code":"BAYES_SPAM"' "$OUT/scan.json" || true)
    bh=$(grep -c '"code":"BAYES_HAM"' "$OUT/scan.json" || true)
    nc=$(grep -vc '"verdict":{"class":"clean"' "$OUT/scan.json" || true)
    echo "$bs $bh $nc $n"
}

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%5.1f%%", b ? 100 * a / b : 0 }'; }

# 2. train
DB=$OUT/bayes.db
rm -f "$DB" "$DB-wal" "$DB-shm"
echo "== train $DB =="
learn "$DB" spam $SPAM_SETS
learn "$DB" ham $HAM_SETS
"$W" learn --db "$DB" --stats | sed 's/^/  /'

# 3. evaluate on EVAL only
echo "== eval (EVAL files only; classifier off -> on) =="
printf '%-26s %5s %11s %11s %21s\n' set n BAYES_SPAM BAYES_HAM "not clean off -> on"
for s in $SETS; do
    set -- $(rates "$DB" no "$s")
    off_nc=$3
    set -- $(rates "$DB" yes "$s")
    printf '%-26s %5d %11s %11s %10s -> %s\n' "$s" "$4" "$(pct "$1" "$4")" "$(pct "$2" "$4")" \
        "$(pct "$off_nc" "$4")" "$(pct "$3" "$4")"
done

if [ "$ERA" = yes ]; then
    echo "== era trap (a): spamassassin spam vs ham only (2002-2005), scored on phishing EVAL =="
    DBA=$OUT/bayes_sa_only.db
    rm -f "$DBA" "$DBA-wal" "$DBA-shm"
    learn "$DBA" spam spamassassin/spam spamassassin/spam_2 >/dev/null
    learn "$DBA" ham $HAM_SETS >/dev/null
    set -- $(rates "$DBA" yes phishing_pot/eml)
    echo "  phishing_pot/eml EVAL: BAYES_SPAM $(pct "$1" "$4"), BAYES_HAM $(pct "$2" "$4") of $4"
    echo "== era trap (b): phishing vs ham only (era = class), scored on spamassassin spam EVAL =="
    DBB=$OUT/bayes_phish_vs_ham.db
    rm -f "$DBB" "$DBB-wal" "$DBB-shm"
    learn "$DBB" spam phishing_pot/eml >/dev/null
    learn "$DBB" ham $HAM_SETS >/dev/null
    for s in spamassassin/spam spamassassin/spam_2; do
        set -- $(rates "$DBB" yes "$s")
        echo "  $s EVAL: BAYES_SPAM $(pct "$1" "$4"), BAYES_HAM $(pct "$2" "$4") of $4"
    done
fi
rm -f "$OUT/scan.json"
echo "model: $DB"
