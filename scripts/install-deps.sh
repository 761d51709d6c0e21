#!/usr/bin/env bash
# Installs what the build, `make run`, `make test` and `make bench` need and this machine lacks,
# through apt-get (Debian), and the tests' Python packages in the virtual environment .build/venv
# (never the system's Python). Quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
if ! pkg-config --exists hiredis 2>/dev/null; then need+=(libhiredis-dev); fi
# TLS to Redis (rediss://) on the blocking hiredis connection: OpenSSL; the tests make their CA with the openssl command.
if ! pkg-config --exists openssl 2>/dev/null; then need+=(libssl-dev); fi
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)           # make run: readiness checks, the printed examples
command -v wrk >/dev/null 2>&1 || need+=(wrk)             # make bench: HTTP load (redis-benchmark is in redis-tools)
# The console's tests and bench: headless Chromium through WebDriver, Korean glyphs for its screenshots.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
fc-list :lang=ko 2>/dev/null | grep -q . || need+=(fonts-nanum)
# A python3 that can make a virtual environment (Debian's needs python3-venv for it).
python=$(command -v /usr/bin/python3 || command -v python3 || true)
if [ -z "$python" ] || ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then need+=(python3 python3-venv); python=/usr/bin/python3; fi
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)  # baedal-autoscaler: children stop if it dies (--pdeathsig)
# make test: `promtool check rules` and `promtool test rules` on ops/prometheus (Debian ships promtool
# in the prometheus package; on a host run by systemd that package also enables a Prometheus server).
command -v promtool >/dev/null 2>&1 || need+=(prometheus)

if [ ${#need[@]} -gt 0 ]; then
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
fi

# The tests' Python (schemas, the example consumer, the browser tests): .build/venv, made or updated
# from scripts/python-requirements.txt only when that list changed.
venv=.build/venv
requirements=scripts/python-requirements.txt
if ! [ -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$venv/requirements.installed"; then
  echo "installing: $(grep -v '^#' "$requirements" | tr '\n' ' ')(pip, in $venv)"
  mkdir -p .build
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.installed"
fi
