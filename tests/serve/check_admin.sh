# check_admin.sh - users and API tokens over HTTP (admin only), sourced by tests/serve/run.sh.
#
# Uses run.sh's B, TOK, A (admin header), DB, TMP, code, ok and bad. Every name it makes starts
# with "chk-", so the browser tests that run after it see their own data; it never fails a
# login (the login rate limit counts failures per address, and the browser tests log in next).
# Checks: viewer and analyst get 403 from every endpoint, admin does not; a user made here can
# log in; disabling ends its session and its tokens (401); an admin cannot disable
# themselves nor demote the last admin (409); a token made here works as a Bearer token until
# revoked; the token list never carries a hash; every action is in the audit log.

adm_json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {"d": d}))' "$1"; }
adm_post() { curl -s -o "$TMP/adm.out" -w '%{http_code}' -X POST "${A[@]}" -d "$2" "$B/api/v1$1"; }

# ---- authorisation: viewer and analyst 403 on every endpoint, before any effect ----
adm_rows=(
  "GET /api/v1/users -"
  "POST /api/v1/users {\"name\":\"chk-x\",\"role\":\"admin\",\"password\":\"long-enough-pass\"}"
  "POST /api/v1/users/vic/disable {\"reason\":\"matrix\"}"
  "POST /api/v1/users/vic/enable {\"reason\":\"matrix\"}"
  "POST /api/v1/users/vic/password {\"password\":\"long-enough-pass\"}"
  "POST /api/v1/users/vic/role {\"role\":\"admin\",\"reason\":\"matrix\"}"
  "GET /api/v1/tokens -"
  "POST /api/v1/tokens {\"user\":\"vic\",\"name\":\"chk-x\"}"
  "POST /api/v1/tokens/revoke {\"user\":\"vic\",\"name\":\"t\"}"
)
adm_bad=0
for row in "${adm_rows[@]}"; do
  read -r m p body <<<"$row"
  for u in vic ann; do
    args=(-X "$m" -H "Authorization: Bearer ${TOK[$u]}")
    [[ $body != - ]] && args+=(-d "$body")
    got=$(code "${args[@]}" "$B$p")
    [[ $got == 403 ]] || { bad "$m $p as $u: $got, expected 403"; adm_bad=1; }
  done
done
[[ $(code -H "Authorization: Bearer ${TOK[vic]}" "$B/api/v1/me") == 200 ]] || { bad "vic's token stopped working after the 403s"; adm_bad=1; }
[[ $(code "$B/api/v1/users") == 401 ]] || { bad "GET /users without credentials is not 401"; adm_bad=1; }
((adm_bad == 0)) && ok "admin endpoints: viewer and analyst 403 on all ${#adm_rows[@]}, none took effect"

# ---- users: list, create, bad input ----
[[ $(code "${A[@]}" "$B/api/v1/users") == 200 ]] && curl -s "${A[@]}" "$B/api/v1/users" >"$TMP/adm-users.json" &&
  python3 - "$TMP/adm-users.json" <<'PY' && ok "GET /users: name, role, disabled, created; no hash" || bad "GET /users: $(head -c 300 "$TMP/adm-users.json")"
import json, sys
raw = open(sys.argv[1]).read()
u = {x["name"]: x for x in json.loads(raw)["items"]}
assert u["admin"]["role"] == "admin" and u["vic"]["role"] == "viewer" and u["vic"]["disabled"] is False
assert all(set(x) == {"name", "role", "disabled", "created"} for x in u.values()), u
assert "argon2" not in raw and "pwhash" not in raw
PY
ADM_PW=chk-pass-$$-long
[[ $(adm_post /users "{\"name\":\"chk-ana\",\"role\":\"analyst\",\"password\":\"$ADM_PW\"}") == 201 ]] &&
  [[ $(adm_json 'd["name"]+" "+d["role"]' <"$TMP/adm.out") == "chk-ana analyst" ]] &&
  ok "POST /users: 201 {name, role}" || bad "POST /users: $(cat "$TMP/adm.out")"
[[ $(adm_post /users "{\"name\":\"chk-ana\",\"role\":\"viewer\",\"password\":\"$ADM_PW\"}") == 409 ]] && ok "an existing user: 409" || bad "existing user: $(cat "$TMP/adm.out")"
adm_bad=0
for body in '{"name":"chk bad","role":"viewer","password":"long-enough-pass"}' \
  '{"name":"chk-b","role":"root","password":"long-enough-pass"}' \
  '{"name":"chk-b","role":"viewer","password":"short"}' \
  '{"name":"chk-b","role":"viewer"}' '{"name":7,"role":"viewer","password":"long-enough-pass"}' \
  "{\"name\":\"x'; DROP TABLE users;--\",\"role\":\"viewer\",\"password\":\"long-enough-pass\"}"; do
  got=$(adm_post /users "$body")
  [[ $got == 400 ]] || { bad "POST /users $body: $got"; adm_bad=1; }
done
((adm_bad == 0)) && ok "bad name, role or password (under 12): 400"

