-- PUT a value of VALUE_BYTES (env, default 1024) to a fresh key on every request.
-- wrk runs one Lua state per thread; each thread gets its own key prefix.
local bytes = tonumber(os.getenv("VALUE_BYTES") or "1024")
local path = os.getenv("KEY_PATH") or "/v1/namespaces/default/keys/"
local threads = 0
wrk.method = "PUT"
wrk.body = string.rep("x", bytes)
wrk.headers["Content-Type"] = "application/octet-stream"

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  n = 0
  prefix = "w" .. id .. "-" .. os.time() .. "-" .. math.random(1, 1000000000) .. "-"
end

function request()
  n = n + 1
  return wrk.format(nil, path .. prefix .. n)
end
