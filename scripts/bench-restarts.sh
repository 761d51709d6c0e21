#!/usr/bin/env bash
# `make bench`, restarts: POST /orders from 8 clients (a new connection per request, its own
# Idempotency-Key each) while baedal-api is restarted three times, with its listening socket held
# and handed over as systemd does (LISTEN_FDS), then the same with each instance binding its own
# port; beside a quiet period (QUIET_SECONDS, default 60) of the same load. Figures are printed,
# never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/.build/release"
DIR=$(mktemp -d /tmp/baedal-bench-restarts.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port); PAY_PORT=$(free_port)
export BAEDAL_REDIS_URL="redis://127.0.0.1:$PORT" BAEDAL_PREFIX=baedal BAEDAL_LOG_LEVEL=warning \
  BAEDAL_PAYMENT_PORT="$PAY_PORT" BAEDAL_PAYMENT_URL="http://127.0.0.1:$PAY_PORT" \
  BAEDAL_JWT_SECRET="bench-secret-0123456789abcdef0123456789" BAEDAL_PAYMENT_LATENCY_MS=0
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
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PAY_PORT/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
export BENCH_TOKEN; BENCH_TOKEN=$("$BIN/baedalctl" token --role customer --sub bench-restarts)
echo "== restart bench: $(nproc) cores, release build, 8 clients, three restarts of baedal-api under load (training project's figure to beat: 63%)"
"$BIN/baedal-bench" restarts "$BIN/baedal-api"
