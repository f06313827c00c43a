-- wrk script for bench/alerts_vs_alertmanager.sh: every request is one distinct alert, either a
-- Zabbix webhook for beacon-collector (BENCH_TARGET=beacon) or a one-alert list for
-- Alertmanager's /api/v2/alerts (BENCH_TARGET=alertmanager). Each wrk thread drives one
-- connection and sends exactly BENCH_PER_THREAD alerts, numbered in its own range, then writes
-- its timings to BENCH_OUT/thread-N ("first_send_us last_reply_us answered non_2xx" and one
-- latency in us per line). wrk itself always runs for its whole -d, so the thread that finishes
-- last ends the process: a run is a fixed number of alerts, timed from the first request to the
-- last reply on CLOCK_MONOTONIC (LuaJIT's ffi).
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec* ts);
]]
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

local target = os.getenv("BENCH_TARGET") or "beacon"
local per_thread = tonumber(os.getenv("BENCH_PER_THREAD") or "1000")
local threads_total = tonumber(os.getenv("BENCH_THREADS") or "1")
local out_dir = os.getenv("BENCH_OUT") or "."
local token = os.getenv("BENCH_TOKEN") or ""
local now_rfc3339 = os.getenv("BENCH_NOW") or "2026-11-26T03:20:40Z"

local next_thread = 0
function setup(thread)
  thread:set("idx", next_thread)
  next_thread = next_thread + 1
end

local idx, first, sent, answered, bad, started, sent_at, latencies
local path, headers

function init(args)
  idx = tonumber(wrk.thread:get("idx"))
  first = idx * 10000000  -- a thread's alerts never collide with another's
  sent, answered, bad = 0, 0, 0
  latencies = {}
  headers = {["Content-Type"] = "application/json"}
  if target == "beacon" then
    path = "/api/v1/alerts/zabbix"
    headers["Authorization"] = "Bearer " .. token
  else
    path = "/api/v2/alerts"
  end
end

local function beacon_body(n)
  local host = string.format("bench-%02d", n % 50)
  return '{"TriggerID":"' .. (100000 + n) .. '","To":"wecom-group-1",' ..
      '"Subject":"Problem: Trap too high on ' .. host .. ': 500",' ..
      '"Message":"Problem started at 03:20:40 on 2026.11.26\\nHost: ' .. host .. '",' ..
      '"EventID":"' .. n .. '","EventValue":"1","EventSeverity":"High","EventNSeverity":"4",' ..
      '"HostName":"' .. host .. '","HostIP":"127.0.0.1","TriggerStatus":"PROBLEM",' ..
      '"EventTags":"[{\\"tag\\":\\"svc\\",\\"value\\":\\"demo\\"}]",' ..
      '"EventDate":"2026.11.26 03:20:40","EventRecoveryDate":"{EVENT.RECOVERY.DATE}",' ..
      '"ItemValue":"500","EventUpdateStatus":"0","EventSource":"0"}'
end

local function alertmanager_body(n)
  local host = string.format("bench-%02d", n % 50)
  return '[{"labels":{"alertname":"Trap too high","instance":"' .. host .. '","eventid":"' ..
      n .. '","severity":"high","trigger":"' .. (100000 + n) .. '"},' ..
      '"annotations":{"summary":"Problem: Trap too high on ' .. host .. ': ' .. n .. '",' ..
      '"description":"Problem started at 03:20:40 on 2026.11.26"},' ..
      '"startsAt":"' .. now_rfc3339 .. '"}]'
end

-- wrk calls request() just before writing each request (and once more up front on one thread,
-- which only skips a number).
function request()
  sent = sent + 1
  local n = first + sent
  local body = target == "beacon" and beacon_body(n) or alertmanager_body(n)
  sent_at = now_us()
  if not started then started = sent_at end
  return wrk.format("POST", path, headers, body)
end

local function finish(last)
  local f = assert(io.open(out_dir .. "/thread-" .. idx, "w"))
  f:write(string.format("%d %d %d %d\n", started, last, answered, bad))
  f:write(table.concat(latencies, "\n"), "\n")
  f:close()
  local done = assert(io.open(out_dir .. "/done", "a"))
  done:write(idx, "\n")
  done:close()
  local count = 0
  for _ in io.lines(out_dir .. "/done") do count = count + 1 end
  if count >= threads_total then os.exit(0) end
  wrk.thread:stop()
end

function response(status, headers, body)
  local t = now_us()
  answered = answered + 1
  latencies[answered] = t - sent_at
  if status < 200 or status > 299 then
    bad = bad + 1
    if bad <= 3 then io.stderr:write("non-2xx " .. status .. ": " .. body:sub(1, 200) .. "\n") end
  end
  if answered >= per_thread then finish(t) end
end
