#!/usr/bin/env bash
# Load shedding measured: reads of one 1 KiB key at 1x, 2x and 4x the concurrency a node serves best at, from a
# load generator in its own JVM (io.logkv.benchmark.OverloadReads, closed loop: a refused client asks again at
# once), against a running node. Prints, per run, the reads answered 200 per second, the reads refused at once
# (503 overloaded) per second, and the latency of the admitted reads alone. Run it against the same node started
# with and without a bound, and compare (docs/performance.md, "Overload"):
#
#   bin/logkv local -- --logkv.shedding.max-active-requests=0    # no bound
#   bench/http/overload.sh --label unbounded
#   bin/logkv local -- --logkv.shedding.max-active-requests=32   # 1x = 32 requests at once
#   bench/http/overload.sh --label bound-32
#
#   bench/http/overload.sh [--url http://localhost:8080] [--connections 32,64,128] [--seconds 15] [--repeats 3]
#                          [--label NAME]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/bench/http"
URL=http://localhost:8080
CONNECTIONS=32,64,128
SECONDS_PER_RUN=15
REPEATS=3
LABEL=node
while (($# > 0)); do
  case "$1" in
    --url) URL="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
    --repeats) REPEATS="$2"; shift 2 ;;
    --label) LABEL="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
curl -sf "$URL/actuator/health/readiness" > /dev/null || { echo "no ready LogKV at $URL (start bin/logkv local)" >&2; exit 1; }
# CP and JAVA (bench/http/common.sh).
BENCH_CLASSES=OverloadReads
source "$HERE/common.sh"

head -c 1024 /dev/zero | tr '\0' 'v' | curl -sf -o /dev/null -X PUT --data-binary @- "$URL/v1/namespaces/default/keys/overload-key" \
  || { echo "could not write the key read under load" >&2; exit 1; }
echo "| node | connections | run | admitted per s | refused per s | admitted p50 ms | p99 ms | p99.9 ms | other failures |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
"$JAVA" -Xmx512m -cp "$CP" io.logkv.benchmark.OverloadReads "$URL" default overload-key "$CONNECTIONS" "$SECONDS_PER_RUN" "$REPEATS" "$LABEL"
