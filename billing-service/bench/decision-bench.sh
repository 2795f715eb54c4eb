#!/bin/sh
# wrk against billing-service's forward auth (/v1/authorize, 10,000 funded consumers in a pre-filled read model,
# no broker) and, in the same run with the same wrk settings, against nginx answering a static `return 200`.
# Usage: billing-service/bench/decision-bench.sh [duration=30s] [connections=64] [wrk threads=1] [event loops=1]
# Needs: a JDK, wrk and nginx (apt-get install -y wrk nginx). Builds billing-service's test classes first.
set -eu
DURATION=${1:-30s}
CONNECTIONS=${2:-64}
THREADS=${3:-1}
LOOPS=${4:-1}
BILLING_PORT=${BILLING_PORT:-18090}
NGINX_PORT=${NGINX_PORT:-18091}
HERE=$(cd "$(dirname "$0")" && pwd)
MODULE=$(dirname "$HERE")
ROOT=$(dirname "$MODULE")
WORK=$(mktemp -d)
SERVER_PID=
NGINX_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

if [ -z "${SKIP_BUILD:-}" ]; then
  (cd "$ROOT" && ./mvnw -q -o -f "$MODULE/pom.xml" test-compile dependency:build-classpath \
      -Dmdep.outputFile="$MODULE/target/bench.classpath" -Dmdep.includeScope=test)
fi
CP="$MODULE/target/classes:$MODULE/target/test-classes:$(cat "$MODULE/target/bench.classpath")"

java -Xms1g -Xmx1g -XX:+UseParallelGC -cp "$CP" io.tollgate.billing.bench.DecisionBenchServer "$BILLING_PORT" "$LOOPS" 10000 \
  > "$WORK/server.log" 2>&1 &
SERVER_PID=$!

mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes $LOOPS;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx;
  proxy_temp_path $WORK/nginx;
  fastcgi_temp_path $WORK/nginx;
  uwsgi_temp_path $WORK/nginx;
  scgi_temp_path $WORK/nginx;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$NGINX_PORT; location / { return 200; } }
}
CONF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" > "$WORK/nginx.log" 2>&1 &
NGINX_PID=$!

i=0
until curl -s -o /dev/null -H 'X-Consumer-Id: c1' "http://127.0.0.1:$BILLING_PORT/v1/authorize"; do
  i=$((i + 1)); [ $i -gt 100 ] && { cat "$WORK/server.log"; exit 1; }; sleep 0.2
done
echo "warm-up: 15s against billing-service"
wrk -t"$THREADS" -c"$CONNECTIONS" -d15s -s "$HERE/consumers.lua" "http://127.0.0.1:$BILLING_PORT/v1/authorize" > /dev/null

# CPU time (clock ticks) of a process and its children threads/workers, to report CPU per request independently
# of how busy the machine is.
ticks() {
  t=0
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$t"
}
HZ=$(getconf CLK_TCK)
NGINX_PIDS="$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')"

echo "billing-service /v1/authorize: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $LOOPS event loop(s)"
T0=$(ticks "$SERVER_PID")
B=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$HERE/consumers.lua" "http://127.0.0.1:$BILLING_PORT/v1/authorize" | grep RESULT)
T1=$(ticks "$SERVER_PID")
BREQ=$(echo "$B" | sed 's/.*requests=\([0-9]*\).*/\1/')
echo "  $B cpu_us_per_request=$(awk "BEGIN { printf \"%.1f\", ($T1 - $T0) * 1e6 / $HZ / $BREQ }")"
echo "nginx static return 200: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $LOOPS worker(s)"
T0=$(ticks $NGINX_PIDS)
N=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$HERE/consumers.lua" "http://127.0.0.1:$NGINX_PORT/v1/authorize" | grep RESULT)
T1=$(ticks $NGINX_PIDS)
NREQ=$(echo "$N" | sed 's/.*requests=\([0-9]*\).*/\1/')
echo "  $N cpu_us_per_request=$(awk "BEGIN { printf \"%.1f\", ($T1 - $T0) * 1e6 / $HZ / $NREQ }")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
BP99=$(echo "$B" | sed 's/.*p99_us=\([0-9]*\).*/\1/')
NP99=$(echo "$N" | sed 's/.*p99_us=\([0-9]*\).*/\1/')
echo "p99 ratio billing/nginx: $(awk "BEGIN { printf \"%.2f\", $BP99 / $NP99 }")"
curl -s "http://127.0.0.1:$BILLING_PORT/metrics" | grep -E '^tollgate_decisions_total' || true
