#!/usr/bin/env bash
# `make bench`, HTTP part: wrk on POST /orders (payment gateway latency 0) beside GET /health/live
# of the same API, interleaved, HTTP_RUNS times (5), then a check that every order has its
# OrderPlaced and exactly one payment. Figures are printed, never asserted. PERF_OUT=/tmp/p
# records perf profiles of the API and the gateway during the first POST run (to /tmp/p.api,
# /tmp/p.pay). BENCH_BIN picks the binaries (another build, to compare).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BENCH_BIN:-$PWD/.build/release}"
SECONDS_PER_RUN="${HTTP_SECONDS:-10}"
RUNS="${HTTP_RUNS:-5}"
CONNECTIONS="${HTTP_CONNECTIONS:-50}"
export BAEDAL_PAYMENT_LATENCY_MS=0
. scripts/bench-stack.sh http

TOKEN=$("$BIN/baedalctl" token --role customer --sub bench-customer)
order_lua "$TOKEN"

# CPU seconds (user + system) a process has used so far.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
REDIS_PID=$(cat "$DIR/redis.pid"); API_PID=${pids[1]}; PAY_PID=${pids[0]}
field() { grep -E "$1" "$2" | head -1 | awk '{print $2}'; }
run() {  # run NAME URL [SCRIPT] -> "req/s p50ms p99ms requests non2xx"
  local out="$DIR/$(echo "$1" | tr -c "a-zA-Z0-9\n" "-").txt"
  wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency ${3:+-s "$3"} "$2" >"$out"
  local rps p50 p99 total errors
  rps=$(grep 'Requests/sec' "$out" | awk '{print $2}')
  p50=$(field '^ +50%' "$out"); p99=$(field '^ +99%' "$out")
  total=$(grep -E 'requests in' "$out" | awk '{print $1}')
  errors=$(grep -E 'Non-2xx' "$out" | awk '{print $NF}' || true); errors=${errors:-0}
  echo "$rps $(ms "$p50") $(ms "$p99") $total $errors"
}
echo "== HTTP bench: $(nproc) cores, release build, wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s, gateway latency 0, $RUNS runs of POST /orders then GET /health/live"
results="$DIR/results.txt"
order_total_all=0; order_errors_all=0
for i in $(seq "$RUNS"); do
  if [ "$i" = 1 ] && [ -n "${PERF_OUT:-}" ]; then
    (sleep 3; perf record -F 999 -g -p "$API_PID" -o "$PERF_OUT.api" -- sleep 5 >/dev/null 2>&1) &
    (sleep 3; perf record -F 999 -g -p "$PAY_PID" -o "$PERF_OUT.pay" -- sleep 5 >/dev/null 2>&1) &
  fi
  before="$(cpu "$API_PID") $(cpu "$PAY_PID") $(cpu "$REDIS_PID")"
  read -r o_rps o_p50 o_p99 o_total o_errors < <(run "POST /orders" "http://127.0.0.1:$API_PORT/orders" "$DIR/order.lua")
  after="$(cpu "$API_PID") $(cpu "$PAY_PID") $(cpu "$REDIS_PID")"
  read -r h_rps h_p50 h_p99 _ _ < <(run "health/live" "http://127.0.0.1:$API_PORT/health/live")
  order_total_all=$((order_total_all + o_total)); order_errors_all=$((order_errors_all + o_errors))
  echo "$before $after" | awk -v n="$o_total" -v run="$i" -v o="$o_rps" -v op50="$o_p50" -v op99="$o_p99" -v h="$h_rps" -v hp99="$h_p99" -v e="$o_errors" '{
    api = ($4-$1)*1e6/n; pay = ($5-$2)*1e6/n; redis = ($6-$3)*1e6/n
    printf "run %d  POST /orders %6.0f/s p50 %5.2f ms p99 %5.2f ms (%d not 2xx) | health %6.0f/s p99 %5.2f ms | ratio %.3f | cpu per order: api %3.0f us, gateway %3.0f us, redis %3.0f us\n",
      run, o, op50, op99, e, h, hp99, o / h, api, pay, redis > "/dev/stderr"
    print o, op50, op99, h, hp99, o / h, api, pay, redis
  }' >>"$results"
done
# min, median, max of each column over the runs.
awk -v runs="$RUNS" '
  { for (c = 1; c <= NF; c++) v[c, NR] = $c; cols = NF }
  # column c of every run, sorted, into s[1..runs]
  function sorted(c, s,   i, j, t) {
    for (i = 1; i <= runs; i++) s[i] = v[c, i]
    for (i = 1; i <= runs; i++) for (j = i + 1; j <= runs; j++) if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
  }
  function stat(c,   a) { sorted(c, a); return sprintf("%s (%s–%s)", fmt(a[int((runs + 1) / 2)]), fmt(a[1]), fmt(a[runs])) }
  function median(c,   a) { sorted(c, a); return a[int((runs + 1) / 2)] }
  function fmt(x) { return (x >= 100 ? sprintf("%.0f", x) : (x >= 1 ? sprintf("%.2f", x) : sprintf("%.3f", x))) }
  END {
    printf "median (min–max) over %d runs:\n", runs
    printf "  POST /orders     %s orders/s, p50 %s ms, p99 %s ms\n", stat(1), stat(2), stat(3)
    printf "  GET /health/live %s req/s, p99 %s ms\n", stat(4), stat(5)
    printf "  ratio            %s (target >= 0.25: %s; p99 target < 10 ms: %s, by the medians)\n", stat(6),
      (median(6) >= 0.25 ? "met" : "NOT met"), (median(3) < 10 ? "met" : "NOT met")
    printf "  cpu per order    baedal-api %s us, baedal-payment %s us, redis %s us\n", stat(7), stat(8), stat(9)
  }' "$results"
sleep 1

orders=$(redis-cli -p "$PORT" --scan --pattern 'baedal:order:*' | wc -l)
placed=$(redis-cli -p "$PORT" XLEN baedal:events:order)
approved=$(redis-cli -p "$PORT" XLEN baedal:events:payment)
payments=$(redis-cli -p "$PORT" HLEN baedal:payments:by-order)
created=$((order_total_all - order_errors_all))
echo "check          201s counted by wrk: $created; orders: $orders; OrderPlaced: $placed; payments: $payments; PaymentApproved: $approved"
if [ "$orders" = "$placed" ] && [ "$placed" = "$payments" ] && [ "$payments" = "$approved" ] && [ "$orders" -ge "$created" ] \
   && [ $((orders - created)) -le $((CONNECTIONS * RUNS)) ] && [ "$order_errors_all" = 0 ]; then
  echo "check          every order has its OrderPlaced and one payment; no payment without an order (requests in flight when wrk stopped: $((orders - created)))"
else
  echo "check          MISMATCH: see the figures above" >&2
fi
