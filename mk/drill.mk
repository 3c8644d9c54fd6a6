# `make drill`: a failover drill that measures RTO and RPO (scripts/drill.py,
# the failover_drill package, Python standard library only), included by the
# main Makefile.
#
#   make drill URL=http://127.0.0.1:3000 REGION=eu-west-3        the local emulation (make run)
#   make drill ENV=prod REGION=eu-west-3                          a deployment (URL: its global URL)
#
# With ENV the drill reads the deployment's `make outputs ENV=…` (global and
# regional URLs) and refuses at once a deployment without a global URL (no
# Route53 health checks, nothing would drain); its fail and recover steps are
# the failover switch, `make failover|recover REGION=… ENV=…`, which change
# only STATUS of that region's health function. DRILL_ARGS passes further
# options (scripts/drill.py --help), e.g. DRILL_ARGS="--rate 5 --out-dir /tmp/drill".

URL ?=
ENV ?=
DRILL_ARGS ?=

.PHONY: drill

drill: require-region ## Measured failover: RTO, failed requests, recovery, RPO (REGION=… and URL=… or ENV=…; [DRILL_ARGS=…])
	@if [[ -n "$(ENV)" ]]; then \
		outputs=$$(mktemp); trap 'rm -f "$$outputs"' EXIT; \
		$(MAKE) --silent outputs >"$$outputs"; \
		$(PYTHON) scripts/drill.py --env "$(ENV)" --terraform-outputs "$$outputs" --region "$(REGION)" \
			$(if $(URL),--url "$(URL)") $(DRILL_ARGS); \
	else \
		[[ -n "$(URL)" ]] || { echo "URL or ENV is required, e.g. make drill URL=http://127.0.0.1:$(PORT) REGION=eu-west-3, or make drill ENV=prod REGION=eu-west-3" >&2; exit 2; }; \
		$(PYTHON) scripts/drill.py --url "$(URL)" --region "$(REGION)" $(DRILL_ARGS); \
	fi
