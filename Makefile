# Every target installs what it needs: a Python virtualenv from requirements*.txt and, from
# package-lock.json, the CDK CLI plus the Node.js LTS it runs on (the machine's own Node is not used).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
# The profile: ENV, else ENVIRONMENT_SUFFIX, else settings/profiles.py's DEFAULT_PROFILE (settings/ needs nothing but
# Python).
# Evaluated once (it is exported), with settings/ alone: no virtualenv needed.
ifeq ($(origin ENV),undefined)
ENV := $(or $(ENVIRONMENT_SUFFIX),$(shell $(PYTHON) -m tooling.profiles default))
endif
VENV := .venv
# The reference service's dependencies exactly as its image installs them (the Dockerfile's build stage);
# the container contract test runs the service on these alone.
SERVICE_PACKAGES := .build/service-site-packages
OUT := cdk.out
STACKS ?= --all
# For make verify against a mutual-TLS listener: VERIFY_ARGS='--client-cert client.pem --client-key client.key'
VERIFY_ARGS ?=
# Extra arguments of make preflight and make drill, e.g. PREFLIGHT_ARGS=--region standby, DRILL_ARGS="--failover --allow-prod"
PREFLIGHT_ARGS ?=
DRILL_ARGS ?=
LOAD_ARGS ?= --rps 20 --duration 120
# For make cost: COST_ARGS='--format json --at max --requests-per-month 50000000'
COST_ARGS ?=
# cdk deploy's approval of security-broadening changes: `never` only where nobody can answer (the sandbox workflow).
APPROVAL ?= broadening
# Setting overrides, each once, e.g. CDK_ARGS='-c config.task_cpu=1024 -c config.task_memory_mib=2048': cdk and the
# ops commands both take them (the profile is ENV's). Other CDK CLI options (synth, diff, deploy, destroy) go in
# CDK_CLI_ARGS, e.g. CDK_CLI_ARGS='--verbose'; choose an account's credentials with AWS_PROFILE=NAME make …, which the
# ops commands use too.
CDK_ARGS ?=
CDK_CLI_ARGS ?=
# What every target that takes ENV checks before it deletes or calls anything: the profile with CDK_ARGS, and (read
# from the environment, never pasted into a command line) ENV, STACKS, APPROVAL and CDK_CLI_ARGS. CDK_ARGS and the
# *_ARGS of the ops targets are shell words, as typed on a command line.
export ENV STACKS APPROVAL CDK_CLI_ARGS
# $(call CHECK,KIND): synth, deploy, change (diff, destroy), ops or preflight (the ops commands resolve the profile
# themselves and report its mistakes, preflight in its table: their check is ENV and the shape of CDK_ARGS).
CHECK = python -m tooling.profiles check --for=$(1) "$$ENV" $(CDK_ARGS)
# The CDK CLI tells the app a region of its own (CDK_DEFAULT_REGION, from your AWS configuration, else
# us-east-1). Unless you set AWS_REGION or AWS_DEFAULT_REGION yourself, it is given the profile's region, so
# that the app's region check objects only to a region you chose.
WITH_REGION = AWS_REGION="$${AWS_REGION:-$${AWS_DEFAULT_REGION:-$$(python -m tooling.profiles region "$$ENV" $(CDK_ARGS))}}"

# node_modules/.bin first: the CDK CLI and the jsii runtime behind aws-cdk-lib both run on that Node.
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help deps synth synth-all test lint format snapshot-update register diagram settings-table cost-table alarm-table pci-doc docs bench-service bench-synth preflight verify drill drift load cost diff deploy destroy clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt service/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@node --version | grep -Eq '^v(2[2-9]|[3-9][0-9])\.' || { echo "error: node_modules/.bin/node is $$(node --version), need 22 or newer" >&2; exit 1; }
	touch $@

$(SERVICE_PACKAGES)/.installed: service/requirements.txt $(VENV)/.installed
	rm -rf $(SERVICE_PACKAGES)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --only-binary=:all: --target $(SERVICE_PACKAGES) -r service/requirements.txt
	touch $@

# The benchmark's load generator, apart from everything else (requirements-bench.txt says why).
BENCH_VENV := .venv-bench

$(BENCH_VENV)/.installed: requirements-bench.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $@

deps: $(VENV)/.installed node_modules/.installed $(SERVICE_PACKAGES)/.installed ## Install Python and Node dependencies (pinned)

