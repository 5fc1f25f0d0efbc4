-- GET the keys KEY_PREFIX0 .. KEY_PREFIX<KEYS-1> (env) in turn, with QUERY (env, e.g. "?consistency=strong").
-- Paced when RATE is set, as put.lua is (RATE, CONNECTIONS, LATENCY_MS; read the achieved rate).
local keys = tonumber(os.getenv("KEYS") or "100")
local prefix = os.getenv("KEY_PATH") or "/v1/namespaces/default/keys/bench-"
local query = os.getenv("QUERY") or ""
local i = 0
local rate = tonumber(os.getenv("RATE") or "0")
local connections = tonumber(os.getenv("CONNECTIONS") or "64")
local latency = tonumber(os.getenv("LATENCY_MS") or "0")

if rate > 0 then
  local interval = math.max(0, connections * 1000 / rate - latency)
  function delay()
    return interval
  end
end

function request()
  i = (i + 1) % keys
  return wrk.format("GET", prefix .. i .. query)
end
