# One-command entry points for newcomers: `make chat` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_VERSION := $(shell cat .python-version)
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
ACTIONS_PORT ?= 5055
MODEL := models/current.tar.gz
DEV_SET ?= ../shared/eval/dev_nlu.yml
HARD_SET ?= ../shared/eval/dev_nlu_hard.yml
# Floors of `make eval-nlu` on the hard development set: they only go up.
MIN_HARD ?= 0.95
MIN_HARD_LANGUAGE ?= 0.90
FACTS_SET ?= ../shared/eval/dev_facts.yml
# Floors of `make eval-answers` on the development set: they only go up.
MIN_ANSWERS ?= 0.92
MIN_ANSWERS_LANGUAGE ?= 0.80
MAX_MEDIAN_REPLY ?= 500
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2

# A Python $(PYTHON_VERSION) interpreter: pyenv's first, then python3.10 on PATH.
BASE_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/$(PYTHON_VERSION)/bin/python) \
                           $(shell command -v python3.10 2>/dev/null))

TRAINING_INPUTS := config.yml domain.yml $(shell find data -type f -name '*.yml') \
                   $(wildcard bot/nlu/*.py) bot/langid.py
# DEMO=1 (`make run DEMO=1`, `make chat DEMO=1`, `make console DEMO=1`): the whole loop on
# this computer, everything in demo/ (bot/console/demo.py): its own database and secrets,
# and a vetted demo partner that receives every report in the console.
DEMO_DIR := demo
ifdef DEMO
export BOT_DATABASE_URL := sqlite:///$(CURDIR)/$(DEMO_DIR)/reports.db
export BOT_SECRETS_DIR := $(CURDIR)/$(DEMO_DIR)/secrets
export BOT_PARTNERS_FILE := $(CURDIR)/$(DEMO_DIR)/partners.yml
export BOT_TRUST_FILE := $(CURDIR)/$(DEMO_DIR)/maintainers.yml
DEMO_READY := $(DEMO_DIR)/logins.txt
endif

PO_FILES := $(wildcard locales/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: help install catalogs train chat actions run test lint validate test-stories \
        eval-nlu eval-answers content-check bench clean telegram console run-cluster

help:
	@echo "make chat   - install, train if needed, and talk to the bot in this terminal"
	@echo "make test   - install if needed and run the whole test suite"
	@echo "make run    - serve the bot (REST and configured channels) on port 5005"
	@echo "make run-cluster REPLICAS=2 - several servers behind HAProxy, on PostgreSQL and Redis"
	@echo "make telegram - run a Telegram bot by long polling (needs BOT_TELEGRAM_TOKEN)"
	@echo "make bench  - benchmark against plain Rasa"
	@echo "make console - the review console for caseworkers on 127.0.0.1:8080 (BOT_CONSOLE_PORT)"
	@echo "make nlu-compare - compare intent classifiers (CV and dev sets, ~15 min)"

$(VENV)/.installed: pyproject.toml .python-version
	@if [ -z "$(BASE_PYTHON)" ]; then \
	  echo "error: Python $(PYTHON_VERSION) is needed (Rasa 3.6 does not install on 3.11+)." >&2; \
	  echo "       Install it with 'pyenv install $(PYTHON_VERSION)', or put python3.10 on PATH," >&2; \
	  echo "       or run 'make BASE_PYTHON=/path/to/python3.10 ...'." >&2; exit 1; fi
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
	  echo "Removing $(VENV): it was made with another Python version."; rm -rf $(VENV); fi
	@test -x $(PY) || $(BASE_PYTHON) -m venv $(VENV)
	@echo "==> Installing Rasa and the other Python packages into $(VENV) (about 1.5 GB:"
	@echo "    usually 3 to 5 minutes the first time, seconds afterwards; pip's output goes"
	@echo "    to $(VENV)/pip.log and is shown only if it fails)"
	@start=$$(date +%s); \
	  { $(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip && \
	    $(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]' && \
	    $(PY) -m pip check; } >$(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }; \
	  echo "    installed in $$(( $$(date +%s) - start )) s"
	@touch $@

install: $(VENV)/.installed

# Compiled gettext catalogs are build products: never edited, never committed.
%.mo: %.po $(VENV)/.installed
	@$(PY) -m bot i18n compile $<

catalogs: $(MO_FILES)

# Rasa retrains only when the training data, domain, config or our NLU component change.
$(MODEL): $(VENV)/.installed $(TRAINING_INPUTS)
	@echo "==> Training the model from data/ and config.yml (usually 1 to 2 minutes on 2 cores)"
	@start=$$(date +%s); \
	  $(RASA) train --fixed-model-name current --out models --quiet && \
	  echo "    trained in $$(( $$(date +%s) - start )) s: $(MODEL)"
	@touch $@

train: $(MODEL)

actions: install catalogs
	$(PY) -m bot action-server --port $(ACTIONS_PORT)

# Rasa's dependencies print pages of deprecation warnings that mean nothing to a user.
chat run telegram bench $(MODEL): export PYTHONWARNINGS := ignore

$(DEMO_DIR)/logins.txt: | $(VENV)/.installed
	@$(PY) -m bot console demo --dir $(DEMO_DIR)

chat: install catalogs train $(DEMO_READY)
	@$(PY) -m bot action-server --port $(ACTIONS_PORT) >.action-server.log 2>&1 & \
	  pid=$$!; trap "kill $$pid 2>/dev/null" EXIT; \
	  $(PY) -m bot wait-for http://127.0.0.1:$(ACTIONS_PORT)/health --timeout 120 && \
	  $(RASA) shell --model $(MODEL) --endpoints endpoints.yml

run: install catalogs train $(DEMO_READY)
	@$(PY) -m bot action-server --port $(ACTIONS_PORT) >.action-server.log 2>&1 & \
	  pid=$$!; trap "kill $$pid 2>/dev/null" EXIT; \
	  $(RASA) run --model $(MODEL) --endpoints endpoints.yml --credentials credentials.yml --port 5005

# Production mode on one machine: REPLICAS Rasa servers and action servers behind HAProxy
# on port 5005, on PostgreSQL and Redis (bot/cluster.py; README "Production mode").
REPLICAS ?= 2
run-cluster: install catalogs train
	$(PY) -m bot cluster --replicas $(REPLICAS)

# Telegram without a public URL: the server as in `make run`, plus a poller that passes
# updates from getUpdates to its webhook. The webhook secret is made up for the run.
ifneq ($(filter telegram,$(MAKECMDGOALS)),)
ifndef BOT_TELEGRAM_TOKEN
$(error make telegram needs a bot token from @BotFather: BOT_TELEGRAM_TOKEN=123:abc make telegram)
endif
endif

telegram: install catalogs train
	@export BOT_TELEGRAM_SECRET="$${BOT_TELEGRAM_SECRET:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(24))')}"; \
	  $(PY) -m bot action-server --port $(ACTIONS_PORT) >.action-server.log 2>&1 & \
	  actions=$$!; \
	  $(RASA) run --model $(MODEL) --endpoints endpoints.yml --credentials credentials.yml \
	    --port 5005 >.rasa-server.log 2>&1 & \
	  server=$$!; trap "kill $$actions $$server 2>/dev/null" EXIT; \
	  echo "Starting the bot (logs in .action-server.log and .rasa-server.log)..."; \
	  $(PY) -m bot wait-for http://127.0.0.1:5005/webhooks/telegram/ --timeout 300 && \
	  $(PY) -m bot telegram-poll

# The review console (bot/console/), beside the bot and on the same database. Add users
# with `python -m bot console add-user`. From another machine, only behind HTTPS.
BOT_CONSOLE_PORT ?= 8080
console: install catalogs $(DEMO_READY)
	@if [ -n "$(DEMO)" ]; then echo "Demo console logins: $(DEMO_DIR)/logins.txt"; fi
	$(PY) -m bot console serve --port $(BOT_CONSOLE_PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

validate: install
	$(RASA) data validate --fail-on-warnings --quiet

content-check: install catalogs
	$(PY) -m bot content check
	$(PY) -m bot i18n check

# Test stories: NLU and dialogue predictions together, every wrong step fails.
test-stories: train
	$(RASA) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors \
	  --out results/core --quiet

# Intent accuracy per language, with the commonest confusions, on both development sets
# (results/nlu-dev.json, results/nlu-hard.json). A wish to report must never be taken
# for a question about a report already made.
eval-nlu: train
	@if [ -f $(DEV_SET) ]; then $(PY) -m bot eval-nlu $(DEV_SET) --model $(MODEL) \
	   --out results/nlu-dev.json --min-overall 0.975 --min-language 0.90 \
	   --never report_abuse:check_report_status; \
	 else echo "eval-nlu: $(DEV_SET) not found, skipped"; fi
	@if [ -f $(HARD_SET) ]; then $(PY) -m bot eval-nlu $(HARD_SET) --model $(MODEL) \
	   --out results/nlu-hard.json --min-overall $(MIN_HARD) \
	   --min-language $(MIN_HARD_LANGUAGE) --never report_abuse:check_report_status; \
	 else echo "eval-nlu: $(HARD_SET) not found, skipped"; fi

# Intent classifiers compared by cross-validation on data/nlu and on both development sets,
# plus a small DIET trained once outside models/ (results/nlu-compare.json; README).
.PHONY: nlu-compare
nlu-compare: install
	$(PY) -m bot nlu-compare --folds 5 --hard $(HARD_SET) --clean $(DEV_SET) \
	  --out results/nlu-compare.json

# Fact questions through the trained bot over REST: pass rate per language and the
# median length of the first reply (results/answers.json).
eval-answers: install catalogs train
	@if [ -f $(FACTS_SET) ]; then $(PY) -m bot eval-answers $(FACTS_SET) \
	   --out results/answers.json --min-pass $(MIN_ANSWERS) \
	   --min-language $(MIN_ANSWERS_LANGUAGE) --max-median-chars $(MAX_MEDIAN_REPLY); \
	 else echo "eval-answers: $(FACTS_SET) not found, skipped"; fi

test: install catalogs lint content-check validate train test-stories
	$(PY) -m pytest
	@$(MAKE) --no-print-directory eval-nlu
	@$(MAKE) --no-print-directory eval-answers

# Ours against a plain `rasa init` bot, side by side, in under 10 minutes on 2 cores:
# results/bench.json (with the targets), results/bench.md and its plots (bot/bench/).
bench: install catalogs train
	$(PY) -m bot bench --out results/bench.json

clean:
	rm -rf models results $(DEMO_DIR) .pytest_cache .action-server.log .rasa-server.log $(MO_FILES)
