#!/usr/bin/env bash
# The read path against the servers it could run on (ADR 0021), with wrk in its own process: a GET of a
# 1 KiB value answered by
#   - LogKV's key endpoint (eventual read) on a running node (bin/logkv local), when --url answers;
#   - an empty Spring MVC handler and a plain servlet, in the node's own Spring Boot + Tomcat stack;
#   - Netty's HTTP/1.1 codec answering on its event loop (the server of LogKV's Redis-protocol endpoint);
# each at every number of connections, REPEATS times in turn. Writes bench/results/servers-<timestamp>.md with
# every run, the medians, and each case's ratio to the plain servlet paired within each run.
#
#   bench/http/servers.sh [--url http://localhost:8080] [--connections 16,50] [--repeats 3] [--seconds 20]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/bench/http"
URL=http://localhost:8080
CONNECTIONS=16,50
REPEATS=3
SECONDS_PER_RUN=20
EMPTY_PORT=18099
NETTY_PORT=18098
while (($# > 0)); do
  case "$1" in
    --url) URL="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --repeats) REPEATS="$2"; shift 2 ;;
    --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk > /dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
LOGKV=true
curl -sf "$URL/actuator/health/readiness" > /dev/null || { LOGKV=false; echo "no ready LogKV at $URL: its case is skipped"; }

# CP, JAVA and wrk_run (bench/http/common.sh).
BENCH_CLASSES="emptyhandler/EmptyHandlerApplication emptyhandler/NettyEmptyHandler"
source "$HERE/common.sh"

mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/servers-$(date +%Y%m%d-%H%M%S).md"
RAW="$(mktemp)"
PIDS=()
trap 'kill "${PIDS[@]}" 2> /dev/null || true; rm -f "$RAW"' EXIT

"$JAVA" -Xmx512m -cp "$CP" io.logkv.benchmark.emptyhandler.EmptyHandlerApplication --server.port=$EMPTY_PORT > /dev/null 2>&1 &
PIDS+=($!)
"$JAVA" -Xmx512m -cp "$CP" io.logkv.benchmark.emptyhandler.NettyEmptyHandler $NETTY_PORT 1024 > /dev/null 2>&1 &
PIDS+=($!)
for target in "http://localhost:$EMPTY_PORT/empty/probe" "http://localhost:$EMPTY_PORT/plain/probe" "http://localhost:$NETTY_PORT/probe"; do
  for _ in $(seq 1 120); do curl -sf -o /dev/null "$target" && break; sleep 0.5; done
  # A baseline that answers errors measures nothing: stop rather than report it.
  curl -sf -o /dev/null "$target" || { echo "$target does not answer 2xx" >&2; exit 1; }
done
if $LOGKV; then
  echo "seeding 100 keys ..."
  for i in $(seq 0 99); do
    curl -sf -o /dev/null -X PUT --data-binary "$(head -c 1024 /dev/zero | tr '\0' 'v')" "$URL/v1/namespaces/default/keys/bench-$i"
  done
fi

record() { echo "$1|$2|$3|$run" >> "$RAW"; echo "  $1, $2 connections: $3"; }

IFS=, read -r -a CONNS <<< "$CONNECTIONS"
for run in $(seq 1 "$REPEATS"); do
  echo "run $run of $REPEATS"
  for c in "${CONNS[@]}"; do
    $LOGKV && record "LogKV GET eventual" "$c" "$(wrk_run "$c" get.lua "$URL")"
    record "Spring MVC empty GET" "$c" "$(KEY_PATH=/empty/ wrk_run "$c" get.lua "http://localhost:$EMPTY_PORT")"
    record "Tomcat plain servlet GET" "$c" "$(KEY_PATH=/plain/ wrk_run "$c" get.lua "http://localhost:$EMPTY_PORT")"
    record "Netty GET" "$c" "$(KEY_PATH=/netty/ wrk_run "$c" get.lua "http://localhost:$NETTY_PORT")"
  done
  # Paced at half LogKV's closed-loop rate at the most connections of this run (100 connections, each pausing
  # between requests): the latency of reads at half the node's top rate, which a closed loop cannot show.
  top_rate="$(awk -F'|' -v c="${CONNS[${#CONNS[@]}-1]}" -v r="$run" '$1 == "LogKV GET eventual" && $2 == c && $4 == r { split($3, v, " "); print v[1] }' "$RAW")"
  light_p50="$(awk -F'|' -v c="${CONNS[0]}" -v r="$run" '$1 == "LogKV GET eventual" && $2 == c && $4 == r { split($3, v, " "); print v[2] }' "$RAW")"
  if [[ -n "$top_rate" ]]; then
    half="$(awk -v r="$top_rate" 'BEGIN { printf "%d", r / 2 }')"
    echo "  paced GETs: asking $half/s (half of $top_rate/s)"
    record "LogKV GET eventual, paced at half the top rate" 100 \
      "$(RATE="$half" CONNECTIONS=100 LATENCY_MS="${light_p50:-0}" wrk_run 100 get.lua "$URL")"
  fi
done

{
  echo "# The read path against the servers it could run on"
  echo
  echo "- Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ { print $2 }') GiB;" \
       "load average before the run: $LOAD_BEFORE, after it: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- wrk in its own process, ${SECONDS_PER_RUN} s per run, $REPEATS runs, 1 KiB values; every server in its own JVM"
  echo
  echo "## Medians"
  echo
  echo "| case | connections | requests/s | p50 ms | p99 ms | vs plain servlet (paired) | each run (requests/s) |"
  echo "|---|---:|---:|---:|---:|---:|---|"
  for c in "${CONNS[@]}" 100; do
    for name in "LogKV GET eventual" "Spring MVC empty GET" "Tomcat plain servlet GET" "Netty GET" "LogKV GET eventual, paced at half the top rate"; do
      awk -F'|' -v n="$name" -v c="$c" '
        $1 == "Tomcat plain servlet GET" && $2 == c { split($3, v, " "); base[$4] = v[1] }
        $1 == n && $2 == c { split($3, v, " "); rps[$4] = v[1]; p50[$4] = v[2]; p99[$4] = v[3]; runs = runs (runs ? ", " : "") sprintf("%.0f", v[1]) }
        function median(a,   k, n, s, i, j, t) { n = 0; for (k in a) s[++n] = a[k]
          for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
          return n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2 }
        END {
          if (!length(rps)) exit
          for (r in rps) if (r in base) ratio[r] = rps[r] / base[r]
          printf "| %s | %s | %.0f | %.2f | %.2f | %s | %s |\n", n, c, median(rps), median(p50), median(p99),
                 length(ratio) ? sprintf("%.2fx", median(ratio)) : "-", runs
        }' "$RAW"
    done
  done
  echo
  echo "## Every run"
  echo
  echo "| case | connections | run | requests/s | p50 ms | p99 ms | non-2xx | socket errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'|' '{ split($3, v, " "); printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $4, v[1], v[2], v[3], v[4], v[5] }' "$RAW"
} | tee "$OUT"
