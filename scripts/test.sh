#!/usr/bin/env bash
# Sets up everything and runs every check: lint, types, contracts, the whole test suite
# on a real Kafka broker and a real PostgreSQL server (both started here unless
# KAFKA_BOOTSTRAP_SERVERS / CONSEILS_TEST_POSTGRES_URL are already set).
# Extra arguments go to pytest, e.g. `scripts/test.sh tests/runtime -x`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# The static checks (about a minute on a fresh clone, mypy without its cache) run beside the
# start of Kafka, PostgreSQL and the suite, which mostly wait on those servers; their result is
# read after the tests, and either failing fails the run.
mkdir -p test-artifacts
step "ruff, mypy (strict) et import-linter : lancés en parallèle (résultat après les tests)"
(
  set -e
  echo "==> ruff (lint et format)"
  .venv/bin/ruff check .
  .venv/bin/ruff format --check .
  echo "==> mypy (strict)"
  .venv/bin/mypy schemas/conseils_schemas runtime/conseils_runtime cli/conseils_cli \
    services/registry/conseils_registry services/meetings/conseils_meetings \
    services/notifications/conseils_notifications web/conseils_web examples/open_data_agenda/open_data_agenda.py
  echo "==> graphe des paquets (import-linter : domaine sans framework, services indépendants)"
  .venv/bin/lint-imports
) > test-artifacts/static-checks.log 2>&1 &
checks_pid=$!

started_kafka=""
started_postgres=""
cleanup() {
  status=$?
  if kill -0 "$checks_pid" 2>/dev/null; then kill "$checks_pid" 2>/dev/null || true; fi
  if [ -n "$started_kafka" ]; then .venv/bin/conseils kafka stop --state-dir .var/kafka-test >/dev/null 2>&1 || true; fi
  if [ -n "$started_postgres" ]; then bash scripts/postgres.sh stop || true; fi
  exit $status
}
trap cleanup EXIT

if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
  step "Kafka : démarrage d'un broker local"
  KAFKA_BOOTSTRAP_SERVERS=$(.venv/bin/conseils kafka start --state-dir .var/kafka-test | tail -n 1)
  started_kafka=1
fi
export KAFKA_BOOTSTRAP_SERVERS
echo "KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS"

if [ -z "${CONSEILS_TEST_POSTGRES_URL:-}" ]; then
  step "PostgreSQL : démarrage d'un serveur local"
  bash scripts/postgres.sh running || started_postgres=1  # stop at the end only what we started
  CONSEILS_TEST_POSTGRES_URL=$(bash scripts/postgres.sh start | tail -n 1)
fi
export CONSEILS_TEST_POSTGRES_URL
echo "CONSEILS_TEST_POSTGRES_URL=$CONSEILS_TEST_POSTGRES_URL"

step "Chromium (tests dans un vrai navigateur)"
bash scripts/chromium.sh

step "Kannel (passerelle SMS, SMSC factice pour les tests)"
CONSEILS_KANNEL_BIN=$(bash scripts/kannel.sh | tail -n 1)
export CONSEILS_KANNEL_BIN

step "Parseur AsyncAPI officiel (Node.js, tools/asyncapi-check)"
if [ ! -d tools/asyncapi-check/node_modules/@asyncapi/parser ]; then
  npm ci --prefix tools/asyncapi-check --no-audit --no-fund --loglevel=error
fi

step "ical.js de Mozilla (second lecteur iCalendar, tools/ical-check)"
if [ ! -d tools/ical-check/node_modules/ical.js ]; then
  npm ci --prefix tools/ical-check --no-audit --no-fund --loglevel=error
fi
export CONSEILS_CHROMIUM=/usr/bin/chromium

step "contrats d'événements et documents générés à jour"
.venv/bin/python -m conseils_schemas.export --check
.venv/bin/python -m conseils_schemas.catalogue --check
.venv/bin/python -m conseils_cli.contracts --check

# Two pytest processes (pytest-xdist), a test file each at a time: the suite mostly waits on the
# servers (Kafka, PostgreSQL, SMTP, Chromium), so two halve its time on two cores. Every test makes
# its own territory, database and ports; each process starts its own secured broker.
# CONSEILS_TEST_WORKERS=0 runs it in this process, one test after the other.
workers="${CONSEILS_TEST_WORKERS:-2}"
parallel=()
if [ "$workers" != "0" ]; then parallel=(-n "$workers" --dist loadfile); fi
step "pytest (Kafka et PostgreSQL réels ; ${workers:-0} processus)"
tests_status=0
.venv/bin/pytest "${parallel[@]}" --junitxml=test-artifacts/junit.xml --durations=15 "$@" || tests_status=$?

step "ruff, mypy et import-linter (lancés au début)"
checks_status=0
wait "$checks_pid" || checks_status=$?
cat test-artifacts/static-checks.log
if [ "$checks_status" -ne 0 ]; then echo "Vérifications statiques en échec (code $checks_status)." >&2; fi
if [ "$tests_status" -ne 0 ]; then echo "Tests en échec (code $tests_status)." >&2; fi
[ "$tests_status" -eq 0 ] && [ "$checks_status" -eq 0 ]
