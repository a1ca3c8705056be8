#!/usr/bin/env bash
# Installs Debian's Kannel SMS gateway (bearerbox, smsbox, and the fake SMSC of kannel-extras)
# when it is missing, for the SMS tests and `conseils sms start`. Prints the directory of
# bearerbox on its last line (export it as CONSEILS_KANNEL_BIN).
#   bash scripts/kannel.sh
set -euo pipefail
BIN="${CONSEILS_KANNEL_BIN:-/usr/sbin}"
FAKESMSC="${CONSEILS_KANNEL_FAKESMSC:-/usr/lib/kannel/test/fakesmsc}"
if [ ! -x "$BIN/bearerbox" ] || [ ! -x "$BIN/smsbox" ] || [ ! -x "$FAKESMSC" ]; then
  echo "Kannel absent : installation depuis les paquets Debian…" >&2
  sudo=""
  [ "$(id -u)" = "0" ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends kannel kannel-extras >&2
  # The package's own gateway is not ours: tests start their own on free ports.
  if command -v systemctl >/dev/null 2>&1; then $sudo systemctl disable --now kannel >/dev/null 2>&1 || true; fi
fi
echo "$BIN"
