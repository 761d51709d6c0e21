#!/usr/bin/env bash
# `make bench`, partitions part (issue 21): the same stack on three backbones, in one run —
# one Redis with 1 partition (today's keys), one Redis with 16 partitions, and a Redis Cluster of
# three primaries with 16 partitions (no replicas and BAEDAL_MIN_REPLICAS=0 on all three, so the
# comparison is the partitioning, not the replication) — each with baedal-payment (latency 0),
# baedal-api and one baedal-worker of every policy. On each: wrk on POST /orders for
# CLUSTER_SECONDS (10) with CLUSTER_CONNECTIONS (32), then until every group of every partition has
# read and acknowledged everything (the drain after the last answer), then wrk on a store's board
# (GET /stores/{id}/orders, the merged read). Printed: orders/s, p50/p99, the drain, Redis CPU per
# order in all and per node (a node's share of the work), the board's read latency and Redis CPU
# per read; then a check that every 201 is an order with its OrderPlaced. CLUSTER_RUNS (2) runs,
# topologies alternated. Figures are printed, never asserted. On a 2-core machine three primaries
# share the cores with everything else: orders/s cannot grow there; what a cluster buys is read
# in each primary's CPU per order.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BENCH_BIN:-$PWD/.build/release}"
SECONDS_PER_RUN="${CLUSTER_SECONDS:-10}"
CONNECTIONS="${CLUSTER_CONNECTIONS:-32}"
RUNS="${CLUSTER_RUNS:-2}"
TOPOLOGIES="${CLUSTER_TOPOLOGIES:-single-1 single-16 cluster-16}"
POLICIES=(store-inbox payment-refund delivery-dispatch notification projector)
PY="$PWD/.build/venv/bin/python"
for exe in baedal-api baedal-payment baedal-worker baedalctl; do
  [ -x "$BIN/$exe" ] || { echo "bench-cluster: $BIN/$exe is missing (swift build -c release)" >&2; exit 1; }
done
[ -x "$PY" ] || { echo "bench-cluster: $PY is missing (scripts/install-deps.sh)" >&2; exit 1; }
export BAEDAL_PAYMENT_LATENCY_MS=0 BAEDAL_PREFIX=baedal BAEDAL_LOG_LEVEL=warning BAEDAL_MIN_REPLICAS=0 \
  BAEDAL_JWT_SECRET="bench-secret-0123456789abcdef0123456789"
