# payments.auroradb - every entry point. `make demo` and `make test` are the README's two commands.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
COLL := collections/ansible_collections/payments/auroradb
# The demo's local cloud; tests start their own on free ports. ./.localcloud is also the `localcloud` CLI's default
# state dir inside the checkout, so a bare `localcloud env` / `status` finds this cloud (README: the local cloud).
LOCALCLOUD_PORT ?= 4566
LOCALCLOUD_STATE_DIR ?= $(CURDIR)/.localcloud
export LOCALCLOUD_PORT LOCALCLOUD_STATE_DIR
ENV_SUFFIX ?= local

.PHONY: help setup test stack-lane test-lane lint sanity unit localcloud-test localcloud-fidelity rotation-test verify-test integration integration-stack integration-other molecule builder-test demo demo-down bench \
        localcloud-up localcloud-down clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 20

$(VENV)/.installed: requirements.txt tools/localcloud/pyproject.toml scripts/find-python.sh
	@py=$$(scripts/find-python.sh); echo "using $$py"; \
	  [ -x $(BIN)/python ] && $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' \
	    || { rm -rf $(VENV); $$py -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e tools/localcloud
	@touch $@

setup: $(VENV)/.installed  ## create .venv (Python >= 3.12) with the pinned toolchain, and pgaudit for the data plane
	@scripts/ensure-pgaudit.sh

test: setup  ## every test (CI runs this)
	@# Two lanes on 2 cores: the longest suite (the shared stack), then the fidelity suite, in one; everything else
	@# in order in the other.
	$(MAKE) --no-print-directory -j2 --output-sync=target stack-lane test-lane

stack-lane: setup  ## make test's first lane: the shared stack, then the amazon.aws modules against the local cloud
	$(MAKE) --no-print-directory -j1 integration-stack localcloud-fidelity

test-lane: setup  ## make test's second lane: every other test, one after the other
	$(MAKE) --no-print-directory -j1 lint sanity unit localcloud-test rotation-test verify-test builder-test \
	  molecule integration-other

lint: setup  ## ansible-lint (production), yamllint, ruff
	ansible-lint --offline --profile production
	yamllint -s .
	ruff check .
	ruff format --check .
	cd $(COLL) && antsibull-changelog lint

sanity: setup  ## ansible-test sanity for the collection, no Docker, no internet
	scripts/sanity.sh

unit: setup  ## unit tests of modules and module_utils (fast, no network)
	cd $(COLL) && $(BIN)/python -m pytest -q tests/unit

localcloud-test: setup  ## the local cloud's own tests (starts its own clouds on free ports), the fidelity suite aside
	$(BIN)/python -m pytest -q tools/localcloud/tests --ignore=tools/localcloud/tests/test_fidelity.py

localcloud-fidelity: setup  ## real amazon.aws modules against the local cloud: check-mode create ... delete again
	$(BIN)/python -m pytest -q tools/localcloud/tests/test_fidelity.py

rotation-test: setup  ## the rotation function against a real PostgreSQL 15 with TLS (started by the tests)
	$(BIN)/python -m pytest -q tests/rotation

verify-test: setup  ## db_verify against a real PostgreSQL 15 writer + hot standby with TLS (started by the tests)
	$(BIN)/python -m pytest -q tests/verify

integration: setup  ## playbooks and modules against local clouds (bad input, lifecycle, rotation, verify, demo)
	$(BIN)/python -m pytest -q tests/integration

# The same tests in two parts: the shared stack (one lane of `make test`) and the rest (the other lane).
# test_local_prod.py, test_managed_secret.py and test_restore.py (their own stacks) run in this lane too: they balance
# the lanes' length (at 53d5df7 lane 1 took 844 s and lane 2 about 1260 s with test_restore.py's 228 s in it).
INTEGRATION_STACK := tests/integration/test_stack.py tests/integration/test_local_prod.py \
  tests/integration/test_managed_secret.py tests/integration/test_restore.py
integration-stack: setup  ## the shared dev stack (life cycle, checks, rotation, teardown, re-deploy), then local-prod
	$(BIN)/python -m pytest -q --durations=0 --durations-min=10 $(INTEGRATION_STACK)

integration-other: setup  ## every other integration test (bad input, the modules against a local cloud, `make demo`)
	$(BIN)/python -m pytest -q --durations=0 --durations-min=10 tests/integration $(addprefix --ignore=,$(INTEGRATION_STACK))

builder-test: setup  ## execution environment: ansible-builder create writes a build context
	$(BIN)/python -m pytest -q tests/test_execution_environment.py

molecule: setup  ## molecule (scenario default: plan on empty, converge, idempotence, verify, plan = no change, teardown)
	molecule test --all

bench: setup  ## AWS-timed benchmarks, not part of `make test` (~15 min): prints a table, writes outputs/bench.json
	$(BIN)/python scripts/bench.py

localcloud-up: setup
	$(BIN)/localcloud up --strict --port $(LOCALCLOUD_PORT) --state-dir $(LOCALCLOUD_STATE_DIR)

localcloud-down:
	@if [ -x $(BIN)/localcloud ]; then $(BIN)/localcloud down --state-dir $(LOCALCLOUD_STATE_DIR); fi

demo: export AWS_URL = http://127.0.0.1:$(LOCALCLOUD_PORT)
# AWS's timing model (docs/aws-timings.md) at 24 AWS seconds per local second: an instance is "creating" for about
# 25 s, so the demo shows the overlapping waits and their progress lines
demo: export LOCALCLOUD_TIMING ?= aws
demo: export LOCALCLOUD_TIME_SCALE ?= 24
demo-down: export AWS_URL = http://127.0.0.1:$(LOCALCLOUD_PORT)
demo: localcloud-up  ## deploy the whole stack on the local cloud, verify it, print outputs and a psql command
	ansible-playbook -i inventories/local playbooks/site.yml -e env_suffix=$(ENV_SUFFIX)
	ansible-playbook -i inventories/local playbooks/verify.yml -e env_suffix=$(ENV_SUFFIX)
	@echo; echo "Outputs (outputs/$(ENV_SUFFIX).json):"; cat outputs/$(ENV_SUFFIX).json; echo
	@$(BIN)/python scripts/demo_psql.py $(ENV_SUFFIX)

demo-down:  ## tear the demo stack down and stop the local cloud
	-ansible-playbook -i inventories/local playbooks/teardown.yml -e env_suffix=$(ENV_SUFFIX)
	$(MAKE) localcloud-down

clean: localcloud-down
	rm -rf $(VENV) $(COLL)/tests/output .pytest_cache .ruff_cache
