#!/usr/bin/env bash
# `make bench`, TLS part (issue 23): the price of TLS to Redis. One redis-server serves both a
# clear-text port and a TLS port (its certificate from a CA made here with the openssl command,
# clients' certificates required); the whole stack (baedal-api, baedal-payment with latency 0,
# one of each worker) runs on redis:// and on rediss:// alternately, TLS_RUNS times (3). Each
# run: wrk on POST /orders (orders/s, p50, p99; the workers then catch up, in that mode), then
# the projector draining a pre-filled stream (events/s). Medians per mode and their ratio to
# clear text, and Redis's CPU per order. Figures are printed, never asserted. BENCH_BIN picks
# the binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BENCH_BIN:-$PWD/.build/release}"
PY="$PWD/.build/venv/bin/python"
SECONDS_PER_RUN="${TLS_SECONDS:-10}"
RUNS="${TLS_RUNS:-3}"
EVENTS="${TLS_EVENTS:-100000}"
CONNECTIONS="${TLS_CONNECTIONS:-50}"
export BAEDAL_PAYMENT_LATENCY_MS=0
STACK_API=0 . scripts/bench-stack.sh tls
kill -TERM "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; pids=()  # started per mode below

# A CA, the server's certificate for 127.0.0.1, a client certificate; the TLS port beside the clear one.
ssl() { openssl "$@" >/dev/null 2>&1; }
for name in ca server client; do ssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DIR/$name.key"; done
ssl req -x509 -new -key "$DIR/ca.key" -subj "/CN=bench CA" -days 1 -out "$DIR/ca.crt" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
for pair in "server serverAuth IP:127.0.0.1" "client clientAuth DNS:bench"; do
  set -- $pair
  printf 'subjectAltName=%s\nextendedKeyUsage=%s\n' "$3" "$2" >"$DIR/$1.ext"
  ssl req -new -key "$DIR/$1.key" -subj "/CN=$1" -out "$DIR/$1.csr"
  ssl x509 -req -in "$DIR/$1.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial -days 1 -extfile "$DIR/$1.ext" -out "$DIR/$1.crt"
done
TLS_PORT=$(free_port)
redis-cli -p "$PORT" config set tls-cert-file "$DIR/server.crt" >/dev/null
redis-cli -p "$PORT" config set tls-key-file "$DIR/server.key" >/dev/null
redis-cli -p "$PORT" config set tls-ca-cert-file "$DIR/ca.crt" >/dev/null
redis-cli -p "$PORT" config set tls-auth-clients yes >/dev/null
redis-cli -p "$PORT" config set tls-port "$TLS_PORT" >/dev/null

TOKEN=$("$BIN/baedalctl" token --role customer --sub bench-tls)
order_lua "$TOKEN"
cpu() { redis-cli -p "$PORT" info cpu | awk -F: '/used_cpu_(user|sys):/ {s += $2} END {printf "%.6f", s}'; }
orders() { redis-cli -p "$PORT" xlen baedal:events:order; }

# The drain's stream, filled once (its own prefix: the stack's streams stay apart).
BAEDAL_PREFIX=tlsbench "$BIN/baedal-bench" fill "$EVENTS" >/dev/null

mode_env() {  # the Redis settings of a mode
  case "$1" in
    redis) echo "BAEDAL_REDIS_URL=redis://127.0.0.1:$PORT" ;;
    rediss) echo "BAEDAL_REDIS_URL=rediss://127.0.0.1:$TLS_PORT BAEDAL_REDIS_TLS_CA=$DIR/ca.crt BAEDAL_REDIS_TLS_CERT=$DIR/client.crt BAEDAL_REDIS_TLS_KEY=$DIR/client.key" ;;
  esac
}
start_stack() { start_whole_stack "$(mode_env "$1")"; }
stop_stack() {
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

echo "== TLS bench: $(nproc) cores, $(redis-server --version | awk '{print $3}'), release build, whole stack, wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s on POST /orders, then the projector draining $EVENTS events; redis:// and rediss:// (P-256 certificates, client certificates required) alternated, $RUNS runs"
results="$DIR/results.txt"
for run in $(seq "$RUNS"); do
  for mode in redis rediss; do
    start_stack "$mode"
    cpu0=$(cpu); n0=$(orders)
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s "$DIR/order.lua" "http://127.0.0.1:$API_PORT/orders" >"$DIR/wrk.txt"
    rps=$(grep 'Requests/sec' "$DIR/wrk.txt" | awk '{print $2}')
    p50=$(ms "$(grep -E '^ +50%' "$DIR/wrk.txt" | awk '{print $2}')"); p99=$(ms "$(grep -E '^ +99%' "$DIR/wrk.txt" | awk '{print $2}')")
    errors=$(grep -E 'Non-2xx' "$DIR/wrk.txt" | awk '{print $NF}' || true)
    caught_up
    per_order=$(awk -v a="$cpu0" -v b="$(cpu)" -v n0="$n0" -v n1="$(orders)" 'BEGIN { n = n1 - n0; printf "%.0f", (n > 0 ? (b - a) * 1e6 / n : 0) }')
    stop_stack
    drained=$(env $(mode_env "$mode") BAEDAL_PREFIX=tlsbench "$BIN/baedal-bench" drain 1 "$BIN/baedal-worker")
    drain=$(echo "$drained" | sed -E 's/.*= ([0-9]+) events\/s.*/\1/')
    echo "$mode $rps $p50 $p99 $drain $per_order ${errors:-0}" >>"$results"
    printf '  run %d %-6s POST /orders %8.0f/s p50 %6.2f ms p99 %7.2f ms%s; Redis CPU %5d µs per order (with its handling); projector drain %7d events/s\n' \
      "$run" "$mode" "$rps" "$p50" "$p99" "${errors:+ ($errors non-2xx)}" "$per_order" "$drain"
  done
done
awk '
  function median(list,   n, a, i, j, t) { n = split(list, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }; return a[int((n + 1) / 2)] }
  { rps[$1] = rps[$1] " " $2; p99[$1] = p99[$1] " " $4; drain[$1] = drain[$1] " " $5; cpu[$1] = cpu[$1] " " $6 }
  END {
    split("redis rediss", modes, " ")
    for (m = 1; m <= 2; m++) { k = modes[m]; r[k] = median(rps[k]); p[k] = median(p99[k]); d[k] = median(drain[k]); c[k] = median(cpu[k]) }
    for (m = 1; m <= 2; m++) { k = modes[m]
      printf "median %-6s POST /orders %8.0f/s (%.2f of redis://), p99 %7.2f ms (%.2f); Redis CPU %5d µs per order (%.2f); drain %7d events/s (%.2f)\n", \
        k, r[k], r[k] / r["redis"], p[k], p[k] / p["redis"], c[k], c[k] / c["redis"], d[k], d[k] / d["redis"] }
  }' "$results"
