"""The configurations the policy check plans: delivery/ with DNS for both
environments, terraform/ with every feature flag (domain mode, canaries,
provisioned concurrency, JWT, alarm e-mail; MRSC with a witness; and
PROVISIONED billing with its autoscaling and replica resources), and
remote-state/ with replication. terraform/'s role and bucket policies embed
ARNs AWS makes up and are unknown in a plan; they come from an offline apply
(without a domain: the stand-in returns no certificate validation options)."""

from __future__ import annotations

from terraform_plans import ACCOUNT, LAMBDA_FIXTURES, applied, planned

ENVIRONMENT = "dev"
DELIVERY = {
    "github_repository": "example-org/epochstore",
    "state_bucket": f"epochstore-tfstate-{ACCOUNT}-eu-central-1",
    "state_region": "eu-central-1",
    "state_kms_key_arn": f"arn:aws:kms:eu-central-1:{ACCOUNT}:key/11111111-1111-1111-1111-111111111111",
    "hosted_zone_ids": {"dev": "Z0DEV0000000001", "prod": "Z0PROD000000001"},
    # An existing OIDC provider: its ARN is known at plan time, and so are the roles' trust policies.
    "oidc_provider_arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
}
BASE = {
    "environment": ENVIRONMENT,
    "lambda_package_dir": LAMBDA_FIXTURES,
    "provisioned_concurrency": 1,
    "jwt_issuer": "https://issuer.example.com/",
    "jwt_audience": ["epochstore"],
    # Not an RFC 2606 example domain, which validation may refuse.
    "alarm_email": "oncall@epochstore.dev",
    "permissions_boundary_arn": f"arn:aws:iam::{ACCOUNT}:policy/github-actions/epochstore-boundary-{ENVIRONMENT}",
}
TERRAFORM_PLANS = {
    "domain, canaries, provisioned concurrency, JWT": {**BASE, "domain_name": "api.dev.example.com"},
    "MRSC with a witness": {**BASE, "consistency_mode": "STRONG", "witness_region": "eu-west-1", "retention_days": 0},
    "PROVISIONED billing": {**BASE, "billing_mode": "PROVISIONED"},
}
REMOTE_STATE = {"replication_region": "eu-west-1"}


def documents() -> dict[str, dict]:
    """name -> plan or state JSON, for every configuration the check reads."""
    out = {"delivery/": planned("delivery", DELIVERY)}
    out.update({f"terraform/ ({name})": planned("terraform", v) for name, v in TERRAFORM_PLANS.items()})
    out["terraform/ (applied offline)"] = applied("terraform", BASE)
    out["remote-state/"] = planned("remote-state", REMOTE_STATE)
    out["remote-state/ (applied offline)"] = applied("remote-state", REMOTE_STATE)
    return out
