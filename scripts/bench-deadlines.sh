#!/usr/bin/env bash
# `make bench`, deadlines part (issue 24). Figures are printed, never asserted.
#
# 1. How fast one worker tells deadlines: DEADLINE_BACKLOG (100,000) accept deadlines, all due,
#    written to baedal:deadlines by hand; one `baedal-worker store-inbox` (its pump moves them to
#    baedal:events:deadlines, its group handles each: the orders do not exist, so each is read and
#    found gone). Deadlines moved per second, and handled per second.
# 2. How late a due deadline is told under a steady flow: BAEDAL_ACCEPT_TIMEOUT_S=2, every policy
#    running, DEADLINE_RATE (50) orders a second for DEADLINE_SECONDS (20) that no store answers;
#    each is rejected by the platform and refunded. From the streams: how late each DeadlineDue was
#    told after it was due, and how long after it was due its OrderRejected was written (p50, p99, max).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BENCH_BIN:-$PWD/.build/release}"
PY="$PWD/.build/venv/bin/python"
for exe in baedal-api baedal-payment baedal-worker baedalctl; do
  [ -x "$BIN/$exe" ] || { echo "bench-deadlines: $BIN/$exe is missing: swift build -c release" >&2; exit 1; }
done
BACKLOG="${DEADLINE_BACKLOG:-100000}"
RATE="${DEADLINE_RATE:-50}"
SECONDS_OF_FLOW="${DEADLINE_SECONDS:-20}"
now_ms() { date +%s%3N; }

echo "== Deadlines: $(nproc) cores, release build"
# ---- 1. a backlog of due deadlines, one worker ------------------------------------------------
(
  STACK_API=0 source scripts/bench-stack.sh deadlines-backlog
  redis-cli -p "$PORT" eval "for i = 1, tonumber(ARGV[1]) do redis.call('ZADD', KEYS[1], i, 'accept:o-bench-' .. i) end return 1" \
    1 baedal:deadlines "$BACKLOG" >/dev/null
  start=$(now_ms)
  BAEDAL_CONSUMER=bench-store-inbox "$BIN/baedal-worker" store-inbox 2>"$DIR/worker.log" & pids+=($!)
  moved=""
  while :; do
    left=$(redis-cli -p "$PORT" zcard baedal:deadlines)
    [ -z "$moved" ] && [ "$left" = 0 ] && moved=$(now_ms)
    lag=$(redis-cli -p "$PORT" xinfo groups baedal:events:deadlines 2>/dev/null | awk 'f { print; exit } /^lag$/ { f = 1 }')
    pending=$(redis-cli -p "$PORT" xinfo groups baedal:events:deadlines 2>/dev/null | awk 'f { print; exit } /^pending$/ { f = 1 }')
    [ -n "$moved" ] && [ "$lag" = 0 ] && [ "$pending" = 0 ] && break
    [ $(( $(now_ms) - start )) -gt 600000 ] && { echo "bench-deadlines: not drained in 10 min" >&2; exit 1; }
    sleep 0.05
  done
  done_at=$(now_ms)
  told=$(redis-cli -p "$PORT" xlen baedal:events:deadlines)
  awk -v n="$BACKLOG" -v told="$told" -v m=$((moved - start)) -v d=$((done_at - start)) 'BEGIN {
    printf "backlog of %d due deadlines, one store-inbox worker: moved to the stream in %.2f s (%.0f/s, %d entries), handled in %.2f s (%.0f/s; process start included)\n",
      n, m / 1000, n * 1000 / m, told, d / 1000, n * 1000 / d }'
)

# ---- 2. a steady flow nobody answers --------------------------------------------------------
(
  export BAEDAL_ACCEPT_TIMEOUT_S=2
  source scripts/bench-stack.sh deadlines-flow
  for policy in store-inbox payment-refund delivery-dispatch notification projector; do
    BAEDAL_CONSUMER="bench-$policy" "$BIN/baedal-worker" "$policy" 2>"$DIR/worker-$policy.log" & pids+=($!)
  done
  sleep 1  # the groups
  TOKEN=$("$BIN/baedalctl" token --role customer --sub c-deadline-bench)
  count=$((RATE * SECONDS_OF_FLOW))
  "$PY" - "$API_PORT" "$TOKEN" "$RATE" "$count" <<'PY'
import concurrent.futures, sys, time, urllib.request
port, token, rate, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
body = b'{"storeId":"s-gangnam-chicken","items":[{"foodId":"fried-chicken","qty":1}],"region":"gangnam","address":"bench"}'
def place(_):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/orders", data=body, method="POST",
                                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status
start = time.monotonic()
with concurrent.futures.ThreadPoolExecutor(16) as pool:
    futures = []
    for i in range(count):
        delay = start + i / rate - time.monotonic()
        if delay > 0: time.sleep(delay)
        futures.append(pool.submit(place, i))
    placed = sum(1 for f in futures if f.result() == 201)
print(f"steady flow: {placed} orders placed at {rate}/s over {time.monotonic() - start:.1f} s, BAEDAL_ACCEPT_TIMEOUT_S=2, no store answering")
PY
  start=$(now_ms)
  until [ "$(redis-cli -p "$PORT" eval "local n = 0 for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do if e[2][2] == 'PaymentCancelled' then n = n + 1 end end return n" 1 baedal:events:payment)" -ge "$count" ]; do
    [ $(( $(now_ms) - start )) -gt 120000 ] && { echo "bench-deadlines: not all refunded within 2 min" >&2; break; }
    sleep 0.2
  done
  "$PY" - "$PORT" <<'PY'
import json, sys
import redis
r = redis.Redis(port=int(sys.argv[1]), decode_responses=True)
def entries(stream):
    return [fields for _, fields in r.xrange(stream)]
due = {}
told = []
for fields in entries("baedal:events:deadlines"):
    if fields.get("type") != "DeadlineDue": continue
    data = json.loads(fields["data"])
    due[fields["orderId"]] = data["due"]
    told.append(int(fields["at"]) - data["due"])
rejected = [int(f["at"]) - due[f["orderId"]] for f in entries("baedal:events:store")
            if f.get("type") == "OrderRejected" and f["orderId"] in due and '"platform"' in f["data"]]
refunds = sum(1 for f in entries("baedal:events:payment") if f.get("type") == "PaymentCancelled")
def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")
for name, values in (("DeadlineDue told after due", told), ("OrderRejected written after due", rejected)):
    print(f"{name}: {len(values)} deadlines, p50 {pct(values, 50)} ms, p99 {pct(values, 99)} ms, max {max(values) if values else 'n/a'} ms")
print(f"refunds (PaymentCancelled): {refunds}; deadlines left waiting: {r.zcard('baedal:deadlines')}")
PY
)
