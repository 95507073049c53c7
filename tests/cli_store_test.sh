#!/bin/sh
# cli_store_test.sh - `watchpost scan --record`, `watchpost events` and `watchpost quarantine`
# end to end, against a store in a temporary directory.
#   usage: cli_store_test.sh WATCHPOST_BINARY FIXTURES_DIR RULES_DIR
# Data: three decisions recorded with known envelopes (two malware messages quarantined, one
# clean message recorded), then every events filter, the quarantine listing, show --raw
# byte-identity, release, delete (tombstone) and the retention sweep.
set -u

WP=$1
FIX=$2
RULES=$3
export WATCHPOST_RULES="$RULES"
unset SUDO_USER

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wp_cli_store.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT INT TERM
DB=$TMP/w.db
SPOOL=$TMP/q

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
pass() {
    echo "ok: $*"
}

# JSON checks through jq when present, python3 otherwise (the subset: .a, .a|length).
if [ -z "${WPT_NO_JQ:-}" ] && command -v jq >/dev/null 2>&1; then
    json_valid() { jq -e -c 'type == "object"' "$1" >/dev/null 2>&1; }
    json_get() { jq -r "$2" "$1"; }
else
    json_valid() {
        python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    assert isinstance(json.loads(line), dict)
' "$1" 2>/dev/null
    }
    json_get() {
        python3 -c '
import json, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # grep -q may stop reading early
flt = sys.argv[2]
for line in open(sys.argv[1], encoding="utf-8"):
    v = json.loads(line)
    expr, _, fn = flt.partition("|")
    for k in [p for p in expr.split(".") if p]:
        v = v.get(k) if isinstance(v, dict) else None
    if fn.strip() == "length":
        v = len(v)
    if isinstance(v, bool):
        v = "true" if v else "false"
    print("null" if v is None else (json.dumps(v) if isinstance(v, (dict, list)) else v))
' "$1" "$2"
    }
fi

# run NAME EXPECTED_RC CMD... : stdout to $TMP/NAME.out, stderr to $TMP/NAME.err
run() {
    name=$1
    want=$2
    shift 2
    "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "$name: exit $rc, expected $want"
        sed 's/^/    stderr: /' "$TMP/$name.err" | head -20 >&2
        return 1
    fi
    pass "$name: exit $rc"
    return 0
}

lines() { wc -l <"$1" | tr -d ' '; }
# expect_lines NAME N: the output of NAME has N lines
expect_lines() {
    n=$(lines "$TMP/$1.out")
    [ "$n" -eq "$2" ] || fail "$1: $n lines of output, expected $2"
}

EV="$WP events --db $DB"
QU="$WP quarantine --db $DB --spool $SPOOL"

# ---- test data: scan --record ----
run record1 1 "$WP" scan -q -j 1 --record --db "$DB" --spool "$SPOOL" \
    --mail-from alice@sender.example --rcpt bob@receiver.example --rcpt carol@receiver.example \
    "$FIX/clean.eml" "$FIX/eicar_nested.eml"
run record2 1 "$WP" scan -q --json --record --db "$DB" --spool "$SPOOL" \
    --mail-from mallory@Evil.example --rcpt dave@receiver.example "$FIX/eicar_nested.eml"
json_valid "$TMP/record2.out" || fail "record2: --record changed the --json output"
[ -f "$DB" ] || fail "record: no database at $DB"
n=$(ls "$SPOOL" | grep -c '^[0-9a-f]\{16\}\.eml$')
[ "$n" -eq 2 ] || fail "record: $n files in the spool, expected the 2 malware messages"
run record_nodb 3 "$WP" scan --db "$DB" "$FIX/clean.eml"
grep -q -- "--record" "$TMP/record_nodb.err" || fail "record_nodb: message does not name --record"
: >"$TMP/notadir"
run record_badspool 2 "$WP" scan -q --record --db "$TMP/other.db" --spool "$TMP/notadir" \
    "$FIX/clean.eml"
grep -q "notadir" "$TMP/record_badspool.err" || fail "record_badspool: error does not name the spool"

# ---- events ----
run ev_table 0 $EV
expect_lines ev_table 4
head -1 "$TMP/ev_table.out" | grep -q "^TIME .*ID .*SEV .*VERDICT .*ACTION .*SENDER .*RECIPIENT .*SUBJECT" ||
    fail "ev_table: no header line"
