#!/usr/bin/env bash
# Write amplification of a running LogKV (bin/logkv local): bytes the Kafka brokers and the LogKV nodes
# write to storage per byte of values the clients wrote. wrk PUTs fresh keys of VALUE_BYTES for --seconds;
# the storage writes are read from Linux's per-process I/O accounting (/proc/PID/io write_bytes: bytes the
# process caused to be written to the block layer, replicas, transaction markers, the transaction log,
# RocksDB flushes and compactions included), before the load and after the storage has gone quiet (RocksDB
# compacts and the brokers flush after the load ends; the script waits until less than 256 KiB a second was
# written for 10 s, at most --settle seconds). Writes bench/results/amplification-<timestamp>.md.
#
#   bench/http/amplification.sh [--url http://localhost:8080] [--seconds 60] [--connections 64] [--settle 120]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/bench/http"
URL=http://localhost:8080
SECONDS_OF_LOAD=60
CONNECTIONS=64
SETTLE=120
while (($# > 0)); do
  case "$1" in
    --url) URL="$2"; shift 2 ;;
    --seconds) SECONDS_OF_LOAD="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --settle) SETTLE="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk > /dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
curl -sf "$URL/actuator/health/readiness" > /dev/null || { echo "no ready LogKV at $URL (start bin/logkv local)" >&2; exit 1; }
VALUE_BYTES="${VALUE_BYTES:-1024}"
export VALUE_BYTES

BROKERS="$(pgrep -f KafkaBrokerMain || true)"
NODES="$(pgrep -f 'LogKvCommand node' || true)"
[[ -n "$BROKERS" && -n "$NODES" ]] || { echo "no broker or node processes of bin/logkv local found" >&2; exit 1; }

written() { local sum=0 p; for p in $1; do sum=$((sum + $(awk '/^write_bytes/ { print $2 }' "/proc/$p/io"))); done; echo "$sum"; }

sync
brokers_before="$(written "$BROKERS")"
nodes_before="$(written "$NODES")"
echo "PUT load: $CONNECTIONS connections, $SECONDS_OF_LOAD s, $VALUE_BYTES-byte values …"
out="$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_OF_LOAD}s" --timeout 30s -s "$HERE/put.lua" "$URL" 2>&1)"
requests="$(echo "$out" | awk '/requests in/ { print $1 }')"
bad="$(echo "$out" | awk '/Non-2xx/ { print $NF }')"
acknowledged=$((requests - ${bad:-0}))
echo "  $acknowledged PUTs acknowledged (${bad:-0} not)"

echo "waiting for the storage to go quiet (at most $SETTLE s) …"
# Brokers never stop writing entirely (KRaft appends a no-op record to the metadata log every 500 ms), so
# quiet means less than 256 KiB a second, 10 seconds in a row.
last=$(( $(written "$BROKERS") + $(written "$NODES") ))
quiet=0
for _ in $(seq 1 "$SETTLE"); do
  sleep 1
  sync
  now=$(( $(written "$BROKERS") + $(written "$NODES") ))
  if (( now - last < 262144 )); then quiet=$((quiet + 1)); else quiet=0; fi
  last="$now"
  [[ "$quiet" -ge 10 ]] && break
done
brokers_bytes=$(( $(written "$BROKERS") - brokers_before ))
nodes_bytes=$(( $(written "$NODES") - nodes_before ))
client_bytes=$((acknowledged * VALUE_BYTES))

mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/amplification-$(date +%Y%m%d-%H%M%S).md"
{
  echo "# Write amplification ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); LogKV at $URL"
  echo "($(echo "$BROKERS" | wc -w) broker processes, $(echo "$NODES" | wc -w) node processes); wrk $CONNECTIONS connections, $SECONDS_OF_LOAD s,"
  echo "fresh keys, $VALUE_BYTES-byte values (half random, half a repeated pattern: about 2:1 under LZ4)."
  echo
  echo "| what | bytes | per byte of value written |"
  echo "|---|---:|---:|"
  awk -v c="$client_bytes" -v k="$brokers_bytes" -v n="$nodes_bytes" 'BEGIN {
    printf "| values acknowledged to clients | %d | 1.00 |\n", c
    printf "| written to storage by the Kafka brokers (every replica, transaction log, markers) | %d | %.2f |\n", k, k / c
    printf "| written to storage by the LogKV nodes (RocksDB memtable flushes and compactions) | %d | %.2f |\n", n, n / c
    printf "| total | %d | %.2f |\n", k + n, (k + n) / c }'
} | tee "$OUT"
echo "written to $OUT"
