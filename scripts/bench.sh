#!/usr/bin/env bash
# `make bench`: throughput of the projector against a Redis of its own, beside redis-benchmark's
# XADD rate on the same Redis in the same run. Figures are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS="${EVENTS:-200000}"
BIN="$PWD/.build/release"
DIR=$(mktemp -d /tmp/baedal-bench.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$DIR" --daemonize yes \
  --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" >/dev/null
trap 'redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
export BAEDAL_REDIS_URL="redis://127.0.0.1:$PORT" BAEDAL_PREFIX=bench

echo "== Baedal bench: $(nproc) cores, $(redis-server --version | awk '{print $3}'), release build, $EVENTS events"
"$BIN/baedal-bench" fill "$EVENTS"
RUNS="${RUNS:-3}"
rate() { echo "$1" | sed -E 's/.*= ([0-9]+) events\/s.*/\1/'; }
# This machine is shared and noisy: each drain runs $RUNS times; the median is the figure.
median_of() {
  local workers=$1 rates=() line
  for _ in $(seq "$RUNS"); do
    line=$("$BIN/baedal-bench" drain "$workers" "$BIN/baedal-worker") || { echo "$line" >&2; exit 1; }
    echo "$line" >&2
    rates+=("$(rate "$line")")
  done
  printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}'
}
read -r r1 r1min r1max < <(median_of 1)
read -r r2 r2min r2max < <(median_of 2)
echo "median      1 process: $r1 events/s (runs $r1min..$r1max); 2 processes: $r2 events/s (runs $r2min..$r2max)"

payload='{"orderId":"o-1","customerId":"c-1","storeId":"s-1","items":[{"foodId":"food-1","qty":2,"price":9000},{"foodId":"food-7","qty":1,"price":9000}],"amount":27000,"region":"gangnam","address":"1 Teheran-ro","paymentId":"p-1"}'
xadd=$(redis-benchmark -p "$PORT" -n "$EVENTS" -c 50 -P 32 -q XADD bench:xadd '*' type OrderPlaced orderId o-1 at 1700000000000 data "$payload" \
  | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | tail -1 | awk '{print $1}')
echo "redis-benchmark XADD (50 clients, pipeline 32): $xadd requests/s"

awk -v r1="$r1" -v r2="$r2" -v x="$xadd" 'BEGIN {
  printf "ratios      2 processes / 1 process = %.2f; 1 process / XADD = %.2f; 2 processes / XADD = %.2f\n", r2 / r1, r1 / x, r2 / x
  printf "targets     1 process >= 100000/s: %s; 2 processes >= 150000/s: %s\n", (r1 >= 100000 ? "met" : "NOT met"), (r2 >= 150000 ? "met" : "NOT met")
}'
