# The one entry point for humans and CI. `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export WEGWIJS_DATA_DIR ?= $(CURDIR)/var

.PHONY: install system-packages run serve ingest test test-fast lint format typecheck bench eval eval-guard eval-cards train-guards train-cards corpus-check deploy-check clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -c requirements.lock -e ".[dev]"
	$(BIN)/python -m wegwijs.model_install
	$(BIN)/python -m guardrails.pii.warmup
	touch $(STAMP)

# Debian packages the tests need (the browser tests drive Debian's Chromium: never a browser
# download; the store tests start their own PostgreSQL from Debian's server binaries, which
# live under /usr/lib/postgresql/<version>/bin). Installed only when missing, with sudo when
# not root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PG_INITDB := /usr/lib/postgresql/*/bin/initdb
system-packages:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "make: installing Debian's chromium (browser tests)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	@compgen -G "$(PG_INITDB)" >/dev/null || command -v initdb >/dev/null 2>&1 || { \
		echo "make: installing Debian's postgresql (store tests on a real server)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql >/dev/null; }

run: install
	$(BIN)/wegwijs ingest
	$(BIN)/wegwijs serve

serve: install
	$(BIN)/wegwijs serve

ingest: install
	$(BIN)/wegwijs ingest

corpus-check: install
	$(BIN)/wegwijs corpus check

# The deploy files, offline (no Docker, no cluster): YAML parses, compose.yaml against the
# Compose Specification schema, every Kubernetes manifest (base, overlays, vLLM) against the
# Kubernetes 1.37 schemas, images pinned, settings set, probes on served paths. `make test` runs
# the same file.
deploy-check: install
	$(BIN)/pytest -q tests/test_deploy.py

test: install system-packages
	$(BIN)/pytest -q

test-fast: install
	$(BIN)/pytest -q -m "not llm and not browser"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=$(CURDIR) $(BIN)/lint-imports   # the import contracts in .importlinter

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install
	$(BIN)/mypy wegwijs ingest assistant guardrails ui eval

bench: install
	$(BIN)/wegwijs bench ingest --json
	$(BIN)/wegwijs bench retrieval --json
	$(BIN)/wegwijs bench guard --json

eval: install
	$(BIN)/wegwijs eval run $(addprefix --dataset ,$(wildcard eval/datasets/*.jsonl)) --out var/eval
	$(BIN)/wegwijs eval compare eval/baseline var/eval

# Rebuild guardrails/classifier/weights.json from guardrails/classifier/data (deterministic).
train-guards: install
	$(BIN)/python -m guardrails.classifier.train

# The card scorer (assistant/data/card_scorer.json) from the labelled training messages.
train-cards: install
	$(BIN)/python -m assistant.train_cards

# Card matching on the frozen held-out messages (eval/blind): exit 1 below the targets.
eval-cards: install
	$(BIN)/wegwijs eval cards

# The guardrails on the frozen blind set (eval/blind): exit 1 below the safety targets.
eval-guard: install
	$(BIN)/wegwijs eval guard

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
