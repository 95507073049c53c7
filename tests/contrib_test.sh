#!/usr/bin/env bash
# contrib_test.sh - what contrib/ ships is what an administrator installs, so it is checked
# with the tools that will read it:
#   - watchpost.conf is accepted by watchpost itself (every key known, every value valid);
#   - watchpost.service passes `systemd-analyze verify`, and every option of its ExecStart
#     is one `watchpost milter` documents;
#   - the Postfix snippets, appended to Debian's main.cf and master.cf, are read by
#     `postconf` without a warning and say what docs/MILTER.md promises (tempfail when the
#     milter is down; a milter-free listener on 127.0.0.1:10025 for releases).
# Usage: contrib_test.sh WATCHPOST SOURCE_DIR
set -u
WP=$(readlink -f "$1")
SRC=$2
C=$SRC/contrib
T=$(mktemp -d /tmp/wp-contrib.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

# 1. the sample configuration
"$WP" scan -c "$C/watchpost.conf" "$SRC/samples/clean.eml" > "$T/scan.out" 2> "$T/scan.err" ||
  fail "watchpost.conf refused: $(cat "$T/scan.err")"
# ...and a wrong key in a copy of it is refused with file and line, so step 1 can fail
cp "$C/watchpost.conf" "$T/bad.conf"
echo "milter.lisen = unix:/tmp/x.sock" >> "$T/bad.conf"
n=$(wc -l < "$T/bad.conf")
"$WP" scan -c "$T/bad.conf" "$SRC/samples/clean.eml" > /dev/null 2> "$T/bad.err" &&
  fail "a misspelt key was accepted"
grep -q "bad.conf:$n:" "$T/bad.err" || fail "error does not name file and line: $(cat "$T/bad.err")"
ok "contrib/watchpost.conf is accepted; a misspelt key in it is refused at its line"

# 2. the systemd unit
command -v systemd-analyze > /dev/null || fail "systemd-analyze missing (scripts/install-deps.sh installs systemd)"
for unit in watchpost.service:milter watchpost-serve.service:serve; do
  u=${unit%%:*} sub=${unit#*:}
  exec_line=$(sed -n 's/^ExecStart=//p' "$C/$u")
  [[ -n $exec_line ]] || fail "no ExecStart in $u"
  # the unit names the installed path; verify it against this build
  sed "s|^ExecStart=[^ ]*|ExecStart=$WP|" "$C/$u" > "$T/$u"
  systemd-analyze verify "$T/$u" > "$T/verify.out" 2>&1 ||
    fail "systemd-analyze verify $u: $(cat "$T/verify.out")"
  [[ -s $T/verify.out ]] && fail "systemd-analyze verify $u warns: $(cat "$T/verify.out")"
  read -r -a argv <<< "$exec_line"
  [[ ${argv[1]} == "$sub" ]] || fail "$u: ExecStart does not run 'watchpost $sub': $exec_line"
  "$WP" "$sub" --help > "$T/help" 2>&1 || fail "watchpost $sub --help"
  for a in "${argv[@]:2}"; do
    case $a in
      -*) grep -qE -- "(^|[[ ,])${a}([] ,=]|$)" "$T/help" || fail "ExecStart option $a is not in 'watchpost $sub --help'" ;;
    esac
  done
  for k in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes; do
    grep -qx "$k" "$C/$u" || fail "$u lost $k"
  done
  ok "contrib/$u verifies, its ExecStart options exist, and it keeps its hardening"
done

# 3. the Postfix snippets
command -v postconf > /dev/null || fail "postconf missing (scripts/install-deps.sh installs postfix)"
mkdir -p "$T/pf"
cat /etc/postfix/main.cf "$C/postfix-main.cf.snippet" > "$T/pf/main.cf"
cat /etc/postfix/master.cf "$C/postfix-master.cf.snippet" > "$T/pf/master.cf"
postconf -c "$T/pf" -n > "$T/main.out" 2> "$T/main.err" || fail "postconf -n: $(cat "$T/main.err")"
[[ -s $T/main.err ]] && fail "postconf warns about main.cf: $(cat "$T/main.err")"
[[ $(postconf -c "$T/pf" -h milter_default_action) == tempfail ]] ||
  fail "the shipped main.cf lines do not make Postfix tempfail when the milter is down"
postconf -c "$T/pf" -h smtpd_milters | grep -q "^unix:/watchpost/milter.sock$" ||
  fail "smtpd_milters is not the socket of watchpost.conf"
# the milter's socket, seen from Postfix's chroot, is the one the sample configuration sets
grep -q "^milter.listen = unix:/var/spool/postfix/watchpost/milter.sock$" "$C/watchpost.conf" ||
  fail "watchpost.conf and postfix-main.cf.snippet name different sockets"
postconf -c "$T/pf" -M > "$T/master.out" 2> "$T/master.err" || fail "postconf -M: $(cat "$T/master.err")"
[[ -s $T/master.err ]] && fail "postconf warns about master.cf: $(cat "$T/master.err")"
grep -E '^127\.0\.0\.1:10025 +inet' "$T/master.out" | grep -q -- "-o smtpd_milters= " ||
  fail "no milter-free release listener on 127.0.0.1:10025: $(grep 10025 "$T/master.out")"
grep -q "^quarantine.release_smtp = 127.0.0.1:10025$" "$C/watchpost.conf" ||
  fail "watchpost.conf releases somewhere else than the master.cf listener"
ok "the Postfix snippets parse without warnings: tempfail, the milter socket, the release listener"
