#!/usr/bin/env bash
# Installs what gridgov needs from the system's package manager when it is missing
# (Debian/Ubuntu): Python venv support, Node.js + npm for the front-end assets, a Chinese TrueType
# font for the generated PDF reports, and, with --browser, Chromium for the browser tests and poppler's
# pdftotext/pdftoppm for the tests that read those PDFs. Everything else comes from PyPI and npm.
set -euo pipefail

need=()
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
# The CJK font the PDF reports embed (gridgov/dashboards/pdf.py; GRIDGOV_PDF_FONT names another one),
# also the Chinese glyphs of the browser's screenshots.
fc-list 2>/dev/null | grep -qi "wenquanyi" || need+=(fonts-wqy-microhei)
if [ "${1:-}" = "--browser" ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  # pdftotext and pdftoppm: the report tests turn the PDFs into text and images.
  command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
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
