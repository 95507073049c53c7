-- serve_wrk.lua - wrk script of bench/serve_bench.sh.
--
-- env: WP_TOKEN  API token, sent as "Authorization: Bearer ..."
--      WP_PATHS  file of request paths, one a line; each request takes one at random
--      WP_GZIP   "1": send "Accept-Encoding: gzip" as the dashboard's browser does
-- At the end one line for the caller to parse, latencies in milliseconds:
--   WRK requests=N seconds=S rps=R p50=.. p90=.. p99=.. max=.. non2xx=N errors=N
local token = os.getenv("WP_TOKEN") or ""
local list = os.getenv("WP_PATHS") or ""
local paths = {}
for line in io.lines(list) do
  if #line > 0 then
    paths[#paths + 1] = line
  end
end
if #paths == 0 then
  error("serve_wrk.lua: no paths in " .. list)
end

wrk.headers["Authorization"] = "Bearer " .. token
if os.getenv("WP_GZIP") == "1" then
  wrk.headers["Accept-Encoding"] = "gzip"
end

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  math.randomseed(os.time() * 1000 + id)
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "WRK requests=%d seconds=%.2f rps=%.1f p50=%.2f p90=%.2f p99=%.2f max=%.2f non2xx=%d errors=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