WORK=$(mktemp -d /tmp/baedal-bench-cluster.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# A free port whose cluster bus port (+10000) is free and below 65536 too.
bus_port() { python3 -c '
import socket
while True:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]
    if p + 10000 > 65535: s.close(); continue
    b = socket.socket()
    try: b.bind(("127.0.0.1", p + 10000))
    except OSError: s.close(); continue
    b.close(); s.close(); print(p); break'; }
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
redis_cpu() { redis-cli -p "$1" info cpu | tr -d '\r' | awk -F: '/^used_cpu_(user|sys):/ { t += $2 } END { printf "%.6f", t }'; }

pids=(); ports=(); DIR=""
stop_stack() {
  local pid port
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for port in "${ports[@]}"; do redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; done
  pids=(); ports=()
}
trap 'stop_stack; rm -rf "$WORK"' EXIT

start_redis() {  # start_redis PORT [cluster]
  local port=$1 extra=()
  [ "${2:-}" = cluster ] && extra=(--cluster-enabled yes --cluster-config-file "nodes-$port.conf" --cluster-node-timeout 2000)
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$DIR" --daemonize yes \
    --pidfile "$DIR/redis-$port.pid" --logfile "$DIR/redis-$port.log" "${extra[@]}" >/dev/null
  ports+=("$port")
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && return; sleep 0.1; done
  echo "bench-cluster: redis-server on $port did not start" >&2; exit 1
}

start_stack() {  # start_stack TOPOLOGY
  DIR=$(mktemp -d "$WORK/$1.XXXXXX")
  API_PORT=$(free_port); PAY_PORT=$(free_port)
  export BAEDAL_API_PORT="$API_PORT" BAEDAL_PAYMENT_PORT="$PAY_PORT" BAEDAL_PAYMENT_URL="http://127.0.0.1:$PAY_PORT"
  case "$1" in
    single-*)
      local port; port=$(free_port); start_redis "$port"
      export BAEDAL_REDIS_URL="redis://127.0.0.1:$port" BAEDAL_PARTITIONS="${1#single-}" ;;
    cluster-*)
      local seeds=() port
      for _ in 1 2 3; do port=$(bus_port); start_redis "$port" cluster; seeds+=("127.0.0.1:$port"); done
      redis-cli --cluster create "${seeds[@]}" --cluster-yes >/dev/null
      for _ in $(seq 100); do
        redis-cli -p "${ports[0]}" cluster info | grep -q 'cluster_state:ok' && break; sleep 0.1
      done
      export BAEDAL_REDIS_URL="redis-cluster://$(IFS=,; echo "${seeds[*]}")" BAEDAL_PARTITIONS="${1#cluster-}" ;;
  esac
  if ! "$BIN/baedalctl" seed >/dev/null 2>&1; then
    # A baedalctl older than its routing on redis-cluster:// (BENCH_BIN of another build): seed
    # through the primary of the catalogue's slot, on redis:// with the same count (the same keys).
    local node
    node=$(BAEDAL_PORTS="${ports[*]}" "$PY" -c 'import os
from redis.cluster import RedisCluster, ClusterNode
r = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", int(p)) for p in os.environ["BAEDAL_PORTS"].split()])
n = r.get_node_from_key(os.environ["BAEDAL_PREFIX"] + ":{catalog}:stores"); print(f"{n.host}:{n.port}")')
    BAEDAL_REDIS_URL="redis://$node" "$BIN/baedalctl" seed >/dev/null
  fi
  "$BIN/baedal-payment" 2>"$DIR/payment.log" & pids+=($!)
  "$BIN/baedal-api" 2>"$DIR/api.log" & pids+=($!); API_PID=$!
  for policy in "${POLICIES[@]}"; do
    BAEDAL_CONSUMER="bench-$policy" "$BIN/baedal-worker" "$policy" 2>"$DIR/worker-$policy.log" & pids+=($!)
  done
  for _ in $(seq 200); do
    curl -fs "http://127.0.0.1:$API_PORT/health/ready" >/dev/null 2>&1 && curl -fs "http://127.0.0.1:$PAY_PORT/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
  done
  drained >/dev/null  # every group exists
}

# Every group of every partition's streams has read and acknowledged everything: prints "yes" or what is left.
drained() {
  BAEDAL_PORTS="${ports[*]}" "$PY" - <<'PY'
import os, redis
from redis.cluster import RedisCluster, ClusterNode
ports = os.environ["BAEDAL_PORTS"].split()
n = int(os.environ["BAEDAL_PARTITIONS"])
if os.environ["BAEDAL_REDIS_URL"].startswith("redis-cluster://"):
    r = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", int(p)) for p in ports], decode_responses=True)
else:
    r = redis.Redis(port=int(ports[0]), decode_responses=True)
tags = [""] if n == 1 and not os.environ["BAEDAL_REDIS_URL"].startswith("redis-cluster://") else [f"{{{k}}}:" for k in range(n)]
left = 0; groups = 0
for tag in tags:
    for stream in ("order", "payment", "store", "delivery"):
        key = f"baedal:{tag}events:{stream}"
        if not r.exists(key): continue
        for g in r.xinfo_groups(key):
            groups += 1
            left += int(g.get("lag") or 0) + int(g.get("pending") or 0)
print("yes" if left == 0 and groups > 0 else f"{left} left in {groups} groups")
PY
}

# Redis CPU of every node, space separated, in the order of $ports.
nodes_cpu() { local port out=(); for port in "${ports[@]}"; do out+=("$(redis_cpu "$port")"); done; echo "${out[*]}"; }

wrk_run() {  # wrk_run URL SCRIPT SECONDS -> "req/s p50ms p99ms requests non2xx"
  local out="$DIR/wrk-$RANDOM.txt"
  wrk -t2 -c"$CONNECTIONS" -d"${3}s" --latency -s "$2" "$1" >"$out"
  local rps p50 p99 total errors
  ms() { awk -v t="$1" 'BEGIN { if (t ~ /us$/) print t / 1000; else if (t ~ /ms$/) print t + 0; else if (t ~ /s$/) print t * 1000; else print t }'; }
  rps=$(grep 'Requests/sec' "$out" | awk '{print $2}')
  p50=$(grep -E '^ +50%' "$out" | awk '{print $2}'); p99=$(grep -E '^ +99%' "$out" | awk '{print $2}')
  total=$(grep -E 'requests in' "$out" | awk '{print $1}')
  errors=$(grep -E 'Non-2xx' "$out" | awk '{print $NF}' || true)
  echo "$rps $(ms "$p50") $(ms "$p99") $total ${errors:-0}"
}

