-- GET the keys KEY_PREFIX0 .. KEY_PREFIX<KEYS-1> (env) in turn, with QUERY (env, e.g. "?consistency=strong").
-- Paced when RATE is set (pacing.lua).
local keys = tonumber(os.getenv("KEYS") or "100")
local prefix = os.getenv("KEY_PATH") or "/v1/namespaces/default/keys/bench-"
local query = os.getenv("QUERY") or ""
local i = 0
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "pacing.lua")

function request()
  i = (i + 1) % keys
  return wrk.format("GET", prefix .. i .. query)
end
