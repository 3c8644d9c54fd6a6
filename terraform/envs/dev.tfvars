# make plan|deploy|failover|recover|destroy ENV=dev: these variables, state
# key envs/dev/terraform.tfstate, names epochstore-dev-*. Every variable is
# documented in ../variables.tf; unset ones keep their defaults.
# No `environment` here: make passes -var environment=dev from ENV, the same
# value that picks the state key, so names and state cannot disagree.

# The same regions as prod: names carry the environment, so both fit in one
# account side by side.
regions = ["eu-central-1", "eu-west-3"]

# No domain: clients use the regional URLs, and dev saves the health checks
# and their /health traffic (about $20 a month, see the README's costs).

# Empty: alarms show on the dashboard only. Put a team address here to be mailed.
alarm_email = ""

# Test data is disposable: records expire after a week, logs too.
retention_days     = 7
log_retention_days = 7

# Off in dev: dev stacks are recreated freely (a plain `terraform destroy`
# works) and hold only expiring test data; point-in-time recovery stays on.
deletion_protection = false

# A low ceiling bounds what a stray load test or scanner can spend.
api_throttling_burst_limit = 100
api_throttling_rate_limit  = 50

# Canaries every 5 minutes: a fifth of the Synthetics bill of every minute.
canary_rate_minutes = 5

# permissions_boundary_arn: the deploy pipeline passes delivery/'s boundary for
# dev (TF_VAR_permissions_boundary_arn, from the repository variable
# PERMISSIONS_BOUNDARY_ARNS); set it here too when applying by hand, so
# that the roles keep it.
