#!/usr/bin/env bash
# `make bench`, replay part (issue 20): what the Lua scripts of an order's life cost Redis, each call
# replayed alone on an idle redis-server (scripts/bench-replay.py): the commits of one whole life
# (place … confirm) in µs of Redis CPU, and each policy's apply batch at 48 customers per entry. The
# whole-stack figures of bench-cost.sh move ±20% from run to run on a shared 2-core machine; these
# price a change to a script within a few per cent.
#
# BENCH_BIN=DIR (default .build/release) with the tree's sources; BENCH_OLD_BIN=DIR with
# BENCH_OLD_REV=REV (the git revision DIR was built from) adds the old figures and the ratios.
# REPLAY_CALLS (10000) calls per commit and round, REPLAY_ROUNDS (5): the best round counts.
set -euo pipefail
cd "$(dirname "$0")/.."
NEW="${BENCH_BIN:-$PWD/.build/release}"
OLD="${BENCH_OLD_BIN:-}"
OLD_REV="${BENCH_OLD_REV:-}"
PY=.build/venv/bin/python
[ -x "$PY" ] || { echo "bench-replay: $PY is missing (make deps)" >&2; exit 1; }
if [ -n "$OLD" ] && [ -z "$OLD_REV" ]; then echo "bench-replay: BENCH_OLD_BIN needs BENCH_OLD_REV (the revision it was built from)" >&2; exit 1; fi
WORK=$(mktemp -d /tmp/baedal-bench-replay.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

capture() {  # capture BIN LABEL: one life alone, then 300 lives at 48 customers, under MONITOR
  BENCH_BIN="$1" COST_MONITOR="$WORK/$2-life.txt" COST_RUNS=1 COST_CONCURRENCY=1 COST_ORDERS=1 COST_MODE=life \
    COST_IDLE_SECONDS=1 scripts/bench-cost.sh >"$WORK/$2-capture.log" 2>&1
  BENCH_BIN="$1" COST_MONITOR="$WORK/$2-batches.txt" COST_RUNS=1 COST_CONCURRENCY=48 COST_ORDERS=300 COST_MODE=life \
    COST_IDLE_SECONDS=1 scripts/bench-cost.sh >>"$WORK/$2-capture.log" 2>&1
}
labels=(new)
[ -n "$OLD" ] && labels=(old new)
echo "== replay bench: the scripts of an order's life, each call alone on an idle Redis $(redis-server --version | awk '{print $3}')${OLD:+; old = $OLD_REV ($OLD)}"
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" --daemonize yes \
  --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log" >/dev/null
for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
for label in "${labels[@]}"; do
  if [ "$label" = old ]; then bin=$OLD rev=(--rev "$OLD_REV"); else bin=$NEW rev=(--forms); fi
  capture "$bin" "$label"
  "$PY" scripts/bench-replay.py --label "$label" "${rev[@]}" --life "$WORK/$label-life.txt" --batches "$WORK/$label-batches.txt" \
    --port "$PORT" --calls "${REPLAY_CALLS:-10000}" --rounds "${REPLAY_ROUNDS:-5}" | tee "$WORK/$label.txt"
done
echo
echo "== Redis CPU of the scripts (best of ${REPLAY_ROUNDS:-5}; a PING measured on the same Redis beside them)"
awk '
  $1 == "replay" { label = $2 }
  $1 == "replay" && $3 == "ping" { ping[label] = $4 }
  $1 == "replay" && $3 == "commits" { commits[label] = $6; n[label] = $4; bytes[label] = $NF }
  $1 == "replay" && $3 == "apply" { per[label, $4] = $12; policies[$4] = 1 }
  $1 == "replay" && $3 == "forms" { evalsha = $5; fcall = $7; multi = $9 }
  END {
    printf "%-34s %14s %14s %8s\n", "", "old", "new", "new/old"
    if (("old") in commits) {
      printf "%-34s %10.1f µs %10.1f µs %8.2f\n", "commits of one life (" n["new"] " calls)", commits["old"], commits["new"], commits["new"] / commits["old"]
      printf "%-34s %10.1f    %10.1f    %8.2f\n", "  in PINGs", commits["old"] / ping["old"], commits["new"] / ping["new"], (commits["new"] / ping["new"]) / (commits["old"] / ping["old"])
      printf "%-34s %10d B  %10d B  %8.2f\n", "  bytes of their keys and arguments", bytes["old"], bytes["new"], bytes["new"] / bytes["old"]
      for (p in policies) if ((("old", p) in per) && (("new", p) in per))
        printf "%-34s %10.2f µs %10.2f µs %8.2f\n", "apply, " p ", per entry", per["old", p], per["new", p], per["new", p] / per["old", p]
    } else {
      printf "%-34s %14s %10.1f µs\n", "commits of one life (" n["new"] " calls)", "", commits["new"]
      for (p in policies) printf "%-34s %14s %10.2f µs\n", "apply, " p ", per entry", "", per["new", p]
    }
    if (evalsha > 0) {
      print ""
      print "The new commits of one life with their reads, pipelined (no socket work), three forms:"
      printf "  %-32s %10.1f µs\n", "EVALSHA (today)", evalsha
      printf "  %-32s %10.1f µs %8.2f\n", "FCALL (the same Lua, a function)", fcall, fcall / evalsha
      printf "  %-32s %10.1f µs %8.2f\n", "WATCH + reads, MULTI … EXEC", multi, multi / evalsha
    }
  }' "$WORK"/*.txt
