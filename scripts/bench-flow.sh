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
export BAEDAL_PAYMENT_LATENCY_MS=0
. scripts/bench-stack.sh flow
for policy in store-inbox payment-refund delivery-dispatch notification projector; do
  BAEDAL_CONSUMER="bench-$policy" "$BIN/baedal-worker" "$policy" 2>"$DIR/worker-$policy.log" & pids+=($!)
done
sleep 1  # the workers' groups

echo "== flow bench: $(nproc) cores, release build, every worker running (one each), gateway latency 0, open loop for ${SECONDS_PER_RATE}s per rate"
for rate in $RATES; do
  customer="flow-$rate"
  token=$("$BIN/baedalctl" token --role customer --sub "$customer")
  "$BIN/baedal-bench" flow "$rate" "$SECONDS_PER_RATE" "$API_PORT" "$token" "$customer"
  sleep 2
done
