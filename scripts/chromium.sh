#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing (no browser download by Playwright).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "Chromium absent : installation depuis les paquets Debian…" >&2
sudo=""
[ "$(id -u)" = "0" ] || sudo="sudo"
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
