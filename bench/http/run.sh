#!/usr/bin/env bash
# The HTTP write and read paths measured with wrk, a load generator in its own process, against a running
# LogKV (bin/logkv local), next to baselines taken in the same run on the same machine:
#   - empty PUT and GET handlers in the node's own server stack, in their own JVM: through Spring MVC
#     (Spring Boot + Tomcat) and as a plain servlet in the same Tomcat (the stack the key endpoint uses);
#   - one raw transactional producer on the same brokers (commits every 100 ms; and one record per commit);
#   - eventual GET as the baseline of strong GET;
#   - streaming-app writes: 300,000 records produced to the ingest topic, until the last is readable;
#   - with more than one node (bin/logkv local --nodes 3): reads and writes of keys chosen by where they live,
#     served by the node itself against forwarded to another node (PlacedKeys), at 32 and 16 connections.
# Writes bench/results/http-<timestamp>.md with every run, the medians, and ratios paired within each run
# (LogKV's figure of run N over the baseline's figure of run N, then the median of those ratios).
#
#   bench/http/run.sh [--url http://localhost:8080] [--bootstrap-servers localhost:19092]
#                     [--connections 1,16,64,256] [--repeats 3] [--seconds 20] [--only-forwarding]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/bench/http"
URL=http://localhost:8080
BOOTSTRAP=localhost:19092
CONNECTIONS=1,16,64,256
REPEATS=3
SECONDS_PER_RUN=20
EMPTY_PORT=18099
ONLY_FORWARDING=false
while (($# > 0)); do
  case "$1" in
    --url) URL="$2"; shift 2 ;;
    --bootstrap-servers) BOOTSTRAP="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --repeats) REPEATS="$2"; shift 2 ;;
    --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
    --only-forwarding) ONLY_FORWARDING=true; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk > /dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
curl -sf "$URL/actuator/health/readiness" > /dev/null || { echo "no ready LogKV at $URL (start bin/logkv local)" >&2; exit 1; }

# CP, JAVA and wrk_run (bench/http/common.sh).
source "$HERE/common.sh"

mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/http-$(date +%Y%m%d-%H%M%S).md"
RAW="$(mktemp)"
PLACED="$(mktemp -d)"
EMPTY_PID=""
trap 'kill $EMPTY_PID 2> /dev/null || true; rm -rf "$RAW" "$PLACED"' EXIT

"$JAVA" -Xmx512m -cp "$CP" io.logkv.benchmark.emptyhandler.EmptyHandlerApplication --server.port=$EMPTY_PORT > /dev/null 2>&1 &
EMPTY_PID=$!
for _ in $(seq 1 120); do curl -sf -o /dev/null -X PUT --data-binary x "http://localhost:$EMPTY_PORT/empty/probe" && break; sleep 0.5; done
# A baseline that answers errors measures nothing: stop rather than report it.
curl -sf -o /dev/null -X PUT --data-binary x "http://localhost:$EMPTY_PORT/empty/probe" \
  || { echo "the empty handler at port $EMPTY_PORT does not answer 2xx" >&2; exit 1; }
curl -sf -o /dev/null "http://localhost:$EMPTY_PORT/plain/probe" \
  || { echo "the plain servlet at port $EMPTY_PORT does not answer 2xx" >&2; exit 1; }


record() { echo "$1|$2|$3|$run" >> "$RAW"; echo "  $1, $2 connections: $3"; }

$ONLY_FORWARDING || echo "seeding 100 keys for the read cases ..."
$ONLY_FORWARDING || for i in $(seq 0 99); do
  curl -sf -o /dev/null -X PUT --data-binary "$(head -c 1024 /dev/zero | tr '\0' 'v')" "$URL/v1/namespaces/default/keys/bench-$i"
done

"$JAVA" -cp "$CP" io.logkv.benchmark.PlacedKeys "$URL" default "$PLACED" 200 | sed 's/^/  placed keys: /'
FORWARDING=false
if [[ -s "$PLACED/read-forwarded.keys" && -s "$PLACED/write-forwarded.keys" && -s "$PLACED/read-local.keys" && -s "$PLACED/write-local.keys" ]]; then
  FORWARDING=true
  echo "seeding the keys of the forwarding cases ..."
  for key in $(cat "$PLACED/read-local.keys" "$PLACED/read-forwarded.keys"); do
    curl -sf -o /dev/null -X PUT --data-binary "$(head -c 1024 /dev/zero | tr '\0' 'v')" "$URL/v1/namespaces/default/keys/$key"
  done