synth: deps ## Synthesize ENV (default dev) with every check: 5 cdk-nag packs, CloudFormation validation, cfn-lint
	$(call CHECK,synth)
	rm -rf $(OUT)
	$(WITH_REGION) cdk synth --no-lookups --quiet -c env=$(ENV) $(CDK_ARGS) $(CDK_CLI_ARGS) -o $(OUT)
	python -m tooling.report $(OUT)/validation-report.json
	cfn-lint $(OUT)/*.template.json
	@echo "synth: $(ENV) clean: no unacknowledged cdk-nag finding, CloudFormation validation and cfn-lint clean"

synth-all: deps ## make synth for every profile of settings/profiles.py
	for env in $$(python -m tooling.profiles names); do $(MAKE) --no-print-directory synth ENV=$$env; done

test: deps ## Run the test suite on two workers (each synthesizes a profile once, when a test first needs it)
	pytest -n 2 --dist worksteal

lint: deps ## ruff lint and format check, mypy, the GitHub workflows (zizmor: syntax and security, offline)
	ruff check .
	ruff format --check .
	mypy
	zizmor --offline --quiet .github/workflows

format: deps ## Apply ruff fixes and formatting
	ruff check --fix .
	ruff format .

snapshot-update: deps ## Rewrite the template snapshots after an intended change (a renamed profile's old one goes)
	rm -rf tests/__snapshots__/test_snapshots
	pytest tests/test_snapshots.py --snapshot-update

register: deps ## Regenerate docs/ACKNOWLEDGEMENTS.md, the register of acknowledged cdk-nag findings
	CDK_VALIDATION=false python -m tooling.register

diagram: deps ## Regenerate the architecture diagram in docs/ARCHITECTURE.md from the synthesized app
	CDK_VALIDATION=false python -m tooling.diagram

settings-table: deps ## Regenerate the settings table in README.md from the configuration sections and profiles
	python -m tooling.settings_table

cost-table: deps ## Regenerate the cost table in README.md from every profile's synthesized templates
	CDK_VALIDATION=false python -m ops.cost_table

alarm-table: deps ## Regenerate the alarm table in docs/ARCHITECTURE.md from the alarms' own table
	python -m tooling.alarm_table

pci-doc: deps ## Regenerate docs/PCI-DSS-4.0.1.md, the requirement-by-requirement evidence map
	CDK_VALIDATION=false python -m tooling.pci_doc

docs: register diagram settings-table cost-table alarm-table pci-doc ## Regenerate every generated document

bench-service: $(VENV)/.installed $(BENCH_VENV)/.installed ## Load-test the reference service on one core (needs 2): req/s, p50/p90/p99, shedding, RSS
	$(BENCH_VENV)/bin/python service/benchmarks/bench_service.py --service-python $(VENV)/bin/python

bench-synth: deps ## Synth wall time per profile (median of 3, every check on) and each cdk-nag pack's share of it
	python -m tooling.bench_synth $(BENCH_SYNTH_ARGS)

preflight: deps ## Check the account before deploying ENV: credentials, bootstrap, quotas, permissions, certificate
	@$(call CHECK,preflight)
	CDK_VALIDATION=false python -m ops preflight --env $(ENV) $(PREFLIGHT_ARGS) $(CDK_ARGS)

verify: deps ## Check deployed ENV: HTTPS health, redirect, targets, tasks, WAF, flow logs, log groups, alarms
	@$(call CHECK,ops)
	CDK_VALIDATION=false python -m ops verify --env $(ENV) $(VERIFY_ARGS) $(CDK_ARGS)

drill: deps ## Stop one task of ENV and time its replacement (DRILL_ARGS: --allow-prod for prod, --failover for the DR drill)
	@$(call CHECK,ops)
	CDK_VALIDATION=false python -m ops drill --env $(ENV) $(DRILL_ARGS) $(CDK_ARGS)

load: deps $(BENCH_VENV)/.installed ## Bounded load on deployed ENV: LOAD_ARGS='--rps 50 --duration 300' (prod: --allow-prod)
	@$(call CHECK,ops)
	CDK_VALIDATION=false python -m ops load --env $(ENV) --locust-python $(BENCH_VENV)/bin/python $(LOAD_ARGS) $(CDK_ARGS)

drift: deps ## CloudFormation drift detection on every stack of ENV (both regions where it has a standby)
	@$(call CHECK,ops)
	CDK_VALIDATION=false python -m ops drift --env $(ENV) $(CDK_ARGS)

cost: deps ## Monthly cost estimate of ENV from the synthesized templates, all profiles side by side
	@$(call CHECK,ops)
	@CDK_VALIDATION=false python -m ops cost --env $(ENV) $(COST_ARGS) $(CDK_ARGS)

diff: deps ## cdk diff ENV against the deployed stacks (needs AWS credentials)
	$(call CHECK,change)
	$(WITH_REGION) cdk diff $(STACKS) -c env=$(ENV) $(CDK_ARGS) $(CDK_CLI_ARGS)

deploy: deps ## cdk deploy ENV (needs AWS credentials and a bootstrapped account)
	$(call CHECK,deploy)
	$(WITH_REGION) cdk deploy $(STACKS) -c env=$(ENV) $(CDK_ARGS) $(CDK_CLI_ARGS) --require-approval $(APPROVAL)

destroy: deps ## cdk destroy ENV's stacks (retained resources stay: docs/RUNBOOK.md)
	$(call CHECK,change)
	$(WITH_REGION) cdk destroy $(STACKS) -c env=$(ENV) $(CDK_ARGS) $(CDK_CLI_ARGS) --force

clean: ## Remove build output and installed dependencies
	rm -rf $(OUT) $(VENV) $(BENCH_VENV) node_modules .build .pytest_cache .mypy_cache .ruff_cache