sed -n 2p "$TMP/ev_table.out" | grep -q "^20[0-9-]*T[0-9:]*Z  *3  *[1-5] malware  *quarantine  *mallory@Evil.example  *dave@receiver.example  *Documents you asked for$" ||
    fail "ev_table: newest row is not decision 3 of mallory: $(sed -n 2p "$TMP/ev_table.out")"
sed -n 4p "$TMP/ev_table.out" | grep -q " 1  *0 clean  *deliver  *alice@sender.example  *bob@receiver.example  *Lunch on Friday?$" ||
    fail "ev_table: oldest row is not the clean message"

run ev_json 0 $EV --json
expect_lines ev_json 3
json_valid "$TMP/ev_json.out" || fail "ev_json: not one JSON object per line"
[ "$(json_get "$TMP/ev_json.out" .id | tr '\n' ' ')" = "3 2 1 " ] || fail "ev_json: not newest first"
[ "$(json_get "$TMP/ev_json.out" .verdict | tr '\n' ' ')" = "malware malware clean " ] ||
    fail "ev_json: verdicts"
[ "$(json_get "$TMP/ev_json.out" .action | head -1)" = "quarantine" ] || fail "ev_json: action"
[ "$(json_get "$TMP/ev_json.out" '.rcpt|length' | tr '\n' ' ')" = "1 2 2 " ] || fail "ev_json: recipients"
[ "$(json_get "$TMP/ev_json.out" .subject | tail -1)" = "Lunch on Friday?" ] || fail "ev_json: subject"
[ "$(json_get "$TMP/ev_json.out" .message_id | tail -1)" = "<fixture-clean@watchpost.test>" ] ||
    fail "ev_json: message_id"
[ "$(json_get "$TMP/ev_json.out" '.reasons|length' | head -1)" -ge 1 ] || fail "ev_json: no reasons"
[ "$(json_get "$TMP/ev_json.out" '.findings|length' | head -1)" -ge 1 ] || fail "ev_json: no findings"
json_get "$TMP/ev_json.out" .quarantine_ref | head -2 | grep -c '^[0-9a-f]\{16\}$' | grep -qx 2 ||
    fail "ev_json: malware decisions lack a quarantine_ref"
[ "$(json_get "$TMP/ev_json.out" .quarantine_ref | tail -1)" = "null" ] ||
    fail "ev_json: the clean decision has a quarantine_ref"
json_get "$TMP/ev_json.out" .time | grep -qv '^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-9:]*Z$' &&
    fail "ev_json: time is not ISO-8601 UTC"

# filters: run NAME, then the ids it must list
ev_ids() {
    evname=$1
    ids=$2
    shift 2
    run "$evname" 0 $EV --json "$@" || return
    got=$(json_get "$TMP/$evname.out" .id | tr '\n' ' ')
    [ "$got" = "$ids" ] || fail "$evname: ids '$got', expected '$ids'"
}
ev_ids ev_verdict "3 2 " --verdict malware
ev_ids ev_verdict_clean "1 " --verdict CLEAN
ev_ids ev_action "1 " --action deliver
ev_ids ev_severity "3 2 " --severity 1
ev_ids ev_sender "2 1 " --sender ALICE@sender.example
ev_ids ev_sender_domain "3 " --sender @evil.example
ev_ids ev_recipient "2 1 " --recipient Carol@receiver.example
ev_ids ev_finding "3 2 " --finding YARA_MATCH
ev_ids ev_limit "3 " --limit 1
ev_ids ev_id "2 " --id 2
ev_ids ev_since_rel "3 2 1 " --since -1h
ev_ids ev_since_iso "3 2 1 " --since 2020-01-01 --until 2999-12-31T23:59:59Z
ev_ids ev_combined "2 " --sender @sender.example --verdict malware
run ev_none_future 1 $EV --since 2999-01-01
expect_lines ev_none_future 0
run ev_none_past 1 $EV --until 2020-01-01T00:00:00Z
run ev_none_finding 1 $EV --finding NO_SUCH_CODE
run ev_bad_since 3 $EV --since yesterday
grep -q "since.*yesterday" "$TMP/ev_bad_since.err" || fail "ev_bad_since: message does not name the value"
run ev_bad_date 3 $EV --since 2026-02-31
run ev_bad_until 3 $EV --until -3x
run ev_bad_range 3 $EV --since 2026-01-02 --until 2026-01-01
run ev_bad_verdict 3 $EV --verdict bogus
run ev_bad_action 3 $EV --action explode
run ev_bad_severity 3 $EV --severity 9
run ev_bad_limit 3 $EV --limit 0
run ev_bad_arg 3 $EV stray
run ev_help 0 "$WP" events --help
grep -q "^EXIT STATUS" "$TMP/ev_help.out" || fail "ev_help: no EXIT STATUS section"
run ev_nostore 2 "$WP" events --db "$TMP/missing-dir/x.db"
grep -q "missing-dir" "$TMP/ev_nostore.err" || fail "ev_nostore: error does not name the path"

