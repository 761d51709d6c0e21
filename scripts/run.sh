#!/usr/bin/env bash
# `make run` / `make stop`: a local Redis with its data under .run/, and every process that exists
# so far, in the background. Pids and logs live in .run/.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN="$PWD/.run"
PORT="${REDIS_PORT:-6379}"
BIN="${BIN:-$PWD/.build/debug}"
POLICIES=(projector)   # the policies baedal-worker implements today
export BAEDAL_REDIS_URL="${BAEDAL_REDIS_URL:-redis://127.0.0.1:$PORT}"
export BAEDAL_PREFIX="${BAEDAL_PREFIX:-baedal}"

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  mkdir -p "$RUN/redis"
  if alive "$RUN/redis.pid"; then
    echo "redis        already running (pid $(cat "$RUN/redis.pid")) on 127.0.0.1:$PORT"
  elif redis-cli -p "$PORT" ping >/dev/null 2>&1; then
    echo "redis        a Redis that make run did not start answers on 127.0.0.1:$PORT; using it (its data is not under .run/)"
  else
    redis-server "$PWD/ops/redis.conf" --port "$PORT" --bind 127.0.0.1 --dir "$RUN/redis" \
      --daemonize yes --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log" --supervised no
    for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
    redis-cli -p "$PORT" ping >/dev/null || { echo "redis did not start; see $RUN/redis.log" >&2; exit 1; }
    echo "redis        started on 127.0.0.1:$PORT, data in .run/redis (AOF on), log .run/redis.log"
  fi
  for policy in "${POLICIES[@]}"; do
    pidfile="$RUN/worker-$policy.pid"
    if alive "$pidfile"; then
      echo "worker       $policy already running (pid $(cat "$pidfile"))"
      continue
    fi
    BAEDAL_CONSUMER="${BAEDAL_CONSUMER:-$(hostname)-$policy-1}" nohup "$BIN/baedal-worker" "$policy" >>"$RUN/worker-$policy.log" 2>&1 &
    echo $! >"$pidfile"
    echo "worker       $policy started (pid $!), log .run/worker-$policy.log"
  done
  cat <<EOT

Baedal is running against $BAEDAL_REDIS_URL (prefix '$BAEDAL_PREFIX').
The HTTP API and the payment gateway do not exist yet; feed events by hand, e.g.:

  redis-cli -p $PORT XADD $BAEDAL_PREFIX:events:order '*' type OrderPlaced orderId o-1 at \$(date +%s000) \\
    data '{"orderId":"o-1","customerId":"c1","storeId":"s1","items":[{"foodId":"bibimbap","qty":2,"price":9000}],"amount":18000,"region":"gangnam","address":"1 Teheran-ro","paymentId":"p-1"}'
  redis-cli -p $PORT HGETALL $BAEDAL_PREFIX:dashboard:food-orders
  redis-cli -p $PORT XRANGE $BAEDAL_PREFIX:dead - +

make stop stops it all.
EOT
}

stop() {
  for pidfile in "$RUN"/worker-*.pid; do
    [ -e "$pidfile" ] || continue
    if alive "$pidfile"; then
      pid=$(cat "$pidfile")
      kill -TERM "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
      echo "stopped $(basename "$pidfile" .pid) (pid $pid)"
    fi
    rm -f "$pidfile"
  done
  if alive "$RUN/redis.pid"; then
    redis-cli -p "$PORT" shutdown >/dev/null 2>&1 || kill -TERM "$(cat "$RUN/redis.pid")"
    for _ in $(seq 100); do alive "$RUN/redis.pid" || break; sleep 0.1; done
    echo "stopped redis (data kept in .run/redis)"
  fi
  rm -f "$RUN/redis.pid"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
