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
