#!/usr/bin/env bash
# `make bench`, flow part: the end-to-end lag of the event backbone at a fixed offered load.
# Its own Redis, baedal-api, baedal-payment (latency 0) and one of each worker; then, for each rate
# of FLOW_RATES (orders/s), `baedal-bench flow` sends POST /orders for FLOW_SECONDS in an open
# loop and watches the store's board, my page and the dashboard: p50/p99/max from each 201 to the
# order's first sighting there. Figures are printed, never asserted. BENCH_BIN picks the binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BENCH_BIN:-$PWD/.build/release}"
RATES="${FLOW_RATES:-500 1000 2000}"
SECONDS_PER_RATE="${FLOW_SECONDS:-10}"
DIR=$(mktemp -d /tmp/baedal-bench-flow.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port); API_PORT=$(free_port); PAY_PORT=$(free_port)
export BAEDAL_REDIS_URL="redis://127.0.0.1:$PORT" BAEDAL_PREFIX=baedal BAEDAL_LOG_LEVEL=warning \
  BAEDAL_API_PORT="$API_PORT" BAEDAL_PAYMENT_PORT="$PAY_PORT" BAEDAL_PAYMENT_URL="http://127.0.0.1:$PAY_PORT" \
  BAEDAL_JWT_SECRET="bench-secret-0123456789abcdef0123456789" BAEDAL_PAYMENT_LATENCY_MS=0
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$DIR" --daemonize yes \
  --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" >/dev/null
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT
for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
"$BIN/baedalctl" seed >/dev/null
"$BIN/baedal-payment" 2>"$DIR/payment.log" & pids+=($!)
"$BIN/baedal-api" 2>"$DIR/api.log" & pids+=($!)
for policy in store-inbox payment-refund delivery-dispatch notification projector; do
  BAEDAL_CONSUMER="bench-$policy" "$BIN/baedal-worker" "$policy" 2>"$DIR/worker-$policy.log" & pids+=($!)
done
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$API_PORT/health/ready" >/dev/null 2>&1 && \
  curl -fs "http://127.0.0.1:$PAY_PORT/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
sleep 1  # the workers' groups

echo "== flow bench: $(nproc) cores, release build, every worker running (one each), gateway latency 0, open loop for ${SECONDS_PER_RATE}s per rate"
for rate in $RATES; do
  customer="flow-$rate"
  token=$("$BIN/baedalctl" token --role customer --sub "$customer")
  "$BIN/baedal-bench" flow "$rate" "$SECONDS_PER_RATE" "$API_PORT" "$token" "$customer"
  sleep 2
done
