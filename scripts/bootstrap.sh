#!/usr/bin/env bash
# Installs what gridgov needs from the system's package manager when it is missing
# (Debian/Ubuntu): Python venv support, Node.js + npm for the front-end assets, and, with
# --browser, Chromium for the browser tests. Everything else comes from PyPI and npm.
set -euo pipefail

need=()
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
if [ "${1:-}" = "--browser" ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  # Chinese glyphs for screenshots of pages (tests do not depend on them).
  fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || need+=(fonts-wqy-microhei)
fi
[ ${#need[@]} -eq 0 ] && exit 0

echo "gridgov set-up: installing system packages: ${need[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Please install: ${need[*]} (no apt-get on this machine)" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
