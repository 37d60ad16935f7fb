# Every target works on a fresh machine: `setup` builds .venv and node_modules from the lock files first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SETUP_STAMP := $(VENV)/.setup-done
# Offline by construction: no instance-metadata probing, no CLI notices or telemetry.
export AWS_EC2_METADATA_DISABLED := true
export CDK_DISABLE_CLI_TELEMETRY := true
# The CLI sets CDK_DEFAULT_REGION from the SDK's region (AWS_REGION, AWS_DEFAULT_REGION, the profile; else
# us-east-1), overriding the caller's: pass an explicit CDK_DEFAULT_REGION through as AWS_REGION.
CDK := $(if $(CDK_DEFAULT_REGION),AWS_REGION=$(CDK_DEFAULT_REGION) )npx --no-install cdk
# The suite on every core (pytest-xdist), a test file's tests together: the synthesized apps they share are built
# once per worker. `make test PYTEST_WORKERS=` runs it in one process.
PYTEST_WORKERS ?= -n auto --dist loadfile

.PHONY: setup synth test lint snapshots run deploy bench clean

setup: $(SETUP_STAMP)

$(SETUP_STAMP): pyproject.toml package-lock.json
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: $(SETUP_STAMP)
	$(CDK) synth --quiet

lint: $(SETUP_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest $(PYTEST_WORKERS)

snapshots: $(SETUP_STAMP)
	$(VENV)/bin/pytest tests/infra --update-snapshots -q

run: synth
	$(VENV)/bin/gt3d local-run

deploy: $(SETUP_STAMP)
	$(CDK) deploy --all --require-approval broadening

bench: $(SETUP_STAMP)
	$(PY) -m bench.run

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache
