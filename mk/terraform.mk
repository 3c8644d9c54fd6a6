# Terraform verbs, included by the main Makefile, which provides `build`,
# LAMBDA_DIR (absolute dir holding <function>/bootstrap.zip) and ARCH.
#
#   make tf-check                      fmt, validate and `terraform test` for every root (TF_ROOTS)
#   make checkov                       static analysis of every root
#   make plan [TFVARS=file]            build, then show what deploy would change
#   make deploy [TFVARS=file]          build, then apply terraform/ (backend from terraform/backend.hcl)
#   make outputs                       the deployment's `terraform output -json` (ENV=…)
#   make backend-from-github ENV=…     terraform/backend.hcl from the repository's TF_STATE_* variables
#   make failover REGION=eu-west-3     health function of REGION answers 503: Route53 drains it
#   make recover REGION=eu-west-3      undo failover
#   make destroy                       remove the deployment, table included
#
# ENV=<environment> (on plan, deploy, outputs, failover, recover, destroy): variables from
# terraform/envs/<environment>.tfvars (unless TFVARS is given), state key
# envs/<environment>/terraform.tfstate, Terraform data dir
# .terraform/envs/<environment>, and -var environment=<environment>, so the
# resource names always match the state. Without ENV: terraform.tfvars, the
# key in backend.hcl and .terraform, as before environments.
#
# TF_DIR points every verb at another copy of terraform/ (the offline drill);
# TF_OFFLINE_DRILL=1 skips the credentials check and approves automatically.

TERRAFORM ?= terraform
CHECKOV ?= .venv-checkov/bin/checkov
TF_DIR ?= terraform
TF_ROOTS := terraform remote-state delivery
ENV ?=
TFVARS ?= $(if $(ENV),$(TF_DIR)/envs/$(ENV).tfvars,$(TF_DIR)/terraform.tfvars)
TF_OFFLINE_DRILL ?=
AUTO_APPROVE ?= $(TF_OFFLINE_DRILL)

# One data dir per environment: its backend settings (state key) never serve
# another environment, and switching ENV needs no `init -reconfigure`.
TF_DATA := $(abspath $(TF_DIR))/.terraform$(if $(ENV),/envs/$(ENV))
TF_STATE_KEY := envs/$(ENV)/terraform.tfstate
TF := $(if $(ENV),TF_DATA_DIR=$(TF_DATA) )$(TERRAFORM) -chdir=$(TF_DIR)
TF_APPROVE := $(if $(filter 1,$(AUTO_APPROVE)),-auto-approve)
# Every apply passes the same artifact and architecture as the build.
TF_VARS = -var-file=$(abspath $(TFVARS)) -var lambda_package_dir=$(LAMBDA_DIR) -var architecture=$(ARCH) \
	$(if $(ENV),-var environment=$(ENV))

.PHONY: tf-check checkov plan deploy destroy outputs tf failover recover tf-region tf-credentials tf-tfvars tf-init backend-from-github

tf-check: ## Terraform: fmt -check, validate and terraform test of terraform/, remote-state/, delivery/ (offline)
	@for d in $(TF_ROOTS); do \
		echo "--- terraform $$d"; \
		$(TERRAFORM) -chdir=$$d fmt -check -recursive \
		&& $(TERRAFORM) -chdir=$$d init -backend=false -input=false >/dev/null \
		&& $(TERRAFORM) -chdir=$$d validate \
		&& $(TERRAFORM) -chdir=$$d test \
		|| exit 1; \
	done

# One checkov run per root: checkov 3.3.30 given two -d scans the first
# directory twice and never the second.
checkov: ## checkov on terraform/, remote-state/, delivery/: no failed check allowed
	@for d in $(TF_ROOTS); do \
		echo "--- checkov $$d"; \
		$(CHECKOV) -d $$d --framework terraform --quiet --compact --skip-download || exit 1; \
	done

tf-credentials:
	@if [[ "$(TF_OFFLINE_DRILL)" != 1 ]] && [[ -z "$${AWS_ACCESS_KEY_ID:-}$${AWS_PROFILE:-}$${AWS_WEB_IDENTITY_TOKEN_FILE:-}$${AWS_CONTAINER_CREDENTIALS_FULL_URI:-}" ]] \
		&& [[ ! -f "$$HOME/.aws/credentials" && ! -f "$$HOME/.aws/config" ]]; then \
		echo "No AWS credentials: export AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or run 'aws configure'." >&2; \
		exit 2; \
	fi