# configuration: store.db from -c
printf 'store.db = %s\nstore.spool = %s\n' "$DB" "$SPOOL" >"$TMP/store.conf"
run ev_config 0 "$WP" events -c "$TMP/store.conf" --limit 1 --json
[ "$(json_get "$TMP/ev_config.out" .id)" = "3" ] || fail "ev_config: store.db not used"
printf 'store.db =\n' >"$TMP/bad.conf"
run ev_badconfig 3 "$WP" events -c "$TMP/bad.conf"
grep -q "bad.conf:1:" "$TMP/ev_badconfig.err" || fail "ev_badconfig: error does not name file and line"

# ---- quarantine ----
run q_list 0 $QU list
expect_lines q_list 3
run q_list_json 0 $QU list --json
json_valid "$TMP/q_list_json.out" || fail "q_list_json: not one JSON object per line"
[ "$(json_get "$TMP/q_list_json.out" .state | tr '\n' ' ')" = "held held " ] || fail "q_list_json: states"
R_MAL=$(json_get "$TMP/q_list_json.out" .ref | sed -n 1p)   # mallory's, decision 3
R_ALICE=$(json_get "$TMP/q_list_json.out" .ref | sed -n 2p) # alice's, decision 2
[ "$(json_get "$TMP/q_list_json.out" .decision_id | tr '\n' ' ')" = "3 2 " ] ||
    fail "q_list_json: decision ids"
grep -q "^$R_ALICE .* held .*malware .*alice@sender.example .*Documents you asked for$" "$TMP/q_list.out" ||
    fail "q_list: the malware message of alice is not listed"
run q_list_sender 0 $QU list --json --sender @evil.example
[ "$(json_get "$TMP/q_list_sender.out" .ref)" = "$R_MAL" ] || fail "q_list_sender: filter"

run q_show 0 $QU show "$R_ALICE"
for want in "Reference: *$R_ALICE" "State: *held" "mail from *alice@sender.example" \
    "carol@receiver.example" "Subject *Documents you asked for" "Verdict: *malware, severity [1-5]" \
    "^Reasons:" "YARA_MATCH"; do
    grep -q "$want" "$TMP/q_show.out" || fail "q_show: no '$want'"
done
run q_show_raw 0 $QU show --raw "$R_ALICE"
cmp -s "$TMP/q_show_raw.out" "$FIX/eicar_nested.eml" || fail "q_show_raw: not byte-identical to the fixture"
run q_show_json 0 $QU show --json "$R_ALICE"
json_valid "$TMP/q_show_json.out" || fail "q_show_json: not JSON lines"
expect_lines q_show_json 1
[ "$(json_get "$TMP/q_show_json.out" .decision.verdict)" = "malware" ] || fail "q_show_json: decision.verdict"
[ "$(json_get "$TMP/q_show_json.out" .decision.quarantine_ref)" = "$R_ALICE" ] ||
    fail "q_show_json: decision.quarantine_ref"
run q_show_badref 3 $QU show ../etc/passwd
run q_show_unknown 1 $QU show 0123456789abcdef
run q_show_rawjson 3 $QU show --raw --json "$R_ALICE"
run q_wrong_opt 3 $QU list --raw
run q_no_action 3 "$WP" quarantine
run q_bad_action 3 "$WP" quarantine explode
run q_help 0 "$WP" quarantine --help
grep -q "^SYNOPSIS" "$TMP/q_help.out" || fail "q_help: no SYNOPSIS"

# tampering is detected, not served
cp "$SPOOL/$R_MAL.eml" "$TMP/mal.keep"
printf 'X' >>"$SPOOL/$R_MAL.eml"
run q_tampered 2 $QU show --raw "$R_MAL"
[ -s "$TMP/q_tampered.out" ] && fail "q_tampered: an altered file was served"
cp "$TMP/mal.keep" "$SPOOL/$R_MAL.eml"

# release: refused while the SMTP server is unreachable (stays held), then re-injected into
# a real SMTP listener (tests/smtp_sink.py) with the original envelope and bytes
run q_release_down 2 $QU release --by alice --smtp 127.0.0.1:1 "$R_ALICE"
grep -q "stays held" "$TMP/q_release_down.err" || fail "q_release_down: $(cat "$TMP/q_release_down.err")"
mkdir -p "$TMP/sink"
python3 "$(dirname "$0")/smtp_sink.py" "$TMP/sink.port" "$TMP/sink" &
SINK=$!
for _ in $(seq 50); do [ -s "$TMP/sink.port" ] && break; sleep 0.1; done
[ -s "$TMP/sink.port" ] || fail "smtp_sink did not start"
run q_release 0 $QU release --by alice --smtp "127.0.0.1:$(cat "$TMP/sink.port")" "$R_ALICE"
kill $SINK
grep -q "released $R_ALICE by alice: re-injected via 127.0.0.1:[0-9]* to 2 recipients" \
    "$TMP/q_release.out" || fail "q_release: $(cat "$TMP/q_release.out")"
grep -qx "MAIL FROM:<alice@sender.example>" "$TMP/sink/1.env" || fail "q_release: envelope sender: $(cat "$TMP/sink/1.env")"
grep -qx "RCPT TO:<bob@receiver.example>" "$TMP/sink/1.env" || fail "q_release: recipient bob"
grep -qx "RCPT TO:<carol@receiver.example>" "$TMP/sink/1.env" || fail "q_release: recipient carol"
head -1 "$TMP/sink/1.eml" | grep -q "^X-Watchpost-Released: $R_ALICE by alice; " || fail "q_release: no trace header"
tail -n +2 "$TMP/sink/1.eml" | tr -d '\r' > "$TMP/released.body"
$QU show --raw "$R_ALICE" | tr -d '\r' > "$TMP/original.body"
cmp -s "$TMP/released.body" "$TMP/original.body" || fail "q_release: the re-injected message differs from the original"
run q_list2 0 $QU list
grep -q "^$R_ALICE .* released  *alice  *whole " "$TMP/q_list2.out" || fail "q_list2: not shown released by alice (whole copy)"
run q_list2_json 0 $QU list --json --state released
[ "$(json_get "$TMP/q_list2_json.out" .released_by)" = "alice" ] || fail "q_list2_json: released_by"
run q_release_again 2 $QU release "$R_ALICE"
grep -q "already released by alice" "$TMP/q_release_again.err" || fail "q_release_again: $(cat "$TMP/q_release_again.err")"
USER=opuser run q_release_stdout 0 $QU release --to-stdout "$R_MAL"
cmp -s "$TMP/q_release_stdout.out" "$FIX/eicar_nested.eml" || fail "q_release_stdout: not the original bytes"
grep -q "by opuser" "$TMP/q_release_stdout.err" || fail "q_release_stdout: --by does not default to \$USER"

# delete: a tombstone
run q_delete 0 $QU delete --by carol "$R_ALICE"
[ -e "$SPOOL/$R_ALICE.eml" ] && fail "q_delete: the spool file is still there"
run q_list3 0 $QU list
grep -q "$R_ALICE" "$TMP/q_list3.out" && fail "q_list3: a deleted message is listed without --all"
run q_list_all 0 $QU list --all --json
json_get "$TMP/q_list_all.out" .state | grep -qx deleted || fail "q_list_all: no tombstone"
[ "$(json_get "$TMP/q_list_all.out" .deleted_by | sed -n 2p)" = "carol" ] || fail "q_list_all: deleted_by"
[ "$(json_get "$TMP/q_list_all.out" .delete_reason | sed -n 2p)" = "operator" ] ||
    fail "q_list_all: delete_reason"
run q_show_deleted 1 $QU show --raw "$R_ALICE"
run q_delete_again 2 $QU delete "$R_ALICE"

# retention: the released message made old expires, a fresh one does not
run record3 1 "$WP" scan -q --record --db "$DB" --spool "$SPOOL" "$FIX/eicar_nested.eml"
R_NEW=$(ls "$SPOOL" | grep -v "$R_MAL" | sed -n 's/^\([0-9a-f]\{16\}\)\.eml$/\1/p')
[ -n "$R_NEW" ] || fail "record3: no new spool file"
touch -d "3 days ago" "$SPOOL/$R_MAL.eml"
run q_expire 0 $QU expire --days 2
[ "$(cat "$TMP/q_expire.out")" = "$(printf '%s\tretention' "$R_MAL")" ] ||
    fail "q_expire: printed '$(cat "$TMP/q_expire.out")', expected $R_MAL only"
