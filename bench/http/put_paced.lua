-- PUTs like put.lua, but paced: each connection waits before each request, so that with answers taking
-- about LATENCY_MS each connection sends one request every CONNECTIONS / RATE seconds (env RATE, total
-- requests per second; CONNECTIONS, the connections wrk opens) and the node sees about RATE writes a
-- second. wrk's Lua has no millisecond clock, so the pause is fixed: answers slower than LATENCY_MS lower
-- the rate rather than queue requests (read the achieved rate beside the latencies).
local bytes = tonumber(os.getenv("VALUE_BYTES") or "1024")
local path = os.getenv("KEY_PATH") or "/v1/namespaces/default/keys/"
local rate = tonumber(os.getenv("RATE") or "1000")
local connections = tonumber(os.getenv("CONNECTIONS") or "64")
local latency = tonumber(os.getenv("LATENCY_MS") or "0")
local threads = 0
wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/octet-stream"

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  n = 0
  interval = math.max(0, connections * 1000 / rate - latency)
  math.randomseed(id * 7919 + os.time())
  prefix = "p" .. id .. "-" .. os.time() .. "-" .. math.random(1, 1000000000) .. "-"
  bodies = {}
  local pattern = string.rep("abcdefghijklmnop", math.ceil(bytes / 32)):sub(1, bytes - math.floor(bytes / 2))
  for b = 1, 128 do
    local chars = {}
    for c = 1, math.floor(bytes / 2) do
      chars[c] = string.char(math.random(0, 255))
    end
    bodies[b] = table.concat(chars) .. pattern
  end
end

function delay()
  return interval
end

function request()
  n = n + 1
  return wrk.format(nil, path .. prefix .. n, nil, bodies[n % 128 + 1])
end
