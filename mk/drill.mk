# `make drill`: a failover drill that measures RTO and RPO (scripts/drill.py,
# Python standard library only), included by the main Makefile.
#
#   make drill URL=http://127.0.0.1:3000 REGION=eu-west-3        the local emulation (make run)
#   make drill URL=https://api.example.com REGION=eu-west-3 ENV=prod
#
# With ENV the fail and recover steps are `make failover|recover REGION=… ENV=…`
# and each region's own URL (to read RPO from the survivors) comes from
# `terraform output regional_urls`. DRILL_ARGS passes further options
# (scripts/drill.py --help), e.g. DRILL_ARGS="--rate 5 --out-dir /tmp/drill".

URL ?=
ENV ?=
DRILL_ARGS ?=

DRILL_REGION_URLS_PY := import json, sys; \
  print("\n".join("--region-url=%s=%s" % kv for kv in json.load(sys.stdin).items()))

.PHONY: drill

drill: require-region $(if $(ENV),tf-init) ## Measured failover: RTO, failed requests, recovery, RPO (URL=… REGION=… [ENV=…] [DRILL_ARGS=…])
	@[[ -n "$(URL)" ]] || { echo "URL is required, e.g. make drill URL=http://127.0.0.1:$(PORT) REGION=eu-west-3" >&2; exit 2; }
	@region_urls=(); \
	if [[ -n "$(ENV)" ]]; then \
		mapfile -t region_urls < <($(TF) output -json regional_urls | $(PYTHON) -c '$(DRILL_REGION_URLS_PY)'); \
		(( $${#region_urls[@]} )) || { echo "no regional_urls in the Terraform output of ENV=$(ENV): deploy it first" >&2; exit 2; }; \
	fi; \
	$(PYTHON) scripts/drill.py --url "$(URL)" --region "$(REGION)" $(if $(ENV),--env "$(ENV)") \
		"$${region_urls[@]}" $(DRILL_ARGS)
