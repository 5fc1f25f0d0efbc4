-- GET the keys KEY_PREFIX0 .. KEY_PREFIX<KEYS-1> (env) in turn, with QUERY (env, e.g. "?consistency=strong").
local keys = tonumber(os.getenv("KEYS") or "100")
local prefix = os.getenv("KEY_PATH") or "/v1/namespaces/default/keys/bench-"
local query = os.getenv("QUERY") or ""
local i = 0

function request()
  i = (i + 1) % keys
  return wrk.format("GET", prefix .. i .. query)
end
