# Two commands: `make run` sets everything up and starts the assistant; `make test` sets up and tests.
# Every step is skipped when its inputs did not change.
SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON311 ?= python3.11
VENV := .venv
RASA_VENV := .venv-rasa
BOT_FILES := $(shell find bot/data bot/config.yml bot/domain.yml bot/components safety -type f -not -name '*.pyc' 2>/dev/null)
MODEL_STAMP := bot/models/.trained
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
# Rasa loads the project's own NLU component (bot/components) and the shared safety package.
RASA_PATH := PYTHONPATH=$(CURDIR):$(CURDIR)/bot

.PHONY: run test setup index train lint system-deps test-deps clean

run: setup
	$(VENV)/bin/trialbot run

setup: $(VENV)/.installed $(RASA_VENV)/.installed index $(MODEL_STAMP)

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON311) >/dev/null || { echo "Python 3.11 is needed: install python3.11 (with venv)"; exit 1; }
	$(PYTHON311) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet torch==2.13.0
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

$(RASA_VENV)/.installed: bot/requirements.txt scripts/find_python310.sh
	py310=$$(scripts/find_python310.sh) && $$py310 -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet --upgrade pip
	$(RASA_VENV)/bin/pip install --quiet -r bot/requirements.txt
	touch $@

index: $(VENV)/.installed
	$(VENV)/bin/trialbot index

$(MODEL_STAMP): $(RASA_VENV)/.installed $(BOT_FILES)
	cd bot && $(RASA_PATH) ../$(RASA_VENV)/bin/rasa data validate --fail-on-warnings --quiet
	cd bot && $(RASA_PATH) ../$(RASA_VENV)/bin/rasa train --fixed-model-name trialbot --out models --quiet
	touch $@

train: $(MODEL_STAMP)

# Debian packages the tests need: Chromium for browser tests, PostgreSQL and Redis servers.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

test: setup system-deps lint
	cd bot && $(RASA_PATH) ../$(RASA_VENV)/bin/rasa test core --stories tests --fail-on-prediction-errors --out ../var/rasa-results --quiet
	$(VENV)/bin/python -m pytest

clean:
	rm -rf var bot/models
