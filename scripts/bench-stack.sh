# Sourced by the bench scripts: a Redis of its own, the demo stores, baedal-payment and (unless
# STACK_API=0) baedal-api from $BIN on free ports, all stopped on exit (every pid in `pids`).
# $1 names the temporary directory.
DIR=$(mktemp -d "/tmp/baedal-bench-${1:-stack}.XXXXXX")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port); API_PORT=$(free_port); PAY_PORT=$(free_port)
export BAEDAL_REDIS_URL="redis://127.0.0.1:$PORT" BAEDAL_PREFIX=baedal BAEDAL_LOG_LEVEL=warning \
  BAEDAL_API_PORT="$API_PORT" BAEDAL_PAYMENT_PORT="$PAY_PORT" BAEDAL_PAYMENT_URL="http://127.0.0.1:$PAY_PORT" \
  BAEDAL_JWT_SECRET="bench-secret-0123456789abcdef0123456789"
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
if [ "${STACK_API:-1}" = 1 ]; then "$BIN/baedal-api" 2>"$DIR/api.log" & pids+=($!); fi
for _ in $(seq 100); do { [ "${STACK_API:-1}" = 0 ] || curl -fs "http://127.0.0.1:$API_PORT/health/ready" >/dev/null 2>&1; } && \
  curl -fs "http://127.0.0.1:$PAY_PORT/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done

# For the scripts that run the whole stack in modes (bench-tracing, bench-tls):
# order_lua TOKEN: wrk's script for POST /orders as that customer, in $DIR/order.lua.
order_lua() {
  cat >"$DIR/order.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $1"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"storeId":"s-gangnam-chicken","items":[{"foodId":"fried-chicken","qty":1},{"foodId":"cola","qty":2}],"region":"gangnam","address":"서울 강남구 테헤란로 1"}'
LUA
}
# ms T: wrk's latency (12.3us, 4.5ms, 1.2s) in milliseconds.
ms() { awk -v t="$1" 'BEGIN { if (t ~ /us$/) print t / 1000; else if (t ~ /ms$/) print t + 0; else if (t ~ /s$/) print t * 1000; else print t }'; }
# start_whole_stack "VAR=value …": the gateway, the API and one worker per policy with those
# variables added, ready (their pids appended to `pids`).
start_whole_stack() {
  env $1 "$BIN/baedal-payment" 2>>"$DIR/payment.log" & pids+=($!)
  env $1 "$BIN/baedal-api" 2>>"$DIR/api.log" & pids+=($!)
  for policy in store-inbox payment-refund delivery-dispatch notification projector; do
    env $1 BAEDAL_CONSUMER="bench-$policy" "$BIN/baedal-worker" "$policy" 2>>"$DIR/worker-$policy.log" & pids+=($!)
  done
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$API_PORT/health/ready" >/dev/null 2>&1 && \
    curl -fs "http://127.0.0.1:$PAY_PORT/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
  sleep 1  # the workers' groups
}
# caught_up: waits (60 s at most) until every group of the stack's streams has read and acknowledged
# all (every group delivered the stream's last entry and holds nothing; XINFO's lag may be unknown).
caught_up() {
  "$PWD/.build/venv/bin/python" - "$PORT" <<'PY'
import sys, time, redis
r = redis.Redis(port=int(sys.argv[1]), decode_responses=True)
deadline = time.time() + 60
# The streams, found once (a SCAN per poll would cost Redis CPU growing with every order's keys).
streams = [key for key in r.scan_iter("baedal:events:*", count=1000) if r.type(key) == "stream"]
while time.time() < deadline:
    last = {key: r.xinfo_stream(key)["last-generated-id"] for key in streams}
    if all(g["last-delivered-id"] == last[key] and g["pending"] == 0 for key in streams for g in r.xinfo_groups(key)):
        break
    time.sleep(0.2)
PY
}