tf-tfvars:
	@if [[ -n "$(ENV)" && "$(origin TFVARS)" == file && ! -f "$(TFVARS)" ]]; then \
		echo "Unknown ENV=$(ENV): no $(TFVARS) (environments: $(or $(notdir $(basename $(wildcard $(TF_DIR)/envs/*.tfvars))),none))" >&2; \
		exit 2; \
	fi
	@[[ -f "$(TFVARS)" ]] || { \
		echo "$(TFVARS) is missing. Create it from the example and edit regions, domain and alarm e-mail:" >&2; \
		echo "  cp terraform/terraform.tfvars.example terraform/terraform.tfvars" >&2; \
		echo "or point at another file: make $(firstword $(MAKECMDGOALS)) TFVARS=path/to/file.tfvars" >&2; \
		exit 2; }

# State: terraform/backend.hcl (from remote-state's backend_config output),
# its key replaced by TF_STATE_KEY with ENV; a backend_override.tf in TF_DIR
# (the offline drill's local backend) needs no settings, and with ENV keeps
# the state at TF_STATE_KEY under TF_DIR.
# Init runs again only when the configuration or backend settings changed.
TF_INIT_STAMP := $(TF_DATA)/terraform.tfstate

tf-init: tf-credentials $(TF_INIT_STAMP)

$(TF_INIT_STAMP): $(wildcard $(TF_DIR)/*.tf $(TF_DIR)/modules/*/*.tf $(TF_DIR)/backend.hcl)
	@if [[ -f "$(TF_DIR)/backend.hcl" ]]; then \
		$(TF) init -input=false -backend-config=backend.hcl $(if $(ENV),-backend-config=key=$(TF_STATE_KEY)) >/dev/null; \
	elif [[ -f "$(TF_DIR)/backend_override.tf" ]]; then \
		$(TF) init -input=false $(if $(ENV),-backend-config=path=$(TF_STATE_KEY)) >/dev/null; \
	else \
		echo "$(TF_DIR)/backend.hcl is missing: it names the state bucket every deployment's state lives in." >&2; \
		$(if $(filter $(TF_STATE_READERS),$(MAKECMDGOALS)),$(TF_BACKEND_FOR_EXISTING),$(TF_BACKEND_BOOTSTRAP)) \
		exit 2; \
	fi
	@touch $@

# Settings, credentials and backend first (make runs prerequisites left to
# right): a missing backend.hcl or AWS credential stops before the release
# build, not after it (tests/py/test_make_deploy.py).
plan: tf-tfvars tf-init build ## Build, then show what deploy would change (ENV=dev|prod|…, or TFVARS=file)
	$(TF) plan -input=false $(TF_VARS)

deploy: tf-tfvars tf-init build ## Build, then deploy to AWS (terraform/terraform.tfvars; ENV=dev|prod|…: envs/<ENV>.tfvars, own state)
	$(TF) apply -input=false $(TF_APPROVE) $(TF_VARS)
	@$(TF) output -json | python3 -c '$(TF_URLS_PY)'

destroy: tf-tfvars tf-init ## Remove the deployment, DynamoDB data included (lifts deletion protection first; ENV=…)
	@echo "Lifting DynamoDB deletion protection, then destroying everything in $(TF_DIR)."
	$(TF) apply -input=false $(TF_APPROVE) $(TF_VARS) -var deletion_protection=false
	$(TF) destroy -input=false $(TF_APPROVE) $(TF_VARS) -var deletion_protection=false

# The one reader of a deployment's outputs (its state, through its own data
# dir): the failover switch, make drill, the pipeline's URL step and the
# offline deploy drill all go through it.
outputs: tf-tfvars tf-init ## Print the deployment's terraform output -json (ENV=…)
	@$(TF) output -json

# Any other Terraform command in the deployment's data dir, e.g.
# make tf ENV=dev TF_ARGS="state list".
tf: tf-init
	@$(TF) $(TF_ARGS)

# The failover switch: STATUS of REGION's health function alone, through the
# Lambda API (scripts/health_switch.py): no build, no apply, nothing else
# changes. /health then answers 503 and Route53 drains the region after
# failure_threshold x 10 s. Terraform created STATUS=ok and ignores it since
# (ignore_changes in terraform/modules/region/main.tf): a later make deploy
# keeps a failed region failed until make recover.
# $(call health_switch,fail|ok): the deployment's outputs in, REGION's switch set.
health_switch = @outputs=$$($(MAKE) --silent outputs) && $(VENV)/bin/python scripts/health_switch.py \
	--region "$(REGION)" --status $(1) $(if $(ENV),--env "$(ENV)") <<<"$$outputs"