[ -e "$SPOOL/$R_NEW.eml" ] || fail "q_expire: a fresh message was expired"
run q_expire_again 0 $QU expire --days 2
expect_lines q_expire_again 0
touch -d "2 minutes ago" "$SPOOL/$R_NEW.eml"
run q_expire0 0 $QU expire --days 0
[ "$(cut -f1 "$TMP/q_expire0.out")" = "$R_NEW" ] || fail "q_expire0: --days 0 did not expire $R_NEW"
run q_list_deleted 0 $QU list --state deleted --json
[ "$(json_get "$TMP/q_list_deleted.out" .deleted_by | sort | tr '\n' ' ')" = "carol retention retention " ] ||
    fail "q_list_deleted: tombstones"
run q_list_empty 1 $QU list
run q_expire_nodays 3 $QU expire
run q_expire_baddays 3 $QU expire --days -1

# ---- prune: store retention (what goes is test_store's test_prune; here the command line) ----
N_EV=$("$WP" events --db "$DB" --json --limit 100000 | wc -l)
run prune_nodays 3 "$WP" prune --db "$DB"
grep -q "store.retention_days" "$TMP/prune_nodays.err" || fail "prune_nodays: no advice"
run prune_baddays 3 "$WP" prune --db "$DB" --days 0
run prune_keep 0 "$WP" prune --db "$DB" --days 3650 --json
grep -q '"days":3650,"decisions":0,' "$TMP/prune_keep.out" || fail "prune_keep: $(cat "$TMP/prune_keep.out")"
printf 'store.db = %s\nstore.retention_days = 30\n' "$DB" >"$TMP/prune.conf"
run prune_config 0 "$WP" prune -c "$TMP/prune.conf"
grep -q "older than 30 days: 0 decisions" "$TMP/prune_config.out" || fail "prune_config: $(cat "$TMP/prune_config.out")"
[ "$("$WP" events --db "$DB" --json --limit 100000 | wc -l)" = "$N_EV" ] || fail "prune: young decisions went"
printf 'store.db = %s\nstore.retention_days = -2\n' "$DB" >"$TMP/prune_bad.conf"
run prune_badconfig 3 "$WP" prune -c "$TMP/prune_bad.conf"
grep -q "prune_bad.conf:2" "$TMP/prune_badconfig.err" || fail "prune_badconfig: no FILE:LINE"
run prune_help 0 "$WP" prune --help

# ---- a truncated spool copy (over max_message_bytes) is recorded, shown and never released;
#      show --raw still exports it, with a warning ----
QT="$WP quarantine --db $TMP/t.db --spool $TMP/tq"
run trunc_record 1 "$WP" scan -q --record --db "$TMP/t.db" --spool "$TMP/tq" --limit max_message_bytes=900 \
    --mail-from alice@sender.example --rcpt bob@receiver.example "$FIX/eicar_nested.eml"
R_T=$(ls "$TMP/tq" | sed -n 's/^\([0-9a-f]\{16\}\)\.eml$/\1/p')
[ -n "$R_T" ] || fail "trunc_record: no spool file"
run trunc_list 0 $QT list
grep -q "^$R_T .* held  *-  *truncated " "$TMP/trunc_list.out" || fail "trunc_list: $(cat "$TMP/trunc_list.out")"
run trunc_json 0 $QT list --json
[ "$(json_get "$TMP/trunc_json.out" .truncated)" = "true" ] || fail "trunc_json: truncated"
[ "$(json_get "$TMP/trunc_json.out" .whole_size)" = "$(wc -c <"$FIX/eicar_nested.eml" | tr -d ' ')" ] ||
    fail "trunc_json: whole_size $(json_get "$TMP/trunc_json.out" .whole_size)"
run trunc_show 0 $QT show "$R_T"
grep -q "^Truncated: *yes" "$TMP/trunc_show.out" || fail "trunc_show: no Truncated line"
run trunc_release 2 $QT release --by alice --smtp 127.0.0.1:1 "$R_T"
grep -q "refusing to release $R_T: the spool copy is truncated" "$TMP/trunc_release.err" ||
    fail "trunc_release: $(cat "$TMP/trunc_release.err")"