else
  echo "one node (or no forwarded partition): the forwarding cases are skipped (bin/logkv local --nodes 3 runs them)"
fi

IFS=, read -r -a CONNS <<< "$CONNECTIONS"
for run in $(seq 1 "$REPEATS"); do
  echo "run $run of $REPEATS"
  if $FORWARDING; then
    record "GET served locally" 32 "$(KEYS_FILE="$PLACED/read-local.keys" wrk_run 32 keys.lua "$URL")"
    record "GET forwarded" 32 "$(KEYS_FILE="$PLACED/read-forwarded.keys" wrk_run 32 keys.lua "$URL")"
    record "PUT to the owner" 16 "$(METHOD=PUT KEYS_FILE="$PLACED/write-local.keys" wrk_run 16 keys.lua "$URL")"
    record "PUT forwarded" 16 "$(METHOD=PUT KEYS_FILE="$PLACED/write-forwarded.keys" wrk_run 16 keys.lua "$URL")"
  fi
  if $ONLY_FORWARDING; then
    continue
  fi
  for c in "${CONNS[@]}"; do
    record "LogKV PUT" "$c" "$(wrk_run "$c" put.lua "$URL")"
    record "empty PUT handler" "$c" "$(KEY_PATH=/empty/ wrk_run "$c" put.lua "http://localhost:$EMPTY_PORT")"
    record "plain servlet PUT" "$c" "$(KEY_PATH=/plain/ wrk_run "$c" put.lua "http://localhost:$EMPTY_PORT")"
  done
  # Paced at half the closed loop's PUT rate at the most connections of this run (512 connections, each
  # pausing between requests): the latency of writes at half the node's top rate, which a closed loop at
  # full speed cannot show.
  top_rate="$(awk -F'|' -v c="${CONNS[${#CONNS[@]}-1]}" -v r="$run" '$1 == "LogKV PUT" && $2 == c && $4 == r { split($3, v, " "); print v[1] }' "$RAW")"
  light_p50="$(awk -F'|' -v r="$run" '$1 == "LogKV PUT" && $2 == 16 && $4 == r { split($3, v, " "); print v[2] }' "$RAW")"
  if [[ -n "$top_rate" ]]; then
    half="$(awk -v r="$top_rate" 'BEGIN { printf "%d", r / 2 }')"
    echo "  paced PUTs: asking $half/s (half of $top_rate/s)"
    record "LogKV PUT, paced at half the top rate" 512 \
      "$(RATE="$half" CONNECTIONS=512 LATENCY_MS="${light_p50:-0}" wrk_run 512 put.lua "$URL")"
  fi
  record "LogKV GET eventual" 16 "$(wrk_run 16 get.lua "$URL")"
  record "empty GET handler" 16 "$(KEY_PATH=/empty/ wrk_run 16 get.lua "http://localhost:$EMPTY_PORT")"
  record "plain servlet GET" 16 "$(KEY_PATH=/plain/ wrk_run 16 get.lua "http://localhost:$EMPTY_PORT")"
  record "LogKV GET strong" 16 "$(QUERY='?consistency=strong' wrk_run 16 get.lua "$URL")"
  baseline="$("$JAVA" -Xmx512m -cp "$CP" io.logkv.benchmark.TransactionalProducerBaseline "$BOOTSTRAP" "$SECONDS_PER_RUN" 100 1024 2> /dev/null)"
  echo "$baseline" | sed 's/^/  /'
  echo "$baseline" | awk -v run="$run" '/records_per_s/ { split($3, a, "="); print "raw transactional producer, commit every 100 ms|1|" a[2] " 0 0 0 0|" run }
    /p50_ms/ { split($2, a, "="); split($3, b, "="); print "raw transactional producer, 1 record per commit|1|0 " a[2] " " b[2] " 0 0|" run }' >> "$RAW"
  ingest="$("$JAVA" -Xmx512m -cp "$CP" io.logkv.benchmark.IngestEndToEnd "$BOOTSTRAP" "$URL" 300000 1024 2> /dev/null)"
  echo "  $ingest"
  echo "$ingest" | awk -v run="$run" '/end_to_end_per_s/ { split($3, a, "="); split($4, b, "="); print "ingest, produced|1|" a[2] " 0 0 0 0|" run; print "ingest, end to end (last record readable)|1|" b[2] " 0 0 0 0|" run }' >> "$RAW"
done

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else print v[int((NR + 1) / 2)] }'; }
{
  echo "# HTTP paths under wrk ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); LogKV at $URL;"
  echo "wrk ${SECONDS_PER_RUN} s per run, $REPEATS runs; medians (each run in brackets)."
  echo
  echo "| case | connections | req/s | p50 ms | p99 ms | non-2xx | socket errors | req/s of each run |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  cut -d'|' -f1,2 "$RAW" | awk '!seen[$0]++' | while IFS='|' read -r name conns; do
    rows="$(awk -F'|' -v n="$name" -v c="$conns" '$1 == n && $2 == c { print $3 }' "$RAW")"
    rps="$(echo "$rows" | awk '{ print $1 }' | median)"
    p50="$(echo "$rows" | awk '{ print $2 }' | median)"
    p99="$(echo "$rows" | awk '{ print $3 }' | median)"
    bad="$(echo "$rows" | awk '{ s += $4 } END { print s }')"
    err="$(echo "$rows" | awk '{ s += $5 } END { print s }')"
    each="$(echo "$rows" | awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $1 }')"
    echo "| $name | $conns | $rps | $p50 | $p99 | $bad | $err | $each |"
  done
  echo
  echo "Ratios, paired within each run (median of the runs' ratios; each run's ratio in brackets):"
  echo
  echo "| LogKV case | baseline | field | ratio | each run |"
  echo "|---|---|---|---:|---|"
  # ratio <case> <conns> <baseline> <baseline conns> <field: 1 = req/s, 2 = p50>
  ratio() {
    awk -F'|' -v a="$1" -v ac="$2" -v b="$3" -v bc="$4" -v f="$5" '
      { split($3, v, " ") }
      $1 == a && $2 == ac { x[$4] = v[f] }
      $1 == b && $2 == bc { y[$4] = v[f] }
      END {
        n = 0
        for (r in x) if ((r in y) && y[r] > 0) { q[++n] = x[r] / y[r] }
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (q[j] < q[i]) { t = q[i]; q[i] = q[j]; q[j] = t }
        if (n == 0) exit
        each = ""; for (i = 1; i <= n; i++) each = each (i > 1 ? ", " : "") sprintf("%.2f", q[i])
        printf "| %s, %s | %s, %s | %s | %.2f | %s |\n", a, ac, b, bc, (f == 1 ? "req/s" : "p50"), q[int((n + 1) / 2)], each
      }' "$RAW"
  }
  # added <case> <conns> <baseline> <baseline conns>: p50 of the case minus p50 of the baseline, per run
  added() {
    awk -F'|' -v a="$1" -v ac="$2" -v b="$3" -v bc="$4" '
      { split($3, v, " ") }
      $1 == a && $2 == ac { x[$4] = v[2] }
      $1 == b && $2 == bc { y[$4] = v[2] }
      END {
        n = 0
        for (r in x) if (r in y) { q[++n] = x[r] - y[r] }
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (q[j] < q[i]) { t = q[i]; q[i] = q[j]; q[j] = t }
        if (n == 0) exit
        each = ""; for (i = 1; i <= n; i++) each = each (i > 1 ? ", " : "") sprintf("%+.2f", q[i])
        printf "| %s, %s | %s, %s | p50 ms added | %+.2f | %s |\n", a, ac, b, bc, q[int((n + 1) / 2)], each
      }' "$RAW"
  }
  for c in "${CONNS[@]}"; do
    ratio "LogKV PUT" "$c" "empty PUT handler" "$c" 1
    ratio "LogKV PUT" "$c" "plain servlet PUT" "$c" 1
  done
  last="${CONNS[${#CONNS[@]}-1]}"
  ratio "LogKV PUT" "$last" "raw transactional producer, commit every 100 ms" 1 1
  ratio "LogKV PUT" 1 "raw transactional producer, 1 record per commit" 1 2
  ratio "LogKV GET eventual" 16 "empty GET handler" 16 1
  ratio "LogKV GET eventual" 16 "plain servlet GET" 16 1
  ratio "LogKV GET strong" 16 "LogKV GET eventual" 16 1
  ratio "ingest, end to end (last record readable)" 1 "raw transactional producer, commit every 100 ms" 1 1
  if $FORWARDING; then
    ratio "GET forwarded" 32 "GET served locally" 32 1
    added "GET forwarded" 32 "GET served locally" 32
    ratio "PUT forwarded" 16 "PUT to the owner" 16 1
    added "PUT forwarded" 16 "PUT to the owner" 16
  fi
} > "$OUT"
cat "$OUT"
echo "written: $OUT"
