# Sourced by the HTTP benchmarks, with ROOT (the repository), HERE (this directory) and optionally BENCH_CLASSES set:
#   - sets CP (the benchmark module's classes and runtime classpath, built first if need be) and JAVA;
#   - wrk_run CONNECTIONS SCRIPT TARGET: one wrk run of SECONDS_PER_RUN seconds with a Lua script of this
#     directory, printing "<requests/s> <p50 ms> <p99 ms> <non-2xx> <socket errors>".
CLASSPATH_FILE="$ROOT/benchmark/target/classpath/bench.txt"
# Built when never built, or when a class the script runs (BENCH_CLASSES, names under io/logkv/benchmark/) is missing.
build=false
[[ -f "$CLASSPATH_FILE" ]] || build=true
for class in ${BENCH_CLASSES:-}; do
  [[ -f "$ROOT/benchmark/target/classes/io/logkv/benchmark/$class.class" ]] || build=true
done
if $build; then
  (cd "$ROOT" && mvn -q -B -DskipTests -pl benchmark -am install)
fi
CP="$ROOT/benchmark/target/classes:$(cat "$CLASSPATH_FILE")"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

wrk_run() {
  local connections="$1" script="$2" target="$3"
  local threads=$((connections < 2 ? 1 : 2))
  wrk -t"$threads" -c"$connections" -d"${SECONDS_PER_RUN}s" --timeout 30s --latency -s "$HERE/$script" "$target" 2>&1 | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /Non-2xx/ { bad = $NF }
    /Socket errors/ { gsub(",", ""); err = $4 + $6 + $8 + $10 }
    END { printf "%s %.2f %.2f %d %d\n", rps, p50, p99, bad, err }'
}
