# Everyday commands. `make help` lists them.
.PHONY: help setup up test lint types kafka-start kafka-stop postgres-start postgres-stop generate

help:  ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup:  ## Create .venv and install every package (pinned versions)
	@bash scripts/setup.sh

up: setup  ## Run the whole platform with the Plaine Commune demo (Kafka started for you)
	@.venv/bin/conseils up

test:  ## Set up, start Kafka and PostgreSQL, run lint, types and every test
	@bash scripts/test.sh

lint: setup  ## ruff lint and format check
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

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
