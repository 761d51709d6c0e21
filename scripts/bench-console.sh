#!/usr/bin/env bash
# `make bench`, console part: the operator console's weight and load time in headless Chromium,
# and what its JSON routes cost on a big Redis (EVENTS entries on the order stream, drained by the
# projector; DEAD dead letters). Figures are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/.build/release"
EVENTS="${CONSOLE_EVENTS:-200000}"
DEAD="${CONSOLE_DEAD:-500}"
PY="$PWD/.build/venv/bin/python"
. scripts/bench-stack.sh console

echo "== Console bench: $EVENTS entries on the order stream, $DEAD dead letters"
"$BIN/baedal-bench" fill "$EVENTS" >/dev/null
BAEDAL_CONSUMER=bench-projector "$BIN/baedal-worker" projector 2>"$DIR/projector.log" & pids+=($!)
CUSTOMER=$("$BIN/baedalctl" token --role customer --sub bench-customer)
sleep 6  # the orders come after the fill's burst: a big stream, not a burst in their window (see docs/benchmarks.md, "The console")
for i in $(seq 20); do
  curl -fs -XPOST "http://127.0.0.1:$API_PORT/orders" -H "Authorization: Bearer $CUSTOMER" \
    -d '{"storeId":"s-gangnam-chicken","items":[{"foodId":"fried-chicken","qty":1},{"foodId":"cola","qty":2}],"region":"gangnam","address":"서울 강남구 테헤란로 1"}' >"$DIR/order.json"
done
ORDER=$(sed -E 's/.*"orderId":"([^"]+)".*/\1/' "$DIR/order.json")
for i in $(seq "$DEAD"); do
  echo "XADD baedal:dead * stream baedal:events:order id 1-$i group projector consumer bench deliveries 1 reason malformed type OrderPlaced orderId o-dead-$i at 1700000000000 data {}"
done | redis-cli -p "$PORT" >/dev/null
for _ in $(seq 600); do
  lag=$(redis-cli -p "$PORT" XINFO GROUPS baedal:events:order | awk 'f {print; exit} /^lag$/ {f=1}')
  [ "$lag" = "0" ] && break; sleep 0.1
done
URL=$("$BIN/baedalctl" console)
OPS=${URL#*#token=}

# The page in the browser: bytes of the page and its two files, load and first data drawn.
MODE=bench CONSOLE_URL="$URL" API="http://127.0.0.1:$API_PORT" REDIS_PORT="$PORT" OUT="$DIR/shots" RUNS="${CONSOLE_RUNS:-10}" \
  "$PY" Tests/browser/console.py

# What each JSON route costs on this Redis: 50 requests each, one at a time.
route() {
  local path=$1 times
  times=$(for _ in $(seq 50); do curl -fs -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$API_PORT/console/api/$path" -H "Authorization: Bearer $OPS"; done | sort -n)
  echo "$times" | awk -v p="$path" '{a[NR]=$1} END {printf "route       %-28s median %.1f ms, p90 %.1f ms, max %.1f ms\n", p, a[int(NR/2)+1]*1000, a[int(NR*0.9)]*1000, a[NR]*1000}'
}
route dashboards
route streams
route dead
route "orders/$ORDER"
scan=$(curl -fs "http://127.0.0.1:$API_PORT/console/api/orders/$ORDER" -H "Authorization: Bearer $OPS" | "$PY" -c '
import json, sys; t = json.load(sys.stdin)["timeline"]; print(len(t["events"]), "events,", t["scanned"], "entries read, complete:", t["complete"])')
echo "timeline    of the last of the 20 orders: $scan"
