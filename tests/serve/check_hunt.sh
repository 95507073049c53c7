# check_hunt.sh - GET /api/v1/hunt (sourced by tests/serve/run.sh: B, H (viewer), A (admin),
# DB, WP, TMP, ok, bad and code are its).
# The demo store: an hour of generated Zeek logs in which 10.20.0.15 beacons to the listed
# C2 address 203.0.113.50. Every one of its findings (NET_IOC_IP and NET_BEACON) is in the
# demo's incident, so the default list (nothing in an incident yet) is empty and all=1 has
# them, the indicator (score 1.0) first.
[[ $(code "$B/api/v1/hunt") == 401 ]] && ok "hunt: no credentials: 401" || bad "hunt: no credentials"
[[ $(code "${H[@]}" "$B/api/v1/hunt") == 200 ]] && ok "hunt: viewer: 200" || bad "hunt: viewer"
for q in "code=beacons" "code=NET_" "min_score=2" "min_score=x" "all=maybe" "since=yesterday" "limit=0" "limit=501"; do
  [[ $(code "${H[@]}" "$B/api/v1/hunt?$q") == 400 ]] || bad "hunt: '$q' not refused"
done
ok "hunt: bad filters: 400"
curl -s "${H[@]}" "$B/api/v1/hunt?since=7d" >"$TMP/hunt-default.json"
curl -s "${H[@]}" "$B/api/v1/hunt?since=7d&all=1" >"$TMP/hunt-all.json"
curl -s "${H[@]}" "$B/api/v1/hunt?all=true&code=beacon&host=10.20.0.15&min_score=0.5" >"$TMP/hunt-beacon.json"
curl -s "${H[@]}" "$B/api/v1/hunt?all=1&limit=1" >"$TMP/hunt-limit.json"
python3 - "$TMP"/hunt-{default,all,beacon,limit}.json <<'PY' && ok "hunt: 10.20.0.15's beacon with its components and incident; in-incident pairs left out by default" || bad "hunt: $(head -c 600 "$TMP/hunt-all.json")"
import json, sys
d, a, b, l = (json.load(open(f)) for f in sys.argv[1:5])
assert d["next_cursor"] is None and d["truncated"] is False
assert all(it["incident_id"] is None for it in d["items"]), d
assert not any(it["src"] == "10.20.0.15" for it in d["items"]), d
codes = [it["code"] for it in a["items"] if it["src"] == "10.20.0.15" and it["dst"] == "203.0.113.50"]
assert "NET_BEACON" in codes and "NET_IOC_IP" in codes, a
scores = [it["score"] for it in a["items"]]
assert scores == sorted(scores, reverse=True), scores
assert len(b["items"]) == 1, b
it = b["items"][0]
assert it["code"] == "NET_BEACON" and it["src"] == "10.20.0.15" and it["dst_port"] == 443
assert it["score"] >= 0.8 and it["incident_id"] >= 1 and it["count_unit"] == "connections"
assert it["beacon"]["coverage"] > 0.9 and 50 < it["beacon"]["interval_median_s"] < 70
assert len(l["items"]) == 1 and l["truncated"] is True, l
PY
r=$(curl -s "${H[@]}" -G --data-urlencode "host=x' OR '1'='1" --data-urlencode "all=1" "$B/api/v1/hunt")
[[ $r == '{"items":[],"truncated":false,"next_cursor":null}' ]] && ok "hunt: SQL metacharacters are data" || bad "hunt: metacharacters: $r"
