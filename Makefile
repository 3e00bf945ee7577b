# The two commands a newcomer needs: `make dev` and `make test`. The rest are their parts.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Builds live outside the clone so a fresh clone (CI) reuses them.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/cinema/target
BIN := $(CARGO_TARGET_DIR)/debug
CLOUD := scripts/local-cloud.sh
# Every recipe that talks to the local cloud reads the same settings: config/local.env for the
# no-Docker stack, ENV_FILE=config/compose.env for docker-compose.yml's.
export ENV_FILE ?= config/local.env
WITH_ENV := set -a && source $(ENV_FILE) && set +a &&
TOOLS := $${CINEMA_TOOLS_DIR:-.local/tools}

.PHONY: help dev test unit up down install build migrate provision lint check-deploy-files fuzz lambda invoke openapi

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

dev: up build ## Bring up the local cloud, migrate, and serve the API on http://127.0.0.1:3000 (Ctrl-C stops all)
	@trap '$(CLOUD) down' EXIT; \
	$(WITH_ENV) $(BIN)/cinema migrate && $(BIN)/cinema provision && $(BIN)/cinema seed-demo && \
	LOG_FORMAT=pretty $(BIN)/cinema-gateway

test: up build ## Bring up what the tests need, run every test, then the fmt, clippy and deploy-file checks and the fuzz
	$(WITH_ENV) $(BIN)/cinema provision
	@if cargo nextest --version >/dev/null 2>&1; then \
		echo "$(WITH_ENV) cargo nextest run --workspace --no-fail-fast"; \
		$(WITH_ENV) cargo nextest run --workspace --no-fail-fast; \
	else \
		echo "$(WITH_ENV) cargo test --workspace --no-fail-fast"; \
		$(WITH_ENV) cargo test --workspace --no-fail-fast; \
	fi
	$(MAKE) --no-print-directory lint check-deploy-files fuzz

unit: ## Only the unit tests: no servers, no settings, seconds after a build
	@if cargo nextest --version >/dev/null 2>&1; then \
		cargo nextest run --workspace --lib --bins; \
	else \
		cargo test --workspace --lib --bins; \
	fi

install: ## Install the local cloud's servers (idempotent)
	$(CLOUD) install

up: ## Start the local cloud (installs what is missing)
	$(CLOUD) up

down: ## Stop what `make up` started
	$(CLOUD) down

build: ## Build every binary
	cargo build --workspace --bins

migrate: build ## Apply migrations to the local database
	$(WITH_ENV) $(BIN)/cinema migrate

lint: ## cargo fmt --check and clippy with warnings denied
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings

fuzz: up build ## Fuzz a gateway of its own over a fresh database with schemathesis (every check; fails on any finding)
	scripts/fuzz/run.sh

check-deploy-files: install build ## Validate docker-compose.yml and its settings, the SAM template (cfn-lint, sam validate --lint) and the OpenAPI document
	@command -v docker-compose >/dev/null || $(CLOUD) install-compose
	docker-compose -f docker-compose.yml config -q
	scripts/check-compose-env.sh
	$(TOOLS)/venv/bin/cfn-lint template.yaml
	SAM_CLI_TELEMETRY=0 $(TOOLS)/lambda-venv/bin/sam validate --lint --region us-east-1 -t template.yaml
	$(BIN)/cinema openapi > $(CARGO_TARGET_DIR)/openapi.json
	$(TOOLS)/venv/bin/python scripts/check-openapi.py $(CARGO_TARGET_DIR)/openapi.json

lambda: ## Build every function for Lambda (arm64 zips in $CARGO_TARGET_DIR/lambda) and report their sizes
	scripts/lambda.sh build

invoke: up build ## Serve the debug functions behind `cargo lambda watch` and send each fixture in events/
	$(WITH_ENV) $(BIN)/cinema migrate && $(BIN)/cinema provision && $(BIN)/cinema seed-demo >/dev/null && scripts/lambda.sh invoke

openapi: build ## Regenerate the API description the platform function serves (functions/platform/openapi.json)
	$(BIN)/cinema openapi > functions/platform/openapi.json
