-- Pacing shared by get.lua and put.lua: when RATE is set (env, total requests per second, with CONNECTIONS the
-- connections wrk opens), each connection pauses before each request so that, with answers taking about
-- LATENCY_MS, it sends one request every CONNECTIONS / RATE seconds. wrk's Lua has no millisecond clock, so the
-- pause is fixed: answers slower than LATENCY_MS lower the rate rather than queue requests (read the achieved rate).
local rate = tonumber(os.getenv("RATE") or "0")
local connections = tonumber(os.getenv("CONNECTIONS") or "64")
local latency = tonumber(os.getenv("LATENCY_MS") or "0")

if rate > 0 then
  local interval = math.max(0, connections * 1000 / rate - latency)
  function delay()
    return interval
  end
end
