#!/usr/bin/env bash
# `make bench`, highly available part (issue 11): a primary, two replicas and three Sentinels of
# its own on loopback (down-after 1 s), the release API and gateway on redis-sentinel://.
#  1. the price of BAEDAL_MIN_REPLICAS=1: POST /orders with 0 and with 1, interleaved;
#  2. failovers under a steady load of orders (clients retry a 503 with the same key): how long
#     writes were refused each time, and whether any order that got a 201 was lost;
#  3. the projector draining a pre-filled stream on the primary with its replicas attached.
# Figures are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/.build/release"
DIR=$(mktemp -d /tmp/baedal-bench-ha.XXXXXX)
SECONDS_PER_RUN="${HTTP_SECONDS:-10}"
FAILOVERS="${FAILOVERS:-3}"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for f in "$DIR"/*.pid; do [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT

# The topology.
NODES=("$(free_port)" "$(free_port)" "$(free_port)")
SENTINELS=("$(free_port)" "$(free_port)" "$(free_port)")
for i in 0 1 2; do
  port=${NODES[$i]}
  args=(--port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$DIR" --dbfilename "n$port.rdb" --repl-diskless-sync-delay 0
        --daemonize yes --pidfile "$DIR/node-$port.pid" --logfile "$DIR/node-$port.log")
  [ "$i" != 0 ] && args+=(--replicaof 127.0.0.1 "${NODES[0]}")
  redis-server "${args[@]}" >/dev/null
done
for _ in $(seq 100); do
  [ "$(redis-cli -p "${NODES[0]}" info replication 2>/dev/null | grep -c state=online)" = 2 ] && break; sleep 0.1
done
for port in "${SENTINELS[@]}"; do
  printf 'port %s\nbind 127.0.0.1\ndir %s\nsentinel monitor baedal 127.0.0.1 %s 2\nsentinel down-after-milliseconds baedal 1000\nsentinel failover-timeout baedal 5000\n' \
    "$port" "$DIR" "${NODES[0]}" >"$DIR/sentinel-$port.conf"
  redis-server "$DIR/sentinel-$port.conf" --sentinel --daemonize yes --pidfile "$DIR/sentinel-$port.pid" --logfile "$DIR/sentinel-$port.log"
done
for _ in $(seq 100); do
  [ "$(redis-cli -p "${SENTINELS[0]}" sentinel sentinels baedal 2>/dev/null | grep -c '^name$')" -ge 2 ] && break; sleep 0.1
done
primary_port() { redis-cli -p "${SENTINELS[0]}" sentinel get-master-addr-by-name baedal 2>/dev/null | tail -1; }

API_PORT=$(free_port); PAY_PORT=$(free_port)
export BAEDAL_REDIS_URL="redis-sentinel://127.0.0.1:${SENTINELS[0]},127.0.0.1:${SENTINELS[1]},127.0.0.1:${SENTINELS[2]}/baedal"
export BAEDAL_PREFIX=baedal BAEDAL_LOG_LEVEL=warning BAEDAL_API_PORT="$API_PORT" BAEDAL_PAYMENT_PORT="$PAY_PORT" \
  BAEDAL_PAYMENT_URL="http://127.0.0.1:$PAY_PORT" BAEDAL_JWT_SECRET="bench-secret-0123456789abcdef0123456789" BAEDAL_PAYMENT_LATENCY_MS=0
"$BIN/baedalctl" seed >/dev/null
TOKEN=$("$BIN/baedalctl" token --role customer --sub bench-ha)

start_services() {  # start_services MIN_REPLICAS
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
  BAEDAL_MIN_REPLICAS=$1 "$BIN/baedal-payment" 2>>"$DIR/payment.log" & pids+=($!)
  BAEDAL_MIN_REPLICAS=$1 "$BIN/baedal-api" 2>>"$DIR/api.log" & pids+=($!)
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$API_PORT/health/ready" >/dev/null 2>&1 && \
    curl -fs "http://127.0.0.1:$PAY_PORT/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
}

cat >"$DIR/order.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"storeId":"s-gangnam-chicken","items":[{"foodId":"fried-chicken","qty":1}],"region":"gangnam","address":"a"}'
LUA
echo "== HA bench: $(nproc) cores, release build, a primary, 2 replicas, 3 Sentinels (down-after 1 s) on loopback"
for round in 1 2; do
  for replicas in 0 1; do
    start_services "$replicas"
    out=$(wrk -t2 -c50 -d"${SECONDS_PER_RUN}s" --latency -s "$DIR/order.lua" "http://127.0.0.1:$API_PORT/orders")
    printf 'min-replicas %s  POST /orders %8.0f req/s   p50 %-9s p99 %-9s (round %s)\n' "$replicas" \
      "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" "$(echo "$out" | awk '$1=="50%" {print $2}')" \
      "$(echo "$out" | awk '$1=="99%" {print $2}')" "$round"
  done
done

# Failovers under load: 8 clients, each placing orders with keys and retrying 503s with the same key.
start_services 1
cat >"$DIR/load.py" <<'PY'
import http.client, json, sys, threading, time
port, token, seconds, out = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
body = '{"storeId":"s-gangnam-chicken","items":[{"foodId":"cola","qty":1}],"region":"gangnam","address":"a"}'
lock, placed, successes = threading.Lock(), [], []
def client(n):
    end, i = time.time() + seconds, 0
    while time.time() < end:
        key = "ha-%d-%d" % (n, i); i += 1
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("POST", "/orders", body, {"Authorization": "Bearer " + token, "Idempotency-Key": key, "Content-Type": "application/json"})
                r = c.getresponse(); data = r.read(); c.close()
                if r.status == 201:
                    with lock:
                        placed.append(json.loads(data)["orderId"]); successes.append(time.time())
                    break
            except Exception:
                pass
            time.sleep(0.05)
threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
for t in threads: t.start()
for t in threads: t.join()
json.dump({"placed": placed, "successes": successes}, open(out, "w"))
PY
for failover in $(seq "$FAILOVERS"); do
  python3 "$DIR/load.py" "$API_PORT" "$TOKEN" 12 "$DIR/load-$failover.json" &
  load=$!
  sleep 4
  old=$(primary_port)
  killed=$(python3 -c 'import time; print(time.time())')
  kill -KILL "$(cat "$DIR/node-$old.pid")"
  wait "$load"
  for _ in $(seq 100); do [ "$(primary_port)" != "$old" ] && break; sleep 0.1; done
  new=$(primary_port)
  python3 - "$DIR/load-$failover.json" "$killed" "$new" "$old" <<'PY'
import json, subprocess, sys
data, killed, new, old = json.load(open(sys.argv[1])), float(sys.argv[2]), sys.argv[3], sys.argv[4]
# The longest stretch without a 201 from the kill on (a 201 just after the kill may answer a
# write made just before it).
successes = sorted(data["successes"])
after = min([t for t in successes if t > killed], default=None)
gaps = [b - a for a, b in zip(successes, successes[1:]) if b > killed]
lost = [o for o in data["placed"] if subprocess.run(["redis-cli", "-p", new, "EXISTS", "baedal:order:" + o], capture_output=True, text=True).stdout.strip() != "1"]
gap = "never came back" if after is None else "%d ms" % (max(gaps, default=0) * 1000)
print("failover      primary %s -> %s: writes refused for %s; %d orders got a 201, %d of them lost" % (old, new, gap, len(data["placed"]), len(lost)))
PY
  # The killed node comes back empty, as a replica of the new primary (Sentinel takes it in).
  redis-server --port "$old" --bind 127.0.0.1 --save "" --appendonly no --dir "$DIR" --dbfilename "n$old.rdb" --repl-diskless-sync-delay 0 \
    --daemonize yes --pidfile "$DIR/node-$old.pid" --logfile "$DIR/node-$old.log" --replicaof 127.0.0.1 "$new" >/dev/null
  for _ in $(seq 100); do
    [ "$(redis-cli -p "$new" info replication 2>/dev/null | grep -c state=online)" = 2 ] && break; sleep 0.1
  done
done

# The projector with the replicas attached (compare with the first part of make bench, on a single Redis).
for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
export BAEDAL_PREFIX=bench
"$BIN/baedal-bench" fill "${EVENTS:-200000}" >/dev/null
for _ in 1 2 3; do "$BIN/baedal-bench" drain 1 "$BIN/baedal-worker" | sed 's/^drain /drain (HA)/'; done
