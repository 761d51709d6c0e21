#!/usr/bin/env bash
# `make bench`, cost part (issue 20): what a whole order life costs Redis. For each C of
# COST_CONCURRENCY (8 and 48 concurrent customers), on a stack of its own per run (a redis-server,
# baedal-payment with latency 0, baedal-api and one baedal-worker of every policy of
# COST_POLICIES), `baedal-bench life` drives COST_ORDERS whole lives (place, accept, cook, pick,
# deliver, confirm) and then as many placements alone, each phase until every group has lag 0
# and nothing pending; Redis's used_cpu_user + used_cpu_sys before/after, minus the idle stack's
# cost over the same time, per order, in µs and in unpipelined PINGs (redis-benchmark -t ping_mbulk
# -n 200000 -c 50 against a Redis of the same binary, in the same run), the top commands
# (INFO commandstats after CONFIG RESETSTAT), the implied capacity (whole lives/s per Redis core)
# and each process's CPU per order. Figures are printed, never asserted.
#
# BENCH_BIN=DIR runs other binaries (default .build/release). BENCH_OLD_BIN=DIR alternates runs
# of those (old) and BENCH_BIN's (new) and prints both side by side with their ratios; the
# load generator is always BENCH_BIN's baedal-bench. COST_RUNS runs of each (3), COST_ORDERS (1200),
# COST_CONCURRENCY ("8 48"), COST_IDLE_SECONDS (10), COST_POLICIES (every policy; "" for none),
# COST_READS=R adds R GETs of each read (an order, a store's board, a riders' board) measured
# alone, COST_SLOWLOG=1 attributes the scripts and reads to groups (diagnosis: it costs Redis
# CPU itself), COST_MODE (both: lives and placements; life; place), COST_RATE=R starts R lives
# (or placements) a second instead of back to back (open loop, at most C at once: the cost at a
# fixed load whatever the binaries' speed; the policies' batches, and so the cost per order,
# depend on the load), COST_OUT=FILE keeps every run's output. COST_PIN=1 (the default with 2 or
# more cores) runs redis-server (and the PING unit's Redis) on the last core and everything else on
# the others (taskset), so that the stack's processes do not inflate Redis's CPU per command by
# sharing its core; COST_PIN=0 lets the scheduler place them. COST_MONITOR=FILE writes the stack's
# Redis MONITOR output there (what scripts/bench-replay.sh replays; it slows Redis: no figures then).
set -euo pipefail
cd "$(dirname "$0")/.."
NEW="${BENCH_BIN:-$PWD/.build/release}"
OLD="${BENCH_OLD_BIN:-}"
RUNS="${COST_RUNS:-3}"
ORDERS="${COST_ORDERS:-1200}"
CONCURRENCY="${COST_CONCURRENCY:-8 48}"
IDLE_SECONDS="${COST_IDLE_SECONDS:-10}"
POLICIES="${COST_POLICIES-store-inbox payment-refund delivery-dispatch notification projector}"
READS="${COST_READS:-0}"
MODE="${COST_MODE:-both}"
BENCH="$NEW/baedal-bench"
PIN_REDIS=() PIN_REST=()
if [ "${COST_PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
  last=$(( $(nproc) - 1 ))
  PIN_REDIS=(taskset -c "$last") PIN_REST=(taskset -c "0-$(( last - 1 ))")
fi
export BAEDAL_PAYMENT_LATENCY_MS=0 BAEDAL_PREFIX=baedal BAEDAL_LOG_LEVEL=warning \
  BAEDAL_JWT_SECRET="bench-secret-0123456789abcdef0123456789"
for bin in "$NEW" ${OLD:+"$OLD"}; do
  for exe in baedal-api baedal-payment baedal-worker baedalctl; do
    [ -x "$bin/$exe" ] || { echo "bench-cost: $bin/$exe is missing (swift build -c release)" >&2; exit 1; }
  done
done
[ -x "$BENCH" ] || { echo "bench-cost: $BENCH is missing (swift build -c release)" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
redis_cpu() { redis-cli -p "$1" info cpu | tr -d '\r' | awk -F: '/^used_cpu_(user|sys):/ { t += $2 } END { printf "%.6f", t }'; }
OUT="${COST_OUT:-}"
WORK=$(mktemp -d /tmp/baedal-bench-cost.XXXXXX)
RESULTS="$WORK/results.txt"
: >"$RESULTS"

# The stack of one run: its own Redis (data in $DIR), the seed, the gateway, the API, the workers.
pids=()
DIR=""
PORT=""
start_stack() {  # start_stack BIN
  local bin=$1
  DIR=$(mktemp -d "$WORK/stack.XXXXXX")
  PORT=$(free_port); API_PORT=$(free_port); PAY_PORT=$(free_port)
  export BAEDAL_REDIS_URL="redis://127.0.0.1:$PORT" BAEDAL_API_PORT="$API_PORT" BAEDAL_PAYMENT_PORT="$PAY_PORT" \
    BAEDAL_PAYMENT_URL="http://127.0.0.1:$PAY_PORT"
  "${PIN_REDIS[@]}" redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$DIR" --daemonize yes \
    --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  "$bin/baedalctl" seed >/dev/null
  pids=()
  PID_ARGS=(--pid "redis=$(cat "$DIR/redis.pid")")
  "${PIN_REST[@]}" "$bin/baedal-payment" 2>"$DIR/payment.log" & pids+=($!); PID_ARGS+=(--pid "gateway=$!")
  "${PIN_REST[@]}" "$bin/baedal-api" 2>"$DIR/api.log" & pids+=($!); PID_ARGS+=(--pid "api=$!")
  for policy in $POLICIES; do
    BAEDAL_CONSUMER="bench-$policy" "${PIN_REST[@]}" "$bin/baedal-worker" "$policy" 2>"$DIR/worker-$policy.log" & pids+=($!)
    PID_ARGS+=(--pid "$policy=$!")
  done
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$API_PORT/health/ready" >/dev/null 2>&1 && curl -fs "http://127.0.0.1:$PAY_PORT/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
  done
  sleep 1  # the workers' groups
}
stop_stack() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
  [ -n "$PORT" ] && { redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; }
  PORT=""
}
cleanup() {
  stop_stack
  [ -n "${PING_PORT:-}" ] && { redis-cli -p "$PING_PORT" shutdown nosave >/dev/null 2>&1 || true; }
  if [ -n "$OUT" ]; then cp "$RESULTS" "$OUT" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# The unit: an unpipelined PING's Redis CPU, on a Redis of the same binary, in this run.
ping_unit() {
  PING_PORT=$(free_port)
  "${PIN_REDIS[@]}" redis-server --port "$PING_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" --daemonize yes \
    --pidfile "$WORK/ping.pid" --logfile "$WORK/ping.log" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$PING_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  local before after idle0 idle1
  idle0=$(redis_cpu "$PING_PORT"); sleep 2; idle1=$(redis_cpu "$PING_PORT")
  BARE_IDLE=$(awk -v a="$idle1" -v b="$idle0" 'BEGIN { printf "%.0f", (a - b) * 1e6 / 2 }')
  before=$(redis_cpu "$PING_PORT")
  "${PIN_REST[@]}" redis-benchmark -p "$PING_PORT" -t ping_mbulk -n 200000 -c 50 -q >/dev/null 2>&1
  after=$(redis_cpu "$PING_PORT")
  redis-cli -p "$PING_PORT" shutdown nosave >/dev/null 2>&1 || true
  PING_PORT=""
  awk -v a="$after" -v b="$before" 'BEGIN { printf "%.3f", (a - b) * 1e6 / 200000 }'
}

run_one() {  # run_one BIN LABEL C
  local bin=$1 label=$2 c=$3 ping
  ping_unit >"$WORK/ping"
  ping=$(cat "$WORK/ping")
  echo "-- run: $label binaries ($bin), C=$c, PING = $ping µs of Redis CPU (redis-benchmark ping_mbulk, 200,000, 50 clients); a bare idle Redis: $BARE_IDLE µs/s"
  echo "result      kind=ping c=$c label=$label redis_us=$ping" >>"$RESULTS"
  start_stack "$bin"
  local monitor=""
  if [ -n "${COST_MONITOR:-}" ]; then redis-cli -p "$PORT" monitor >"$COST_MONITOR" & monitor=$!; fi
  local extra=()
  [ "${COST_SLOWLOG:-0}" = 1 ] && extra+=(--slowlog)
  [ "$READS" -gt 0 ] && extra+=(--reads "$READS")
  [ -n "${COST_RATE:-}" ] && extra+=(--rate "$COST_RATE")
  "${PIN_REST[@]}" "$BENCH" life "$API_PORT" -c "$c" --orders "$ORDERS" --mode "$MODE" --idle-seconds "$IDLE_SECONDS" --ping-us "$ping" \
    --label "$label" --baedalctl "$bin/baedalctl" "${PID_ARGS[@]}" "${extra[@]}" | tee -a "$RESULTS" | grep -v -E '^(result|process|command|slowlog) '
  [ -n "$monitor" ] && { kill "$monitor" 2>/dev/null || true; wait "$monitor" 2>/dev/null || true; }
  stop_stack
}

labels=(new)
[ -n "$OLD" ] && labels=(old new)
echo "== cost bench: $(nproc) cores, $(redis-server --version | awk '{print $3}'), release build, $ORDERS orders per phase, C in {$CONCURRENCY}, $RUNS run(s) each${OLD:+, old ($OLD) and new ($NEW) alternated}; policies: ${POLICIES:-none}$([ ${#PIN_REDIS[@]} -gt 0 ] && echo "; redis-server pinned to core ${PIN_REDIS[2]}, the rest to ${PIN_REST[2]}")"
for run in $(seq "$RUNS"); do
  for c in $CONCURRENCY; do
    for label in "${labels[@]}"; do
      if [ "$label" = old ]; then run_one "$OLD" old "$c"; else run_one "$NEW" new "$c"; fi
    done
  done
done

# Medians (and ranges) over the runs, per phase, C and binaries; old beside new with ratios.
echo
echo "== Redis CPU per order (median of $RUNS run(s), range; PINGs at each run's own PING; idle subtracted)"
awk -v labels="${labels[*]}" -v cs="$CONCURRENCY" '
  $1 == "result" {
    delete f; for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    key = f["kind"] SUBSEP f["c"] SUBSEP f["label"]
    if (f["kind"] == "ping") { n = ++pn[f["c"], f["label"]]; ping[f["c"], f["label"], n] = f["redis_us"]; next }
    n = ++cnt[key]; us[key, n] = f["redis_us"]; pg[key, n] = (f["ping_us"] > 0 ? f["redis_us"] / f["ping_us"] : 0)
    kinds[f["kind"]] = 1
  }
  $1 == "process" {
    delete f; for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    key = f["kind"] SUBSEP f["c"] SUBSEP f["label"] SUBSEP f["name"]
    n = ++pc[key]; pu[key, n] = f["us_per_order"]; names[f["name"]] = 1
  }
  function median(arr, key, n,   i, j, t, s) {
    for (i = 1; i <= n; i++) s[i] = arr[key, i]
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (s[j] + 0 < s[i] + 0) { t = s[i]; s[i] = s[j]; s[j] = t }
    lo = s[1]; hi = s[n]
    return (n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2)
  }
  END {
    nl = split(labels, L, " "); nc = split(cs, C, " ")
    split("idle life place read-order read-store-board read-rider-board", K, " ")
    printf "%-17s %3s", "phase", "C"
    for (l = 1; l <= nl; l++) printf "  | %-6s %8s %14s %6s %13s", L[l], "µs", "(range)", "PINGs", "per core /s"
    if (nl == 2) printf "  | new/old"
    printf "\n"
    for (k = 1; k <= 6; k++) {
      if (!(K[k] in kinds)) continue
      for (c = 1; c <= nc; c++) {
        printf "%-17s %3s", (K[k] == "idle" ? "idle (µs/s)" : (K[k] == "life" ? "whole life" : (K[k] == "place" ? "placement" : K[k]))), C[c]
        for (l = 1; l <= nl; l++) {
          key = K[k] SUBSEP C[c] SUBSEP L[l]
          if (!(key in cnt)) { printf "  | %-6s %8s %14s %6s %13s", L[l], "-", "", "", ""; continue }
          m[l] = median(us, key, cnt[key]); r = sprintf("(%.0f–%.0f)", lo, hi)
          p = median(pg, key, cnt[key])
          printf "  | %-6s %8.0f %14s %6s %13s", L[l], m[l], r, (p > 0 ? sprintf("%.0f", p) : "-"), (K[k] == "idle" ? "" : sprintf("%.0f", 1e6 / m[l]))
        }
        if (nl == 2 && m[1] > 0) printf "  | %.2f", m[2] / m[1]
        printf "\n"
      }
    }
    for (c = 1; c <= nc; c++) for (l = 1; l <= nl; l++) {
      key = C[c] SUBSEP L[l]
      if (key in pn) { for (i = 1; i <= pn[key]; i++) pk[key, i] = ping[C[c], L[l], i]; printf "PING (µs of Redis CPU), C=%s, %s: median %.2f (%d run(s))\n", C[c], L[l], median(pk, key, pn[key]), pn[key] }
    }
    print ""
    print "== CPU per order of each process (median, µs; /proc ticks of 10 ms, idle subtracted)"
    for (k = 1; k <= 3; k++) {
      if (!(K[k] in kinds) || K[k] == "idle") continue
      for (c = 1; c <= nc; c++) for (l = 1; l <= nl; l++) {
        line = ""
        for (name in names) {
          key = K[k] SUBSEP C[c] SUBSEP L[l] SUBSEP name
          if (key in pc) line = line sprintf("  %s %.0f", name, median(pu, key, pc[key]))
        }
        if (line != "") printf "%-11s C=%-3s %-4s%s\n", (K[k] == "life" ? "whole life" : "placement"), C[c], L[l], line
      }
    }
  }' "$RESULTS"
