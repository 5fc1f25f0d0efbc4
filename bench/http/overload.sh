#!/usr/bin/env bash
# Load shedding measured: reads of one 1 KiB key at 1x, 2x and 4x the concurrency a node serves best at, against a
# running node, from wrk in its own process (closed loop, one connection per wrk thread: a refused client asks
# again at once). admitted.lua times the reads answered 200 apart from those refused at once (503 overloaded).
# Prints, per run, the admitted and refused reads per second and the latency of the admitted reads alone. Run it
# against the same node started with and without a bound, and compare (docs/performance.md, "Overload"):
#
#   taskset -c 0 bin/logkv local -- --logkv.shedding.max-active-requests=0    # no bound, node and brokers on core 0
#   bench/http/overload.sh --label unbounded --cpus 1                         # wrk on core 1
#   taskset -c 0 bin/logkv local -- --logkv.shedding.max-active-requests=8
#   bench/http/overload.sh --label bound-8 --cpus 1
#
# A generator sharing the node's cores measures its own queue, not the node's: --cpus pins wrk (taskset) to cores
# the node does not use. (A JVM generator with the JDK's HTTP client took a whole core at 4,000 reads/s here.)
#
#   bench/http/overload.sh [--url http://localhost:8080] [--connections 8,16,32,64] [--seconds 15] [--repeats 3]
#                          [--label NAME] [--cpus LIST]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/bench/http"
URL=http://localhost:8080
CONNECTIONS=8,16,32,64
SECONDS_PER_RUN=15
REPEATS=3
LABEL=node
CPUS=
while (($# > 0)); do
  case "$1" in
    --url) URL="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
    --repeats) REPEATS="$2"; shift 2 ;;
    --label) LABEL="$2"; shift 2 ;;
    --cpus) CPUS="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk > /dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
curl -sf "$URL/actuator/health/readiness" > /dev/null || { echo "no ready LogKV at $URL (start bin/logkv local)" >&2; exit 1; }
PIN=()
[[ -n "$CPUS" ]] && PIN=(taskset -c "$CPUS")
TARGET="$URL/v1/namespaces/default/keys/overload-key"

head -c 1024 /dev/zero | tr '\0' 'v' | curl -sf -o /dev/null -X PUT --data-binary @- "$TARGET" \
  || { echo "could not write the key read under load" >&2; exit 1; }
"${PIN[@]}" wrk -t4 -c8 -d5s "$TARGET" > /dev/null # warm-up
echo "| node | connections | run | admitted per s | refused per s | admitted p50 ms | p99 ms | p99.9 ms | other answers | socket errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for run in $(seq 1 "$REPEATS"); do
  for connections in ${CONNECTIONS//,/ }; do
    line=$("${PIN[@]}" wrk -t"$connections" -c"$connections" -d"${SECONDS_PER_RUN}s" --timeout 30s -s "$HERE/admitted.lua" "$TARGET" \
      | grep '^admitted=')
    echo "$line" | awk -v label="$LABEL" -v c="$connections" -v run="$run" -v s="$SECONDS_PER_RUN" '{
      for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      printf "| %s | %d | %d | %d | %.0f | %s | %s | %s | %d | %d |\n", label, c, run, v["admitted"] / s, v["refused"] / s,
        v["p50_ms"], v["p99_ms"], v["p999_ms"], v["other"], v["errors"] }'
  done
done
