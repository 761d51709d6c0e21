#!/usr/bin/env bash
# `make bench`, HTTP part: wrk on POST /orders (payment gateway latency 0) beside GET /health/live
# of the same API in the same run, then a check that every order has its OrderPlaced and exactly
# one payment. Figures are printed, never asserted. PERF_OUT=/tmp/p records perf profiles of the
# API and the gateway during the POST run (to /tmp/p.api, /tmp/p.pay).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/.build/release"
SECONDS_PER_RUN="${HTTP_SECONDS:-15}"
CONNECTIONS="${HTTP_CONNECTIONS:-50}"
export BAEDAL_PAYMENT_LATENCY_MS=0
. scripts/bench-stack.sh http

TOKEN=$("$BIN/baedalctl" token --role customer --sub bench-customer)
cat >"$DIR/order.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"storeId":"s-gangnam-chicken","items":[{"foodId":"fried-chicken","qty":1},{"foodId":"cola","qty":2}],"region":"gangnam","address":"서울 강남구 테헤란로 1"}'
LUA

# CPU seconds (user + system) a process has used so far.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
REDIS_PID=$(cat "$DIR/redis.pid"); API_PID=${pids[1]}; PAY_PID=${pids[0]}
field() { grep -E "$1" "$2" | head -1 | awk '{print $2}'; }
run() {  # run NAME URL [SCRIPT]
  local out="$DIR/$(echo "$1" | tr -c "a-zA-Z0-9\n" "-").txt"
  wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency ${3:+-s "$3"} "$2" >"$out"
  local rps p50 p99 total errors
  rps=$(grep 'Requests/sec' "$out" | awk '{print $2}')
  p50=$(field '^ +50%' "$out"); p99=$(field '^ +99%' "$out")
  total=$(grep -E 'requests in' "$out" | awk '{print $1}')
  errors=$(grep -E 'Non-2xx' "$out" | awk '{print $NF}' || true); errors=${errors:-0}
  printf '%-14s %10.0f req/s   p50 %-9s p99 %-9s (%s requests, %s not 2xx)\n' "$1" "$rps" "$p50" "$p99" "$total" "$errors" >&2
  echo "$rps $p99 $total $errors"
}
[ -n "${PERF_OUT:-}" ] && (sleep 3; perf record -F 999 -g -p "$(pgrep -n baedal-api)" -o "$PERF_OUT.api" -- sleep 5 >/dev/null 2>&1) &
[ -n "${PERF_OUT:-}" ] && (sleep 3; perf record -F 999 -g -p "$(pgrep -n baedal-payment)" -o "$PERF_OUT.pay" -- sleep 5 >/dev/null 2>&1) &
echo "== HTTP bench: $(nproc) cores, release build, wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s, gateway latency 0"
before="$(cpu "$API_PID") $(cpu "$PAY_PID") $(cpu "$REDIS_PID")"
read -r order_rps order_p99 order_total order_errors < <(run "POST /orders" "http://127.0.0.1:$API_PORT/orders" "$DIR/order.lua")
after="$(cpu "$API_PID") $(cpu "$PAY_PID") $(cpu "$REDIS_PID")"
echo "$before $after" | awk -v n="$order_total" '{ printf "cpu per order  baedal-api %.0f us, baedal-payment %.0f us, redis %.0f us (the rest of the 2 cores: wrk, kernel)\n", ($4-$1)*1e6/n, ($5-$2)*1e6/n, ($6-$3)*1e6/n }' 
read -r health_rps _ _ _ < <(run "health/live" "http://127.0.0.1:$API_PORT/health/live")
sleep 1

orders=$(redis-cli -p "$PORT" --scan --pattern 'baedal:order:*' | wc -l)
placed=$(redis-cli -p "$PORT" XLEN baedal:events:order)
approved=$(redis-cli -p "$PORT" XLEN baedal:events:payment)
payments=$(redis-cli -p "$PORT" HLEN baedal:payments:by-order)
created=$((order_total - order_errors))
echo "check          201s counted by wrk: $created; orders: $orders; OrderPlaced: $placed; payments: $payments; PaymentApproved: $approved"
if [ "$orders" = "$placed" ] && [ "$placed" = "$payments" ] && [ "$payments" = "$approved" ] && [ "$orders" -ge "$created" ] \
   && [ $((orders - created)) -le "$CONNECTIONS" ] && [ "$order_errors" = 0 ]; then
  echo "check          every order has its OrderPlaced and one payment; no payment without an order (requests in flight when wrk stopped: $((orders - created)))"
else
  echo "check          MISMATCH: see the figures above" >&2
fi
awk -v o="$order_rps" -v h="$health_rps" -v p="$order_p99" 'BEGIN {
  ms = p; if (p ~ /us$/) ms = p / 1000; else if (p ~ /ms$/) ms = p + 0; else if (p ~ /s$/) ms = p * 1000
  printf "ratio          POST /orders / GET /health/live = %.2f (target >= 0.25: %s); p99 %s (target < 10ms: %s)\n",
    o / h, (o / h >= 0.25 ? "met" : "NOT met"), p, (ms < 10 ? "met" : "NOT met")
}'
