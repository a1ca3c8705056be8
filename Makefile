# Everyday commands. `make help` lists them.
.PHONY: help setup up test unit lint types imports kafka-start kafka-stop postgres-start postgres-stop generate

help:  ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup:  ## Create .venv and install every package (pinned versions)
	@bash scripts/setup.sh

up: setup  ## Run the whole platform with the Plaine Commune demo (Kafka started for you); options: ARGS="--port 8080"
	@.venv/bin/conseils up $(ARGS)

test:  ## Set up, start Kafka and PostgreSQL, run lint, types and every test
	@bash scripts/test.sh

unit: setup  ## Fast tests: no Kafka, no PostgreSQL, no browser (tests that need one are deselected or skipped)
	@CONSEILS_UNIT=1 KAFKA_BOOTSTRAP_SERVERS= CONSEILS_TEST_POSTGRES_URL= CONSEILS_CHROMIUM= \
	  .venv/bin/pytest -q -p no:cacheprovider -m "not kafka and not e2e and not slow" -k "not postgresql" \
	  --ignore=tests/browser --ignore=tests/faults --ignore=tests/e2e

lint: setup  ## ruff lint and format check
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

types: setup  ## mypy (strict) on every package
	@.venv/bin/mypy schemas/conseils_schemas runtime/conseils_runtime cli/conseils_cli \
	  services/registry/conseils_registry services/meetings/conseils_meetings \
	  services/notifications/conseils_notifications web/conseils_web examples/open_data_agenda/open_data_agenda.py

imports: setup  ## The package graph's contracts (import-linter): framework-free domain, independent services
	@.venv/bin/lint-imports

kafka-start: setup  ## Start a local Kafka broker (prints its address)
	@.venv/bin/conseils kafka start

kafka-stop: setup  ## Stop the local Kafka broker
	@.venv/bin/conseils kafka stop

postgres-start:  ## Start a local PostgreSQL server (installs it from Debian if missing)
	@bash scripts/postgres.sh start

postgres-stop:  ## Stop the local PostgreSQL server
	@bash scripts/postgres.sh stop

generate: setup  ## Regenerate committed contracts: JSON Schemas, OpenAPI, AsyncAPI, event catalogue
	@.venv/bin/python -m conseils_schemas.export
	@.venv/bin/python -m conseils_cli.contracts
	@.venv/bin/python -m conseils_schemas.catalogue
