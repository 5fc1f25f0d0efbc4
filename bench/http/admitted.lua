-- wrk script for the overload runs (bench/http/overload.sh): the latency of admitted reads alone.
--
-- Run with one connection per thread (wrk -tN -cN), so that each thread's requests and answers alternate and a
-- request's latency is the time from its request() to its response(). Answers 200 go into a histogram of
-- 10 µs steps up to 20 ms and 1 ms steps up to 2 s; answers 503 (refused at once by the node's bound) and any
-- other status are counted apart. done() merges the threads' histograms and prints one line:
--   admitted=N refused=N other=N p50_ms=X p99_ms=X p999_ms=X
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } timespec_t;
  int clock_gettime(int clock, timespec_t *ts);
]]
local ts = ffi.new("timespec_t")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local FINE_STEPS = 2000 -- 10 µs each: up to 20 ms
local COARSE_STEPS = 1980 -- 1 ms each: from 20 ms to 2 s

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  buckets = {}
  admitted = 0
  refused = 0
  other = 0
  sent_at = 0
end

function request()
  sent_at = now_us()
  return wrk.request()
end

local function bucket_of(us)
  if us < FINE_STEPS * 10 then
    return math.floor(us / 10)
  end
  local b = FINE_STEPS + math.floor((us - FINE_STEPS * 10) / 1000)
  if b >= FINE_STEPS + COARSE_STEPS then
    b = FINE_STEPS + COARSE_STEPS - 1
  end
  return b
end

local function upper_ms(b)
  if b < FINE_STEPS then
    return (b + 1) * 0.01
  end
  return FINE_STEPS * 0.01 + (b - FINE_STEPS + 1)
end

function response(status, headers, body)
  if status == 200 then
    local b = bucket_of(now_us() - sent_at)
    buckets[b] = (buckets[b] or 0) + 1
    admitted = admitted + 1
  elseif status == 503 then
    refused = refused + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local merged = {}
  local a, r, o = 0, 0, 0
  for _, thread in ipairs(threads) do
    a = a + thread:get("admitted")
    r = r + thread:get("refused")
    o = o + thread:get("other")
    for b, n in pairs(thread:get("buckets")) do
      merged[b] = (merged[b] or 0) + n
    end
  end
  local function quantile(q)
    local target = math.ceil(a * q)
    local seen = 0
    for b = 0, FINE_STEPS + COARSE_STEPS - 1 do
      seen = seen + (merged[b] or 0)
      if seen >= target and target > 0 then
        return upper_ms(b)
      end
    end
    return 0
  end
  io.write(string.format("admitted=%d refused=%d other=%d errors=%d p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f\n",
    a, r, o, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    quantile(0.5), quantile(0.99), quantile(0.999)))
end
