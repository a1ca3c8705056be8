#!/usr/bin/env bash
# Creates .venv at the repository root and installs every package of the
# repository (editable) with the pinned versions of constraints.txt.
# Fast when nothing changed: a stamp records what was installed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Python 3.11 ou plus est nécessaire (trouvé : $("$PYTHON" --version 2>&1))." >&2
  exit 1
fi

PACKAGES="schemas runtime cli services/registry services/meetings services/notifications web examples/open_data_agenda"
stamp_input=$(cat constraints.txt requirements-dev.txt $(for p in $PACKAGES; do echo "$p/pyproject.toml"; done) | sha256sum | cut -c1-16)
if [ -f .venv/.installed ] && [ "$(cat .venv/.installed)" = "$stamp_input" ]; then
  exit 0
fi

if [ ! -x .venv/bin/python ]; then
  echo "Création de l'environnement Python .venv…" >&2
  "$PYTHON" -m venv .venv
fi
editable=()
for p in $PACKAGES; do editable+=(-e "$p"); done
echo "Installation des dépendances (versions figées dans constraints.txt)…" >&2
log=$(mktemp)
if ! { .venv/bin/python -m pip install -q --upgrade "pip>=24" &&
       .venv/bin/python -m pip install -q -c constraints.txt -r requirements-dev.txt "${editable[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "L'installation a échoué (voir ci-dessus)." >&2
  exit 1
fi
rm -f "$log"
echo "$stamp_input" > .venv/.installed
