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
# The tests' Python (schema validation, the example consumer) lives in a virtual environment.
PYTHON=$(command -v /usr/bin/python3 || command -v python3 || true)
if [ -z "$PYTHON" ]; then need+=(python3 python3-venv)
elif ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then need+=(python3-venv); fi

# Creates or updates .build/venv from scripts/python-requirements.txt (only when the list changed).
python_venv() {
  local venv=.build/venv requirements=scripts/python-requirements.txt
  PYTHON=$(command -v /usr/bin/python3 || command -v python3)
  if [ -x "$venv/bin/python" ] && cmp -s "$requirements" "$venv/requirements.installed"; then return 0; fi
  echo "python: installing $(grep -v '^#' "$requirements" | tr '\n' ' ')into $venv"
  mkdir -p .build
  "$PYTHON" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.installed"
}

if [ ${#need[@]} -eq 0 ]; then python_venv; exit 0; fi

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
python_venv
