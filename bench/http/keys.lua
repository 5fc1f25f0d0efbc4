-- GET (or PUT, with METHOD=PUT) the keys listed in KEYS_FILE (env, one per line) in turn, under
-- KEY_PATH (env, default /v1/namespaces/default/keys/). Used to aim at keys of chosen partitions: ones a
-- node serves itself, ones it must forward.
local path = os.getenv("KEY_PATH") or "/v1/namespaces/default/keys/"
local method = os.getenv("METHOD") or "GET"
local keys = {}
for line in io.lines(os.getenv("KEYS_FILE")) do
  keys[#keys + 1] = line
end
local body = string.rep("abcdefghijklmnop", 64)
local i = 0

function request()
  i = i % #keys + 1
  if method == "PUT" then
    return wrk.format("PUT", path .. keys[i], { ["Content-Type"] = "application/octet-stream" }, body)
  end
  return wrk.format("GET", path .. keys[i])
end
