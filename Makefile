# epochstore: `make help` lists the verbs.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PORT ?= 3000
ARCH ?= x86_64
REGION ?=
export PORT ARCH
# An inherited CARGO_TARGET_DIR is honoured; cargo-lambda writes the zips under it.
export CARGO_TARGET_DIR ?= $(CURDIR)/target
LAMBDA_DIR := $(CARGO_TARGET_DIR)/lambda
FUNCTIONS := store-epoch-time get-epoch-store health-check
PYTHON ?= python3
VENV := $(CURDIR)/.venv
CHECKOV_VENV := $(CURDIR)/.venv-checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov
TERRAFORM ?= terraform
export MOTO_SERVER := $(VENV)/bin/moto_server

ifeq ($(ARCH),x86_64)
LAMBDA_ARCH_FLAG := --x86-64
else ifeq ($(ARCH),arm64)
LAMBDA_ARCH_FLAG := --arm64
else
$(error ARCH must be x86_64 or arm64, not "$(ARCH)")
endif

# cargo-deny builds once per version into the target directory (CI keeps it).
CARGO_DENY_VERSION := 0.20.2
CARGO_DENY := $(CARGO_TARGET_DIR)/tools/cargo-deny-$(CARGO_DENY_VERSION)/bin/cargo-deny

.PHONY: help setup venv build run local-failover local-recover test deny bench require-region

help: ## List the verbs
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: ## Install what make test needs: Debian packages (apt-get), Rust components, venvs, cargo-deny
	PYTHON=$(PYTHON) scripts/setup.sh
	@$(MAKE) venv $(CARGO_DENY)

venv: $(VENV)/.installed $(CHECKOV_VENV)/.installed ## Project-local Python tools (moto, cargo-lambda, zig, pytest, selenium, actionlint, cyclonedx; checkov)

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

# checkov pins its own AWS SDK versions, so it gets a virtualenv of its own.
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

build: $(VENV)/.installed ## Release zips and their SBOMs: target/lambda/<function>/{bootstrap.zip,sbom.cdx.json}, and canary/epochstore-canary.zip (CARGO_TARGET_DIR honoured; ARCH=x86_64|arm64)
	PATH="$(VENV)/bin:$$PATH" cargo lambda build --release --output-format zip $(LAMBDA_ARCH_FLAG) \
		$(foreach f,$(FUNCTIONS),--bin $(f))
	scripts/check-artifacts.sh $(LAMBDA_DIR) $(ARCH) $(FUNCTIONS)
	$(VENV)/bin/python scripts/sbom.py $(LAMBDA_DIR) $(ARCH) $(FUNCTIONS)
	$(VENV)/bin/python scripts/package-canary.py canary/index.js $(LAMBDA_DIR)/canary/epochstore-canary.zip

run: ## Local multi-region emulation: front door on 127.0.0.1:PORT (3000), one port per region
	cargo run --quiet -p epochstore-local

require-region:
	@[[ -n "$(REGION)" ]] || { echo "REGION is required, e.g. make $(MAKECMDGOALS) REGION=eu-west-3" >&2; exit 2; }

local-failover: require-region ## Fail a local region's health check (make run must be running): REGION=…
	@curl -fsS -X POST --data fail http://127.0.0.1:$(PORT)/_local/regions/$(REGION)/status \
		|| { echo "no local emulation on port $(PORT) with region $(REGION): start it with make run" >&2; exit 1; }
	@echo "$(REGION): STATUS=fail; the front door drains it after the detection window"

local-recover: require-region ## Bring a local region back: REGION=…
	@curl -fsS -X POST --data ok http://127.0.0.1:$(PORT)/_local/regions/$(REGION)/status \
		|| { echo "no local emulation on port $(PORT) with region $(REGION): start it with make run" >&2; exit 1; }
	@echo "$(REGION): STATUS=ok; the front door routes to it again once it passes its health checks"

test: setup ## Everything, after make setup: lint, supply chain, unit, moto, end-to-end, local drills, browser, Terraform, checkov, deploy drill
	scripts/test.sh

deny: $(CARGO_DENY) ## cargo-deny: licenses, bans, sources per deny.toml (advisories need the RustSec database: GitHub workflow)
	$(CARGO_DENY) --locked check licenses bans sources

$(CARGO_DENY):
	env -u CARGO_TARGET_DIR cargo install --locked --quiet --root $(abspath $(dir $@)..) cargo-deny@$(CARGO_DENY_VERSION)

-include mk/*.mk
