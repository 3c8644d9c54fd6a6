# make plan|deploy|failover|recover|destroy ENV=prod: these variables, state
# key envs/prod/terraform.tfstate, names epochstore-prod-*. Every variable is
# documented in ../variables.tf; unset ones keep their defaults.
# No `environment` here: make passes -var environment=prod from ENV, the same
# value that picks the state key, so names and state cannot disagree.

regions = ["eu-central-1", "eu-west-3"]

# Domain mode: a weighted, health-checked Route53 name over the regions. The
# hosted zone must exist; each environment needs a name of its own.
# domain_name                    = "api.example.com"
# hosted_zone_name               = "example.com"
# health_check_failure_threshold = 3
# health_check_regions           = ["eu-west-1", "us-east-1", "ap-southeast-1"]

# Every alarm (each region, and the health checks in us-east-1) mails this
# address once its subscription is confirmed. Replace it with your team's
# address before the first push to main: this placeholder (.invalid, RFC
# 2606) is refused by validation, so prod cannot deploy alarms to nobody.
alarm_email = "replace-me@alarms.invalid"

# Records are kept; logs for a quarter.
retention_days     = 0
log_retention_days = 90

# make destroy ENV=prod lifts it just before destroying; nothing else can.
deletion_protection = true

# Writes need a JWT from this issuer (e.g. a Cognito user pool); reads and
# /health stay public. Unset: a public API.
# jwt_issuer   = "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_EXAMPLE"
# jwt_audience = ["your-app-client-id"]

# Warm instances per function and region remove cold starts (billed idle).
provisioned_concurrency = 0

api_throttling_burst_limit = 500
api_throttling_rate_limit  = 1000

# permissions_boundary_arn: the deploy pipeline passes delivery/'s boundary for
# prod (TF_VAR_permissions_boundary_arn, from the repository variable
# PERMISSIONS_BOUNDARY_ARNS); set it here too when applying by hand, so
# that the roles keep it.
