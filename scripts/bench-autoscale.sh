#!/usr/bin/env bash
# `make bench`, autoscaling: a burst of BURST (default 60,000) OrderPlaced events written at once,
# drained by one fixed projector, then by baedal-autoscaler's projectors (process launcher,
# MIN 1, MAX 4): time to MAX, drain times, time back to MIN. Figures are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/.build/release"
# The issue's burst, and one ten times larger (one worker keeps up with much of the first while it is written).
BURST="${BURST:-60000 600000}"
DIR=$(mktemp -d /tmp/baedal-bench-autoscale.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$DIR" --daemonize yes \
  --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" >/dev/null
trap 'redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
export BAEDAL_REDIS_URL="redis://127.0.0.1:$PORT" BAEDAL_PREFIX=bench BAEDAL_LOG_LEVEL=warning
echo "== autoscale bench: $(nproc) cores, release build, bursts of $BURST events (timed from the start of the write)"
for burst in $BURST; do
  "$BIN/baedal-bench" autoscale "$BIN/baedal-autoscaler" "$BIN/baedal-worker" "$burst"
done
