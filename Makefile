# 人社政策咨询机器人 — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
PYTHON_BOT ?= $(shell ls -d /root/.pyenv/versions/3.10.*/bin/python3.10 2>/dev/null | tail -n 1 || command -v python3.10)
ifeq ($(strip $(PYTHON_BOT)),)
PYTHON_BOT := $(shell command -v python3.10)
endif
UV_VERSION := 0.5.11
VENV := .venv
VENV_BOT := .venv-bot
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
export PYTHONPATH := $(CURDIR)
export SHARED_DATA_DIR ?= $(abspath $(CURDIR)/../shared/data)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2

CORPUS ?= kb
BACKEND ?= embedded
NLU ?= bot/tests/nlu_heldout.yml

.PHONY: help run test env index model kb-check eval-retrieval eval-intents bench lint lock test-python test-bot test-e2e system-deps clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/app.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) pip sync --quiet --python $(PY) requirements/app.lock
	touch $@

$(VENV_BOT)/.installed: requirements/bot.lock $(VENV)/.installed
	@test -n "$(PYTHON_BOT)" || { echo "Python 3.10 is required for Rasa 3.6 (set PYTHON_BOT=/path/to/python3.10)"; exit 1; }
	$(UV) venv --quiet --python $(PYTHON_BOT) $(VENV_BOT)
	$(UV) pip sync --quiet --python $(VENV_BOT)/bin/python requirements/bot.lock
	touch $@

env: $(VENV)/.installed $(VENV_BOT)/.installed ## Create both virtual environments from the lock files

index: env ## Build the search index of the knowledge base (only when its content changed)
	$(PY) -m search.build --corpus kb --if-changed

model: env ## Train the Rasa model (only when its training data changed)
	$(PY) scripts/model.py

run: env index ## Start the whole bot at http://127.0.0.1:$${GATEWAY_PORT:-8000} (Ctrl-C stops it)
	@model=$$($(PY) scripts/model.py) && $(PY) scripts/stack.py --model "$$model"

kb-check: env ## Validate the knowledge base; last line is the JSON summary
	@$(PY) -m knowledge_base.check

eval-retrieval: env ## Contract 4: QUERIES=file [CORPUS=kb|national] [BACKEND=embedded|elasticsearch]
	@$(PY) -m search.eval --queries "$(QUERIES)" --corpus $(CORPUS) --backend $(BACKEND)

eval-intents: env ## Contract 5: NLU=file (Rasa NLU YAML); last line is the JSON summary
	@model=$$($(PY) scripts/model.py) && $(PY) scripts/eval_intents.py --nlu "$(NLU)" --model "$$model"

bench: env index ## Run the benchmarks (results and machine in bench/README.md)
	$(PY) bench/run.py
	$(PY) bench/chat_latency.py
	@if [ -f bench/wechat_callback.py ]; then $(PY) bench/wechat_callback.py; fi
	@if [ -f bench/nlu_bench.py ]; then $(VENV_BOT)/bin/python bench/nlu_bench.py; fi

lint: env ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy knowledge_base search gateway scripts

system-deps: ## Install Debian packages the tests need (chromium, postgresql) when missing
	@scripts/system_deps.sh

test: env system-deps index ## Run every test (pytest incl. Elasticsearch and browser, Rasa validate/test, end-to-end)
	@$(PY) -m knowledge_base.check | tail -n 1
	$(VENV_BOT)/bin/rasa data validate --fail-on-warnings --config bot/config.yml --domain bot/domain.yml --data bot/data
	@model=$$($(PY) scripts/model.py) && \
	  $(VENV_BOT)/bin/rasa test core --model "$$model" --stories bot/tests/test_stories.yml --fail-on-prediction-errors --e2e --out var/results/core
	$(VENV_BOT)/bin/python -m pytest tests/actions -p no:cacheprovider
	RASA_MODEL=$$($(PY) scripts/model.py) $(PY) -m pytest tests --ignore=tests/actions

lock: ## Re-resolve the lock files from requirements/*.in
	$(UV) pip compile --quiet requirements/app.in --python-version 3.11 -o requirements/app.lock
	$(UV) pip compile --quiet requirements/bot.in --python-version 3.10 -o requirements/bot.lock

clean: ## Remove indexes, models and logs (keeps the environments)
	rm -rf var models
