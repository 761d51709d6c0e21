#!/usr/bin/env bash
# `make bench`, restarts: POST /orders from 8 clients (a new connection per request, its own
# Idempotency-Key each) while baedal-api is restarted three times, with its listening socket held
# and handed over as systemd does (LISTEN_FDS), then the same with each instance binding its own
# port; beside a quiet period (QUIET_SECONDS, default 60) of the same load. Figures are printed,
# never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/.build/release"
export BAEDAL_PAYMENT_LATENCY_MS=0 STACK_API=0
. scripts/bench-stack.sh restarts
export BENCH_TOKEN; BENCH_TOKEN=$("$BIN/baedalctl" token --role customer --sub bench-restarts)
echo "== restart bench: $(nproc) cores, release build, 8 clients, three restarts of baedal-api under load (training project's figure to beat: 63%)"
"$BIN/baedal-bench" restarts "$BIN/baedal-api"
