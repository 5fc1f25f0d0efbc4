#!/usr/bin/env bash
# Bytes a running LogKV node (bin/logkv local) allocates per eventual GET of one key: the node's
# jvm_gc_memory_allocated_bytes_total (Micrometer; it moves at each collection) read right after a collection
# forced with `jcmd GC.run` before and after --seconds of wrk GETs, divided by the requests wrk counted. Other
# threads of the node (its Kafka clients, the replica) allocate meanwhile too and are counted with the reads.
# Appends one line per run to bench/results/allocation-<timestamp>.md.
#
#   bench/http/allocation.sh [--url http://localhost:8080] [--seconds 30] [--connections 16] [--runs 2] [--value-bytes 1024]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
URL=http://localhost:8080
SECONDS_OF_LOAD=30
CONNECTIONS=16
RUNS=2
VALUE_BYTES=1024
while (($# > 0)); do
  case "$1" in
    --url) URL="$2"; shift 2 ;;
    --seconds) SECONDS_OF_LOAD="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --value-bytes) VALUE_BYTES="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk > /dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }
# The node's JVM: the launcher's child that is not a broker.
NODE=""
for pid in $(pgrep -f "exit-with-launcher" || true); do
  grep -q KafkaBrokerMain "/proc/$pid/cmdline" || { NODE="$pid"; break; }
done
[[ -n "$NODE" ]] || { echo "no LogKV node process found (start bin/logkv local first)" >&2; exit 1; }
KEY_URL="$URL/v1/namespaces/default/keys/allocation-probe"
head -c "$VALUE_BYTES" /dev/zero | tr '\0' 'x' | curl -sf -X PUT -H 'Content-Type: text/plain' --data-binary @- "$KEY_URL" > /dev/null
allocated() {
  jcmd "$NODE" GC.run > /dev/null
  sleep 1
  curl -sf "$URL/actuator/prometheus" | awk '/^jvm_gc_memory_allocated_bytes_total/ { printf "%.0f", $2 }'
}
OUT="$ROOT/bench/results/allocation-$(date -u +%Y%m%d-%H%M%S).md"
{
  echo "# Bytes allocated per eventual GET ($VALUE_BYTES-byte value, $CONNECTIONS connections, ${SECONDS_OF_LOAD} s per run)"
  echo "- node pid $NODE, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores"
  echo
  echo "| run | GET/s | bytes per GET |"
  echo "|---:|---:|---:|"
} > "$OUT"
wrk -t2 -c"$CONNECTIONS" -d10s "$KEY_URL" > /dev/null # warm-up, not counted
for run in $(seq 1 "$RUNS"); do
  before="$(allocated)"
  result="$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_OF_LOAD}s" "$KEY_URL")"
  after="$(allocated)"
  requests="$(awk '/requests in/ { print $1 }' <<< "$result")"
  rate="$(awk '/Requests\/sec/ { print $2 }' <<< "$result")"
  line="$(awk -v a="$before" -v b="$after" -v r="$requests" -v run="$run" -v rate="$rate" \
    'BEGIN { printf "| %d | %s | %.0f |", run, rate, (b - a) / r }')"
  echo "$line" | tee -a "$OUT"
done
echo "written to $OUT"
