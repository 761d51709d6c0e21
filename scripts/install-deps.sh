#!/usr/bin/env bash
# Installs what the build, `make run`, `make test` and `make bench` need and this machine lacks,
# through apt-get (Debian). Quiet when everything is already there.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
if ! pkg-config --exists hiredis 2>/dev/null; then need+=(libhiredis-dev); fi
command -v curl >/dev/null 2>&1 || need+=(curl)           # make run: readiness checks, the printed examples
command -v wrk >/dev/null 2>&1 || need+=(wrk)             # make bench: HTTP load (redis-benchmark is in redis-tools)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)  # baedal-autoscaler: children stop if it dies (--pdeathsig)
[ ${#need[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing: ${need[*]} — install them with your package manager (this script knows apt-get only)" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "missing: ${need[*]} — run as root or install sudo" >&2; exit 1; }
  sudo="sudo"
fi
echo "installing: ${need[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "installed: ${need[*]}"
