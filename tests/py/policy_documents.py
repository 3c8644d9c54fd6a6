"""The IAM policies in a plan or state: who holds each one and which rules apply to it.

identity: a role's own policies (managed or inline) and permissions boundaries;
resource: key, bucket and topic policies (the Resource is the resource itself);
trust: a role's assume-role policy."""

from __future__ import annotations

import json
from dataclasses import dataclass

from terraform_plans import resources

# resource type -> (attribute holding a policy, kind). A plan with another
# policy-bearing type fails the check until it is classified here.
POLICY_ATTRIBUTES = {
    "aws_iam_policy": ("policy", "identity"),
    "aws_iam_role_policy": ("policy", "identity"),
    "aws_iam_role": ("assume_role_policy", "trust"),
    "aws_kms_key": ("policy", "resource"),
    "aws_s3_bucket_policy": ("policy", "resource"),
    "aws_sns_topic": ("policy", "resource"),
    "aws_sns_topic_policy": ("policy", "resource"),
}
# Attributes that hold policies on types not listed above (found by name).
POLICY_NAMES = ("policy", "assume_role_policy")


@dataclass(frozen=True)
class Policy:
    address: str
    kind: str
    holder: str  # statements of one holder are evaluated together (a role's policies, a boundary)
    statements: tuple


def statements(document: str) -> tuple:
    return tuple(as_list(json.loads(document).get("Statement", [])))


def holder(resource: dict) -> str:
    values = resource["values"]
    if resource["type"] == "aws_iam_role_policy":
        # Offline, a role's id is a placeholder shared by every role: each policy then stands alone.
        return resource["address"] if "offline" in values["role"] else f"role {values['role']}"
    if resource["type"] == "aws_iam_policy" and "-github-" in values["name"]:
        # delivery/: <name>-github-<role>-<group>, attached to role <name>-github-<role>
        return "role " + values["name"].rsplit("-", 1)[0]
    return resource["address"]


def policies(document: dict) -> tuple[list[Policy], list[str]]:
    """(the policies with a value, the addresses of policy-bearing resources this module cannot classify)."""
    found, unclassified = [], []
    for r in resources(document):
        if r["type"] not in POLICY_ATTRIBUTES:
            if any(isinstance(v, str) and v.strip().startswith("{") and v.strip() != "{}" for a in POLICY_NAMES for v in [r.get("values", {}).get(a)]):
                unclassified.append(r["address"])
            continue
        attribute, kind = POLICY_ATTRIBUTES[r["type"]]
        value = r.get("values", {}).get(attribute)  # no values: unknown until apply
        if isinstance(value, str) and value.strip() not in ("", "{}"):
            found.append(Policy(r["address"], kind, holder(r), statements(value)))
    return found, unclassified


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]
