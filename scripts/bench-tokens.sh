#!/usr/bin/env bash
# `make bench`, identity part: the cost of verifying one bearer token the API has not seen yet,
# HS256 (the shared secret) against RS256, ES256 and EdDSA (an OpenID Connect provider's keys,
# fetched once and held), in one process and one run, rounds interleaved. Figures are printed,
# never asserted. Needs the release build (`make bench` makes it; BENCH_BIN picks another).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BENCH_BIN:-$PWD/.build/release}"
[ -x "$BIN/baedal-bench" ] || { echo "bench-tokens: $BIN/baedal-bench is missing: swift build -c release" >&2; exit 1; }
echo "== Token verification: $(nproc) cores, release build, cached keys, ${TOKEN_ROUNDS:-5} rounds of ${TOKEN_VERIFICATIONS:-2000} per algorithm"
"$BIN/baedal-bench" tokens "${TOKEN_ROUNDS:-5}" --verifications "${TOKEN_VERIFICATIONS:-2000}"