run trunc_release_stdout 2 $QT release --to-stdout "$R_T"
[ -s "$TMP/trunc_release_stdout.out" ] && fail "trunc_release_stdout: a truncated copy was written out"
grep -q "truncated" "$TMP/trunc_release_stdout.err" || fail "trunc_release_stdout: no reason"
run trunc_raw 0 $QT show --raw "$R_T"
grep -q "WARNING: $R_T is TRUNCATED" "$TMP/trunc_raw.err" || fail "trunc_raw: no warning"
run trunc_still_held 0 $QT list --state held
grep -q "^$R_T " "$TMP/trunc_still_held.out" || fail "trunc_still_held: not held any more"

# ---- four releases of one message at once against one SMTP sink: one delivery, one
#      'released' record, the others refused as being released or released ----
QR="$WP quarantine --db $TMP/r.db --spool $TMP/rq"
run race_record 1 "$WP" scan -q --record --db "$TMP/r.db" --spool "$TMP/rq" \
    --mail-from alice@sender.example --rcpt bob@receiver.example "$FIX/eicar_nested.eml"
R_R=$(ls "$TMP/rq" | sed -n 's/^\([0-9a-f]\{16\}\)\.eml$/\1/p')
mkdir -p "$TMP/rsink"
python3 "$(dirname "$0")/smtp_sink.py" "$TMP/rsink.port" "$TMP/rsink" &
RSINK=$!
for _ in $(seq 50); do [ -s "$TMP/rsink.port" ] && break; sleep 0.1; done
[ -s "$TMP/rsink.port" ] || fail "smtp_sink (race) did not start"
for i in 1 2 3 4; do
    (
        $QR release --by "racer$i" --smtp "127.0.0.1:$(cat "$TMP/rsink.port")" "$R_R" \
            >"$TMP/race$i.out" 2>"$TMP/race$i.err" </dev/null
        echo $? >"$TMP/race$i.rc"
    ) &
done
for _ in $(seq 100); do
    [ "$(cat "$TMP"/race?.rc 2>/dev/null | wc -l)" -eq 4 ] && break
    sleep 0.1
done
kill $RSINK
race_failures=$failures
ok=$(cat "$TMP"/race?.rc | grep -cx 0)
refused=$(cat "$TMP"/race?.rc | grep -cx 2)
[ "$ok" -eq 1 ] && [ "$refused" -eq 3 ] || fail "race: exit codes $(cat "$TMP"/race?.rc | tr '\n' ' ')"
[ "$(ls "$TMP/rsink" | grep -c '\.eml$')" -eq 1 ] || fail "race: $(ls "$TMP/rsink" | grep -c '\.eml$') deliveries"
[ "$(cat "$TMP"/race?.err | grep -c "already being released by racer\|already released by racer")" -eq 3 ] ||
    fail "race: refusals: $(cat "$TMP"/race?.err)"
run race_list 0 $QR list --json --state released
expect_lines race_list 1
[ "$failures" -eq "$race_failures" ] && pass "race: $ok released, $refused refused"

# ---- a store whose directory does not exist yet (a fresh machine's /var/lib/watchpost) is made,
#      mode 0750; a directory that cannot be made is said, with what to do ----
if run store_dir_made 0 "$WP" scan --record --db "$TMP/newstate/w.db" --spool "$TMP/newstate/q" "$FIX/clean.eml"; then
    [ "$(stat -c %a "$TMP/newstate")" = 750 ] || fail "store_dir_made: mode $(stat -c %a "$TMP/newstate"), expected 750"
fi
T_INGEST=$(dirname "$0")/net/fixtures
if run ingest_dir_made 0 "$WP" ingest --db "$TMP/newstate2/w.db" "$T_INGEST/conn.log"; then
    [ -f "$TMP/newstate2/w.db" ] || fail "ingest_dir_made: no store made"
fi
if run store_dir_deep 2 "$WP" scan --record --db "$TMP/no/such/w.db" --spool "$TMP/q2" "$FIX/clean.eml"; then
    grep -q "install -d" "$TMP/store_dir_deep.err" || fail "store_dir_deep: no advice in: $(cat "$TMP/store_dir_deep.err")"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures CLI store check(s) failed" >&2
    exit 1
fi
echo "all CLI store checks passed"
exit 0