# ---- the new user logs in; disabling ends its session and tokens ----
ADM_CJ=$TMP/adm-cookies
curl -s -c "$ADM_CJ" -o "$TMP/adm-login.json" -d "{\"username\":\"chk-ana\",\"password\":\"$ADM_PW\"}" "$B/api/v1/login"
[[ $(adm_json 'd["user"]+" "+d["role"]' <"$TMP/adm-login.json" 2>/dev/null) == "chk-ana analyst" ]] &&
  [[ $(code -b "$ADM_CJ" "$B/api/v1/me") == 200 ]] && ok "the new user logs in" || bad "login as chk-ana: $(cat "$TMP/adm-login.json")"
[[ $(adm_post /tokens '{"user":"chk-ana","name":"soar","role":"analyst","reason":"SOAR playbook"}') == 201 ]] &&
  ADM_TOK=$(adm_json 'd["token"]' <"$TMP/adm.out") && [[ $ADM_TOK =~ ^wpt_[0-9a-f]{64}$ ]] &&
  ok "POST /tokens: 201, a wpt_ token shown" || { bad "POST /tokens: $(cat "$TMP/adm.out")"; ADM_TOK=none; }
ADM_T=(-H "Authorization: Bearer $ADM_TOK")
[[ $(code "${ADM_T[@]}" "$B/api/v1/me") == 200 && $(code "${ADM_T[@]}" "$B/api/v1/quarantine/${REFS[4]}/raw") == 200 ]] &&
  [[ $(code "${ADM_T[@]}" "$B/api/v1/audit") == 403 ]] && ok "the new token works as Bearer, with its role" || bad "new token as Bearer"
[[ $(adm_post /tokens '{"user":"chk-ana","name":"soar"}') == 409 ]] && ok "a second token of that name: 409" || bad "duplicate token: $(cat "$TMP/adm.out")"
[[ $(adm_post /tokens '{"user":"chk-ana","name":"up","role":"admin"}') == 400 ]] && ok "a token above its user's role: 400" || bad "token above role: $(cat "$TMP/adm.out")"
[[ $(adm_post /tokens '{"user":"chk-nobody","name":"x"}') == 404 ]] && ok "a token for an unknown user: 404" || bad "unknown user token: $(cat "$TMP/adm.out")"

curl -s "${A[@]}" "$B/api/v1/tokens" >"$TMP/adm-tokens.json"
curl -s "${A[@]}" "$B/api/v1/tokens?user=chk-ana" >"$TMP/adm-tokens1.json"
python3 - "$TMP/adm-tokens.json" "$TMP/adm-tokens1.json" "$ADM_TOK" "$DB" <<'PY' && ok "GET /tokens: user, name, role, created, last_used, revoked; no hash, no token" || bad "GET /tokens: $(head -c 300 "$TMP/adm-tokens.json")"
import json, sqlite3, sys
raw, raw1, tok, db = open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3], sys.argv[4]
items = json.loads(raw)["items"]
assert {(t["user"], t["name"]) for t in items} >= {("admin", "t"), ("ann", "t"), ("vic", "t"), ("chk-ana", "soar")}
assert all(set(t) == {"user", "name", "role", "created", "last_used", "revoked"} for t in items), items
mine = json.loads(raw1)["items"]
assert [(t["user"], t["name"], t["role"], t["revoked"]) for t in mine] == [("chk-ana", "soar", "analyst", False)], mine
assert mine[0]["last_used"] is not None
hashes = [h for (h,) in sqlite3.connect(db).execute("SELECT hash FROM api_tokens")]
assert hashes and not any(h in raw for h in hashes) and tok not in raw and "wpt_" not in raw
PY
[[ $(code "${A[@]}" "$B/api/v1/tokens?user=x%27%20OR%201=1") == 400 ]] && ok "GET /tokens?user=<not a name>: 400" || bad "bad user filter"

[[ $(adm_post /users/chk-ana/disable '{}') == 400 ]] && ok "disable without a reason: 400" || bad "disable without reason: $(cat "$TMP/adm.out")"
[[ $(adm_post /users/chk-ana/disable '{"reason":"left the team"}') == 200 ]] &&
  [[ $(adm_json 'd["disabled"]' <"$TMP/adm.out") == True ]] && ok "POST /users/{name}/disable: 200" || bad "disable: $(cat "$TMP/adm.out")"
[[ $(code -b "$ADM_CJ" "$B/api/v1/me") == 401 && $(code "${ADM_T[@]}" "$B/api/v1/me") == 401 ]] &&
  ok "disabled: its session and its token answer 401" || bad "disabled user still works"
[[ $(adm_post /users/chk-ana/enable '{"reason":"back again"}') == 200 ]] && [[ $(code "${ADM_T[@]}" "$B/api/v1/me") == 200 ]] &&
  ok "enable: its token works again, its old session does not" || bad "enable: $(cat "$TMP/adm.out")"
