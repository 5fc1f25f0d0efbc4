#!/usr/bin/env bash
# LogKV's Redis-protocol endpoint against Redis itself, measured by redis-benchmark (its own process) on the
# same machine in the same run: GET at 50 connections without and with pipelining (-P 16), and SET, of
# 1 KiB values over 10,000 keys loaded first. Also, as the HTTP baselines, wrk's eventual GET of one key and
# PUT of fresh keys on the same node, at the same connection count. Runs alternate between Redis and LogKV; the report gives every run, the medians and the
# ratios paired within each run (LogKV's figure of run N over Redis's of run N, then the median of those).
#
# Needs a running node with the endpoint on (bin/logkv local -- --logkv.resp.enabled=true), redis-server,
# redis-benchmark and wrk (apt-get install redis-server wrk). Starts its own redis-server on a spare port
# (no persistence) and stops it at the end. Writes bench/results/resp-<timestamp>.md.
#
#   bench/resp/run.sh [--resp-port 6380] [--url http://localhost:8080] [--repeats 3] [--requests 200000]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RESP_PORT=6380
URL=http://localhost:8080
REDIS_PORT=16399
REPEATS=3
REQUESTS=200000
CLIENTS=50
KEYS=10000
while (($# > 0)); do
  case "$1" in
    --resp-port) RESP_PORT="$2"; shift 2 ;;
    --url) URL="$2"; shift 2 ;;
    --repeats) REPEATS="$2"; shift 2 ;;
    --requests) REQUESTS="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in redis-server redis-benchmark redis-cli wrk; do
  command -v "$tool" > /dev/null || { echo "$tool is needed (apt-get install redis-server wrk)" >&2; exit 1; }
done
[[ "$(redis-cli -p "$RESP_PORT" ping 2>/dev/null)" == "PONG" ]] \
  || { echo "no LogKV Redis-protocol endpoint on port $RESP_PORT (bin/logkv local -- --logkv.resp.enabled=true)" >&2; exit 1; }

redis-server --port "$REDIS_PORT" --save "" --appendonly no --daemonize no --loglevel warning > /dev/null &
REDIS_PID=$!
trap 'kill $REDIS_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do [[ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" == "PONG" ]] && break; sleep 0.1; done

STAMP="$(date -u +%Y%m%d-%H%M%S)"
OUT="$ROOT/bench/results/resp-$STAMP.md"
RAW="$(mktemp)"
mkdir -p "$ROOT/bench/results"

# requests per second of one redis-benchmark test (its CSV: "test","rps",...)
rps() {
  local port=$1 test=$2 pipeline=$3 requests=$4
  redis-benchmark -p "$port" -t "$test" -n "$requests" -r "$KEYS" -d 1024 -c "$CLIENTS" -P "$pipeline" --csv 2>/dev/null \
    | awk -F'","' 'NR > 1 { gsub(/"/, "", $2); print int($2); exit }'
}

echo "loading $KEYS keys of 1 KiB into both ..." >&2
redis-benchmark -p "$REDIS_PORT" -t set -n $((KEYS * 3)) -r "$KEYS" -d 1024 -c "$CLIENTS" -q > /dev/null
redis-benchmark -p "$RESP_PORT" -t set -n $((KEYS * 3)) -r "$KEYS" -d 1024 -c "$CLIENTS" -q > /dev/null
redis-cli -p "$RESP_PORT" set bench:one "$(head -c 1024 /dev/zero | tr '\0' x)" > /dev/null

for run in $(seq "$REPEATS"); do
  for pipeline in 1 16; do
    echo "run $run: GET -P $pipeline ..." >&2
    echo "get-P$pipeline redis $run $(rps "$REDIS_PORT" get "$pipeline" "$REQUESTS")" >> "$RAW"
    echo "get-P$pipeline logkv $run $(rps "$RESP_PORT" get "$pipeline" "$REQUESTS")" >> "$RAW"
  done
  echo "run $run: SET ..." >&2
  echo "set-P1 redis $run $(rps "$REDIS_PORT" set 1 $((REQUESTS / 4)))" >> "$RAW"
  echo "set-P1 logkv $run $(rps "$RESP_PORT" set 1 $((REQUESTS / 20)))" >> "$RAW"
  echo "run $run: HTTP eventual GET (wrk) ..." >&2
  http="$(wrk -t2 -c"$CLIENTS" -d15s "$URL/v1/namespaces/default/keys/bench:one" 2>/dev/null | awk '/Requests\/sec/ { print int($2) }')"
  echo "get-P1 logkv-http $run $http" >> "$RAW"
  echo "run $run: HTTP PUT (wrk) ..." >&2
  http="$(CONNECTIONS=$CLIENTS wrk -t2 -c"$CLIENTS" -d10s -s "$ROOT/bench/http/put.lua" "$URL/v1/namespaces/default/keys/" 2>/dev/null \
    | awk '/Requests\/sec/ { print int($2) }')"
  echo "set-P1 logkv-http $run $http" >> "$RAW"
done

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
{
  echo "# Redis protocol: LogKV against Redis ($STAMP)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "redis-benchmark $CLIENTS connections, 1 KiB values, $KEYS keys; LogKV at port $RESP_PORT, Redis $(redis-server --version | awk '{ print $3 }') at $REDIS_PORT (no persistence)."
  echo
  echo "| test | run | Redis | LogKV RESP | LogKV HTTP (wrk) | RESP / Redis |"
  echo "|---|---|---|---|---|---|"
  for test in get-P1 get-P16 set-P1; do
    for run in $(seq "$REPEATS"); do
      r=$(awk -v t="$test" -v n="$run" '$1 == t && $2 == "redis" && $3 == n { print $4 }' "$RAW")
      l=$(awk -v t="$test" -v n="$run" '$1 == t && $2 == "logkv" && $3 == n { print $4 }' "$RAW")
      h=$(awk -v t="$test" -v n="$run" '$1 == t && $2 == "logkv-http" && $3 == n { print $4 }' "$RAW")
      echo "| $test | $run | $r | $l | ${h:--} | $(awk -v a="$l" -v b="$r" 'BEGIN { if (b > 0) printf "%.2f", a / b }') |"
    done
  done
  echo
  echo "Medians (requests/s) and the median of the paired ratios:"
  echo
  for test in get-P1 get-P16 set-P1; do
    r=$(awk -v t="$test" '$1 == t && $2 == "redis" { print $4 }' "$RAW" | median)
    l=$(awk -v t="$test" '$1 == t && $2 == "logkv" { print $4 }' "$RAW" | median)
    ratio=$(join <(awk -v t="$test" '$1 == t && $2 == "logkv" { print $3, $4 }' "$RAW" | sort) \
                  <(awk -v t="$test" '$1 == t && $2 == "redis" { print $3, $4 }' "$RAW" | sort) \
            | awk '{ if ($3 > 0) printf "%.3f\n", $2 / $3 }' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    echo "- $test: Redis $r, LogKV RESP $l, ratio $ratio"
  done
  h=$(awk '$1 == "get-P1" && $2 == "logkv-http" { print $4 }' "$RAW" | median)
  echo "- LogKV HTTP eventual GET of one key (wrk, $CLIENTS connections, 15 s): $h"
  h=$(awk '$1 == "set-P1" && $2 == "logkv-http" { print $4 }' "$RAW" | median)
  echo "- LogKV HTTP PUT of fresh keys (wrk, $CLIENTS connections, 10 s): $h"
} > "$OUT"
rm -f "$RAW"
cat "$OUT"
echo "written: $OUT" >&2