failover: tf-region ## Failover: REGION's /health answers 503 and Route53 drains it; changes nothing else (REGION=…, ENV=…)
	$(call health_switch,fail)

recover: tf-region ## Undo failover for REGION: its /health answers 200 again (REGION=…, ENV=…)
	$(call health_switch,ok)

tf-region:
	@[[ -n "$(REGION)" ]] || { echo "REGION is required, e.g. make $(firstword $(MAKECMDGOALS)) REGION=eu-west-3" >&2; exit 2; }

# Helpers for the recipes above (python3 reads Terraform's JSON).
TF_URLS_PY := import json, sys; \
  o = {k: v["value"] for k, v in json.load(sys.stdin).items()}; \
  urls, g = o["regional_urls"], o.get("global_url"); \
  base = g or list(urls.values())[0]; \
  print("\n".join(["regional URL   %s: %s" % kv for kv in urls.items()] + [ \
    "global URL     : %s" % (g or "none (no domain_name; use a regional URL)"), \
    "write auth     : %s" % ("JWT from %s on POST /storeEpochTime" % o["jwt_issuer"] if o.get("jwt_issuer") else "none (public API)"), \
    "smoke test     : curl -sS -X POST%s %s/storeEpochTime && curl -sS %s/getEpochStore && curl -sS -i %s/health" \
      % (" -H \"Authorization: Bearer $$TOKEN\"" if o.get("jwt_issuer") else "", base, base, base)]))

# What a missing backend.hcl asks for: verbs that read an existing
# deployment (the switch, the drill) need the bucket's settings, not a new bucket.
TF_STATE_READERS := outputs failover recover drill
TF_BACKEND_FOR_EXISTING := \
	echo "A failover, recover or drill reads an existing deployment: write the existing bucket's settings" >&2; \
	echo "from the pipeline's repository variables TF_STATE_BUCKET, TF_STATE_REGION and TF_STATE_KMS_KEY_ARN (gh CLI):" >&2; \
	echo "  make backend-from-github ENV=$(or $(ENV),<env>)" >&2; \
	echo "Do not bootstrap a second bucket." >&2;
TF_BACKEND_BOOTSTRAP := \
	echo "The bucket exists (the pipeline's TF_STATE_* variables are set): make backend-from-github ENV=$(or $(ENV),<env>)" >&2; \
	echo "No bucket yet: bootstrap it once, as README.md, \"From clone to production\", step 2 says." >&2;

# terraform/backend.hcl for an operator's laptop, from the values the pipeline
# uses (scripts/backend-hcl.sh, as .github/actions/terraform-env): needs only
# read access to the repository's variables, no access to remote-state/'s
# bootstrap state.
backend-from-github: ## Write terraform/backend.hcl from the repository's TF_STATE_* variables (gh CLI; ENV=dev|prod|…)
	@[[ -n "$(ENV)" ]] || { echo "ENV is required, e.g. make backend-from-github ENV=prod" >&2; exit 2; }
	@command -v gh >/dev/null || { echo "backend-from-github reads the repository's variables with the GitHub CLI (gh): install it and run gh auth login" >&2; exit 2; }
	@TF_STATE_BUCKET="$$(gh variable get TF_STATE_BUCKET)" && TF_STATE_REGION="$$(gh variable get TF_STATE_REGION)" \
		&& TF_STATE_KMS_KEY_ARN="$$(gh variable get TF_STATE_KMS_KEY_ARN)" \
		&& export TF_STATE_BUCKET TF_STATE_REGION TF_STATE_KMS_KEY_ARN \
		&& scripts/backend-hcl.sh "$(ENV)" > "$(TF_DIR)/backend.hcl.new" \
		&& mv "$(TF_DIR)/backend.hcl.new" "$(TF_DIR)/backend.hcl" \
		|| { rm -f "$(TF_DIR)/backend.hcl.new"; exit 2; }
	@echo "wrote $(TF_DIR)/backend.hcl (state bucket $$(sed -n 's/^bucket *= *//p' "$(TF_DIR)/backend.hcl"))"
