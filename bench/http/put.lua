-- PUT a value of VALUE_BYTES (env, default 1024) to a fresh key on every request.
-- wrk runs one Lua state per thread; each thread gets its own key prefix.
-- Paced when RATE is set (pacing.lua).
local bytes = tonumber(os.getenv("VALUE_BYTES") or "1024")
local path = os.getenv("KEY_PATH") or "/v1/namespaces/default/keys/"
local threads = 0
wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/octet-stream"

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

-- 128 distinct bodies per thread, each half random and half a repeated pattern (about 2:1 under LZ4,
-- like the Java baselines' values): more than LZ4's 64 KiB window, so batches do not compress to nothing.
function init(args)
  n = 0
  math.randomseed(id * 7919 + os.time())
  prefix = "w" .. id .. "-" .. os.time() .. "-" .. math.random(1, 1000000000) .. "-"
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

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "pacing.lua")

function request()
  n = n + 1
  return wrk.format(nil, path .. prefix .. n, nil, bodies[n % 128 + 1])
end
