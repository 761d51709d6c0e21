#!/usr/bin/env bash
# `make bench`, tracing part (issue 22): the price of traces. The whole stack (baedal-api,
# baedal-payment with latency 0, one of each worker) on one Redis, in three modes alternated
# TRACE_RUNS times (3): tracing off (no OTEL_* variable), every trace exported
# (OTEL_EXPORTER_OTLP_ENDPOINT to a local OTLP receiver, parentbased_always_on) and 1% of traces
# (parentbased_traceidratio 0.01). Each run: wrk on POST /orders (orders/s, p50, p99; the workers
# then catch up, still in that mode), then the
# projector draining a pre-filled stream (events/s; its entries carry no traceparent, so each
# consumer span is a root sampled by the ratio). Medians per mode and their ratio to "off";
# the kB of spans the receiver got. Figures are printed, never asserted. BENCH_BIN picks the binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BENCH_BIN:-$PWD/.build/release}"
PY="$PWD/.build/venv/bin/python"
SECONDS_PER_RUN="${TRACE_SECONDS:-10}"
RUNS="${TRACE_RUNS:-3}"
EVENTS="${TRACE_EVENTS:-100000}"
CONNECTIONS="${TRACE_CONNECTIONS:-50}"
export BAEDAL_PAYMENT_LATENCY_MS=0
STACK_API=0 . scripts/bench-stack.sh tracing
kill -TERM "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; pids=()  # started per mode below

: >"$DIR/spans.jsonl"
"$PY" Tests/otlp/receiver.py "$DIR/spans.jsonl" --count >"$DIR/receiver.port" 2>"$DIR/receiver.log" & pids+=($!)
for _ in $(seq 100); do [ -s "$DIR/receiver.port" ] && break; sleep 0.1; done
OTLP="http://127.0.0.1:$(head -1 "$DIR/receiver.port")"
# What the receiver got: kB of OTLP protobuf (it decodes nothing, so as not to take the CPU it measures).
spans() { awk -F'[:}]' '{s += $2} END {printf "%d", s / 1024}' "$DIR/spans.jsonl"; }

TOKEN=$("$BIN/baedalctl" token --role customer --sub bench-tracing)
order_lua "$TOKEN"

# The drain's stream, filled once (its own prefix: the stack's streams stay apart).
BAEDAL_PREFIX=tracebench "$BIN/baedal-bench" fill "$EVENTS" >/dev/null

mode_env() {  # the OTEL_* variables of a mode
  case "$1" in
    off) ;;
    all) echo "OTEL_EXPORTER_OTLP_ENDPOINT=$OTLP OTEL_TRACES_SAMPLER=parentbased_always_on" ;;
    1pct) echo "OTEL_EXPORTER_OTLP_ENDPOINT=$OTLP OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.01" ;;
  esac
}
start_stack() { start_whole_stack "$(mode_env "$1")"; }
stop_stack() {  # every process but the receiver (the first pid)
  kill -TERM "${pids[@]:1}" 2>/dev/null || true
  for pid in "${pids[@]:1}"; do wait "$pid" 2>/dev/null || true; done
  pids=("${pids[0]}")
}

echo "== tracing bench: $(nproc) cores, release build, whole stack, wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s on POST /orders, then the projector draining $EVENTS events; modes alternated, $RUNS runs"
results="$DIR/results.txt"
for run in $(seq "$RUNS"); do
  for mode in off all 1pct; do
    before=$(spans)
    start_stack "$mode"
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s "$DIR/order.lua" "http://127.0.0.1:$API_PORT/orders" >"$DIR/wrk.txt"
    rps=$(grep 'Requests/sec' "$DIR/wrk.txt" | awk '{print $2}')
    p50=$(ms "$(grep -E '^ +50%' "$DIR/wrk.txt" | awk '{print $2}')"); p99=$(ms "$(grep -E '^ +99%' "$DIR/wrk.txt" | awk '{print $2}')")
    errors=$(grep -E 'Non-2xx' "$DIR/wrk.txt" | awk '{print $NF}' || true)
    caught_up  # the workers handle what the run wrote in the run's mode, not the next one's
    stop_stack
    drained=$(env $(mode_env "$mode") BAEDAL_PREFIX=tracebench "$BIN/baedal-bench" drain 1 "$BIN/baedal-worker")
    drain=$(echo "$drained" | sed -E 's/.*= ([0-9]+) events\/s.*/\1/')
    sleep 1
    echo "$mode $rps $p50 $p99 $drain $(( $(spans) - before )) ${errors:-0}" >>"$results"
    printf '  run %d %-5s POST /orders %8.0f/s p50 %6.2f ms p99 %7.2f ms%s; projector drain %7d events/s; spans received %d kB\n' \
      "$run" "$mode" "$rps" "$p50" "$p99" "${errors:+ ($errors non-2xx)}" "$drain" "$(( $(spans) - before ))"
  done
done
awk '
  function median(list,   n, a, i, j, t) { n = split(list, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }; return a[int((n + 1) / 2)] }
  { rps[$1] = rps[$1] " " $2; p99[$1] = p99[$1] " " $4; drain[$1] = drain[$1] " " $5; spans[$1] += $6 }
  END {
    split("off all 1pct", modes, " ")
    for (m = 1; m <= 3; m++) { k = modes[m]; r[k] = median(rps[k]); p[k] = median(p99[k]); d[k] = median(drain[k]) }
    for (m = 1; m <= 3; m++) { k = modes[m]
      printf "median %-5s POST /orders %8.0f/s (%.2f of off), p99 %7.2f ms (%.2f of off); drain %7d events/s (%.2f of off); spans received %d kB\n", \
        k, r[k], r[k] / r["off"], p[k], p[k] / p["off"], d[k], d[k] / d["off"], spans[k] }
  }' "$results"