RESULTS="$WORK/results.txt"; : >"$RESULTS"
one_run() {  # one_run TOPOLOGY RUN
  local topology=$1 run=$2
  start_stack "$topology"
  local customer owner
  customer=$("$BIN/baedalctl" token --role customer --sub bench-customer)
  owner=$("$BIN/baedalctl" token --role owner --sub bench-owner --store s-gangnam-chicken)
  cat >"$DIR/order.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $customer"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"storeId":"s-gangnam-chicken","items":[{"foodId":"fried-chicken","qty":1},{"foodId":"cola","qty":2}],"region":"gangnam","address":"서울 강남구 테헤란로 1"}'
LUA
  cat >"$DIR/board.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $owner"
LUA
  local before_nodes before_api t0 after_nodes after_api drain_ms
  before_nodes=$(nodes_cpu); before_api=$(cpu_of "$API_PID")
  read -r rps p50 p99 total errors < <(wrk_run "http://127.0.0.1:$API_PORT/orders" "$DIR/order.lua" "$SECONDS_PER_RUN")
  t0=$(date +%s%N)
  for _ in $(seq 600); do [ "$(drained)" = yes ] && break; sleep 0.05; done
  drain_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  after_nodes=$(nodes_cpu); after_api=$(cpu_of "$API_PID")
  local created=$((total - errors))
  local per_node
  per_node=$(awk -v b="$before_nodes" -v a="$after_nodes" -v n="$created" 'BEGIN {
    nb = split(b, B, " "); split(a, A, " "); s = ""; t = 0; if (n < 1) n = 1
    for (i = 1; i <= nb; i++) { u = (A[i] - B[i]) * 1e6 / n; t += u; s = s (i > 1 ? "/" : "") sprintf("%.0f", u) }
    printf "%.0f %s", t, s }')
  # The board read: one store's orders merged over the partitions.
  local board_before board
  board_before=$(nodes_cpu)
  read -r b_rps b_p50 b_p99 b_total b_errors < <(wrk_run "http://127.0.0.1:$API_PORT/stores/s-gangnam-chicken/orders" "$DIR/board.lua" 5)
  local board_cpu
  board_cpu=$(awk -v b="$board_before" -v a="$(nodes_cpu)" -v n="$b_total" 'BEGIN {
    nb = split(b, B, " "); split(a, A, " "); t = 0; for (i = 1; i <= nb; i++) t += A[i] - B[i]; printf "%.0f", (n > 0 ? t * 1e6 / n : 0) }')
  local orders
  orders=$(curl -fs -H "Authorization: Bearer $owner" \
    "http://127.0.0.1:$API_PORT/dashboard/food-orders" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(sum(v for k, v in (d.items() if isinstance(d, dict) else []) if isinstance(v, int)))' 2>/dev/null || echo "?")
  read -r total_cpu node_split <<<"$per_node"
  printf '%-10s run %d  POST /orders %6.0f/s p50 %5.2f ms p99 %6.2f ms (%d not 2xx), drained %5d ms later | Redis CPU per order %4d µs (per node %s) | api %4.0f µs | board %6.0f/s p99 %6.2f ms, Redis %4d µs per read\n' \
    "$topology" "$run" "$rps" "$p50" "$p99" "$errors" "$drain_ms" "$total_cpu" "$node_split" \
    "$(awk -v a="$after_api" -v b="$before_api" -v n="$created" 'BEGIN { print (n > 0 ? (a - b) * 1e6 / n : 0) }')" "$b_rps" "$b_p99" "$board_cpu" | tee -a "$RESULTS"
  echo "check      $topology: 201s $created; food units on the dashboard: $orders (3 per order: $((created * 3)) at least)"
  stop_stack
}

echo "== partitions bench: $(nproc) cores, $(redis-server --version | awk '{print $3}'), release build, wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s POST /orders, gateway latency 0, every policy one worker, BAEDAL_MIN_REPLICAS=0; topologies: $TOPOLOGIES; $RUNS run(s) each, alternated"
for run in $(seq "$RUNS"); do
  for topology in $TOPOLOGIES; do one_run "$topology" "$run"; done
done