[[ $(code -b "$ADM_CJ" "$B/api/v1/me") == 401 ]] || bad "an old session came back with enable"
[[ $(adm_post /users/nobody-here/disable '{"reason":"x"}') == 404 ]] && ok "disable an unknown user: 404" || bad "unknown user disable: $(cat "$TMP/adm.out")"

# ---- password reset: the new one logs in, sessions made with the old one end ----
ADM_PW2=chk-reset-$$-long
curl -s -c "$ADM_CJ" -o /dev/null -d "{\"username\":\"chk-ana\",\"password\":\"$ADM_PW\"}" "$B/api/v1/login"
[[ $(code -b "$ADM_CJ" "$B/api/v1/me") == 200 ]] || bad "chk-ana cannot log in again after enable"
[[ $(adm_post /users/chk-ana/password '{"password":"short"}') == 400 ]] && ok "a short reset password: 400" || bad "short reset: $(cat "$TMP/adm.out")"
[[ $(adm_post /users/chk-ana/password "{\"password\":\"$ADM_PW2\",\"reason\":\"forgot it\"}") == 200 ]] &&
  [[ $(code -d "{\"username\":\"chk-ana\",\"password\":\"$ADM_PW2\"}" "$B/api/v1/login") == 200 ]] &&
  ok "POST /users/{name}/password: the new password logs in" || bad "password reset: $(cat "$TMP/adm.out")"
[[ $(code -b "$ADM_CJ" "$B/api/v1/me") == 401 ]] && ok "a password reset ends the user's sessions" || bad "a session outlived the password reset"

# ---- guards: not yourself, not the last admin ----
[[ $(adm_post /users/admin/disable '{"reason":"oops"}') == 409 ]] && grep -q "own account" "$TMP/adm.out" &&
  ok "an admin cannot disable themselves: 409" || bad "self-disable: $(cat "$TMP/adm.out")"
[[ $(adm_post /users/admin/role '{"role":"analyst","reason":"oops"}') == 409 ]] && grep -q "last enabled admin" "$TMP/adm.out" &&
  ok "the last admin cannot be demoted: 409" || bad "last admin demoted: $(cat "$TMP/adm.out")"
[[ $(code "${A[@]}" "$B/api/v1/users") == 200 ]] || bad "admin lost access after the guards"
[[ $(adm_post /users '{"name":"chk-adm","role":"admin","password":"chk-adm-password"}') == 201 &&
  $(adm_post /users/chk-adm/role '{"role":"viewer","reason":"two admins: one may go"}') == 200 ]] &&
  [[ $(adm_json 'd["role"]' <"$TMP/adm.out") == viewer ]] && ok "with two admins one can be demoted" || bad "demote second admin: $(cat "$TMP/adm.out")"

# ---- revoke ----
[[ $(adm_post /tokens/revoke '{"user":"chk-ana","name":"soar","reason":"rotated"}') == 200 ]] &&
  [[ $(code "${ADM_T[@]}" "$B/api/v1/me") == 401 ]] && ok "POST /tokens/revoke: the token answers 401" || bad "revoke: $(cat "$TMP/adm.out")"
[[ $(curl -s "${A[@]}" "$B/api/v1/tokens?user=chk-ana" | adm_json 'd["items"][0]["revoked"]') == True ]] && ok "the list shows it revoked" || bad "not shown revoked"
[[ $(adm_post /tokens/revoke '{"user":"chk-ana","name":"nope"}') == 404 ]] && ok "revoke an unknown token: 404" || bad "revoke unknown: $(cat "$TMP/adm.out")"

# ---- the audit log ----
curl -s "${A[@]}" "$B/api/v1/audit?limit=200" >"$TMP/adm-audit.json"
python3 - "$TMP/adm-audit.json" "$ADM_TOK" "$ADM_PW" "$ADM_PW2" <<'PY' && ok "audit: create, token create/revoke, disable, enable, password, role, refusals" || bad "admin actions not audited"
import json, sys
raw = open(sys.argv[1]).read()
for secret in sys.argv[2:]:
    assert secret not in raw, "a secret in the audit log"
a = json.loads(raw)["items"]
def has(action, obj, reason=None, result="ok"):
    hit = [e for e in a if e["action"] == action and e["object"] == obj and e["result"] == result
           and e["user"] == "admin" and e["address"] == "127.0.0.1" and (reason is None or e["reason"] == reason)]
    assert hit, (action, obj, reason, result)
has("user.create", "user chk-ana (analyst)")
has("user.create", "user chk-ana (viewer)", result="user 'chk-ana' exists already")
has("token.create", "token soar of chk-ana (analyst)", "SOAR playbook")
has("user.disable", "user chk-ana", "left the team")
has("user.enable", "user chk-ana", "back again")
has("user.password", "user chk-ana", "forgot it")
has("user.disable", "user admin", "oops", "you cannot disable your own account")
has("user.role", "user admin", "oops", "this is the last enabled admin; make another admin first")
has("user.role", "user chk-adm (admin -> viewer)", "two admins: one may go")
has("token.revoke", "token soar of chk-ana", "rotated")
PY
