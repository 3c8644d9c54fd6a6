"""The deploy role grants every call the AWS provider makes for what terraform/ plans.

tests/policy/coverage.json lists, per resource type, the IAM actions of its
create, read, update, tag and delete calls and the ARNs they are authorised on.
Every resource terraform/'s plans hold (every feature flag: domain mode,
canaries, provisioned concurrency, JWT, alarm e-mail, MRSC with a witness,
PROVISIONED billing) is
checked against the deploy-dev role's policies from delivery/'s plan: Allow
statements whose actions, resources and conditions match, and no Deny that
does. A planned type without a row fails."""

from __future__ import annotations

import fnmatch
import json
import os
import re

import pytest

import policy_scenarios
from policy_documents import as_list, statements
from terraform_plans import ACCOUNT, REPO, planned, require_offline_terraform, resources

require_offline_terraform()

COVERAGE = os.path.join(REPO, "tests", "policy", "coverage.json")
PHASES = ("create", "read", "update", "tag", "delete")
ROLE = f"deploy-{policy_scenarios.ENVIRONMENT}/"
NAME_PREFIX = f"epochstore-{policy_scenarios.ENVIRONMENT}"
MADE_UP_ID = "a1b2c3d4e5"
TAGS = {"Environment": policy_scenarios.ENVIRONMENT, "Project": "epochstore"}


def coverage() -> dict:
    with open(COVERAGE, encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="module")
def deploy_statements() -> list[dict]:
    """The deploy-dev role's statements, with the offline partition placeholder read as aws."""
    found = []
    for r in resources(planned("delivery", policy_scenarios.DELIVERY)):
        if r["type"] == "aws_iam_policy" and r["index"].startswith(ROLE):
            found += statements(r["values"]["policy"].replace("partition-offline", "aws"))
    assert found, "delivery/'s plan has no deploy-dev policies"
    return found


@pytest.fixture(scope="module")
def planned_resources() -> list[dict]:
    out = []
    for variables in policy_scenarios.TERRAFORM_PLANS.values():
        out += resources(planned("terraform", variables))
    return out


def context(phase: str, creating: bool, extra: dict, untagged: bool = False) -> dict:
    """The request's condition keys: the create of a resource sends the environment's tags; every call on
    a resource that exists (this one later, or another one it uses) finds them on it, unless AWS owns it."""
    ctx = dict(extra)
    if (phase == "create" and creating) or phase == "tag":
        ctx.update({f"aws:RequestTag/{k}": v for k, v in TAGS.items()})
    if not (phase == "create" and creating) and not untagged:
        ctx.update({f"aws:ResourceTag/{k}": v for k, v in TAGS.items()})
    return ctx


def condition_holds(condition: dict, ctx: dict) -> bool:
    for operator, pairs in condition.items():
        base = re.sub(r"^(ForAnyValue|ForAllValues):", "", operator)
        if_exists = base.endswith("IfExists")
        base = base.removesuffix("IfExists")
        for key, expected in pairs.items():
            expected = [str(e) for e in as_list(expected)]
            if base == "Null":
                if (key not in ctx) != (expected[0].lower() == "true"):
                    return False
                continue
            if key not in ctx:
                if if_exists:
                    continue
                return False
            value = str(ctx[key])
            if base in ("StringEquals", "ArnEquals"):
                ok = value in expected
            elif base in ("StringLike", "ArnLike"):
                ok = any(fnmatch.fnmatchcase(value, e) for e in expected)
            elif base in ("StringNotEquals", "ArnNotEquals"):
                ok = value not in expected
            elif base in ("StringNotLike", "ArnNotLike"):
                ok = not any(fnmatch.fnmatchcase(value, e) for e in expected)
            else:
                raise AssertionError(f"condition operator {operator} is not modelled here")
            if not ok:
                return False
    return True


def matches(st: dict, action: str, arn: str, ctx: dict) -> bool:
    named = any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in as_list(st.get("Action", st.get("NotAction", []))))
    return (
        named != ("NotAction" in st)
        and any(fnmatch.fnmatchcase(arn, r) for r in as_list(st.get("Resource", [])))
        and condition_holds(st.get("Condition", {}), ctx)
    )


def granted(sts: list[dict], action: str, arn: str, ctx: dict) -> bool:
    allowed = any(st["Effect"] == "Allow" and matches(st, action, arn, ctx) for st in sts)
    return allowed and not any(st["Effect"] == "Deny" and matches(st, action, arn, ctx) for st in sts)


def variables(resource: dict, siblings: list[dict]) -> dict:
    values = resource.get("values", {})
    out = {k: v for k, v in values.items() if isinstance(v, str)}
    module = resource["address"].rsplit(f"{resource['type']}.", 1)[0]
    buckets = [r["values"]["bucket"] for r in siblings if r["type"] == "aws_s3_bucket" and r["address"].startswith(module) and "bucket" in r.get("values", {})]
    out.update(
        partition="aws",
        account=ACCOUNT,
        region=values.get("region") or policy_scenarios.BASE.get("regions", ["eu-central-1"])[0],
        main_region=policy_scenarios.BASE.get("regions", ["eu-central-1"])[0],
        name_prefix=NAME_PREFIX,
        zone=policy_scenarios.DELIVERY["hosted_zone_ids"][policy_scenarios.ENVIRONMENT],
        id=MADE_UP_ID,
        boundary=policy_scenarios.BASE["permissions_boundary_arn"],
    )
    if buckets:
        out["bucket"] = buckets[0]
    if "function_name" in out:
        # A qualifier (an alias) narrows the ARN; without one the call names the function itself.
        qualifier = values.get("qualifier")
        out["qualified_function_name"] = out["function_name"] + (f":{qualifier}" if qualifier else "")
    return out


def arns(template: str, resource: dict, names: dict) -> list[str]:
    """The template's ARNs for this resource: one per element where it names a nested block ({replica.region_name})."""
    if template == "*":
        return ["*"]
    nested = re.findall(r"\{(\w+)\.(\w+)\}", template)
    if not nested:
        return [template.format(**names)]
    block, field = nested[0]
    return [arns(template.replace(f"{{{block}.{field}}}", str(element[field])), resource, names)[0] for element in resource.get("values", {}).get(block) or []]


def test_every_planned_type_has_a_row(planned_resources):
    table = coverage()
    managed = {r["type"] for r in planned_resources if r["mode"] == "managed"}
    data = {r["type"] for r in planned_resources if r["mode"] == "data"}
    assert sorted(managed - set(table["rows"]) - set(table["not_aws"])) == [], "resource types terraform/ plans without a coverage row"
    assert sorted(data - set(table["data_sources"])) == [], "data sources terraform/ plans without an entry"
    assert all(row["source"].strip() for row in table["rows"].values()), "every row cites where its calls come from"
    assert all(set(PHASES) <= set(row) for row in table["rows"].values()), "every row lists every phase"


def test_the_deploy_role_grants_every_call(planned_resources, deploy_statements):
    table = coverage()["rows"]
    missing = []
    for resource in planned_resources:
        row = table.get(resource["type"])
        if resource["mode"] != "managed" or row is None:
            continue
        names = variables(resource, planned_resources)
        for phase in PHASES:
            for action, targets in row[phase].items():
                for target in targets:
                    creating = target in row.get("creates", list(row["arns"])[:1]) or target == "*"
                    ctx = context(phase, creating, {k: v.format(**names) for k, v in row.get("context", {}).items()}, target in row.get("untagged", []))
                    for arn in arns(row["arns"].get(target, target), resource, names):
                        if not granted(deploy_statements, action, arn, ctx):
                            missing.append(f"{resource['type']} {phase}: {action} on {arn}")
    assert sorted(set(missing)) == [], "\n".join(sorted(set(missing)))


def test_the_check_sees_a_missing_grant(deploy_statements):
    ctx = context("create", True, {})
    arn = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/{NAME_PREFIX}"
    assert granted(deploy_statements, "dynamodb:CreateGlobalTableWitness", arn, ctx)
    without = [dict(st, Action=[a for a in as_list(st["Action"]) if a != "dynamodb:CreateGlobalTableWitness"]) if "Action" in st else st for st in deploy_statements]
    assert not granted(without, "dynamodb:CreateGlobalTableWitness", arn, ctx)


# Tag-on-create (KeyCreateTags, ScalableTargetCreate) is decided by the request's tags; it must not let
# the role tag, and so claim, a resource that exists: another environment's, or the untagged state key.
STATE_KEY = policy_scenarios.DELIVERY["state_kms_key_arn"]
A_KEY = f"arn:aws:kms:eu-central-1:{ACCOUNT}:key/{MADE_UP_ID}"
A_TARGET = f"arn:aws:application-autoscaling:eu-central-1:{ACCOUNT}:scalable-target/{MADE_UP_ID}"
REQUEST_TAGS = {f"aws:RequestTag/{k}": v for k, v in TAGS.items()}
PROD_TAGS = {"aws:ResourceTag/Environment": "prod", "aws:ResourceTag/Project": "epochstore"}
DEV_TAGS = {f"aws:ResourceTag/{k}": v for k, v in TAGS.items()}


@pytest.mark.parametrize(
    ("action", "arn", "found"),
    [
        ("kms:TagResource", A_KEY, PROD_TAGS),
        ("kms:TagResource", STATE_KEY, {"kms:ResourceAliases": "alias/epochstore-tfstate"}),
        ("kms:TagResource", STATE_KEY, {}),
        ("kms:TagResource", A_KEY, {"kms:ResourceAliases": "alias/another-workload"}),
        # Had the state key been tagged dev anyway, the Keys statement would match it: the guards refuse.
        ("kms:ScheduleKeyDeletion", STATE_KEY, DEV_TAGS),
        ("kms:PutKeyPolicy", STATE_KEY, DEV_TAGS),
        ("application-autoscaling:TagResource", A_TARGET, PROD_TAGS),
        ("application-autoscaling:RegisterScalableTarget", A_TARGET, PROD_TAGS),
    ],
)
def test_tags_on_create_claim_no_existing_resource(deploy_statements, action, arn, found):
    assert not granted(deploy_statements, action, arn, {**REQUEST_TAGS, **found})


@pytest.mark.parametrize(
    ("action", "arn", "ctx"),
    [
        ("kms:TagResource", A_KEY, REQUEST_TAGS),
        ("application-autoscaling:TagResource", A_TARGET, REQUEST_TAGS),
        ("application-autoscaling:RegisterScalableTarget", A_TARGET, REQUEST_TAGS),
        # The state itself stays readable and writable through S3.
        ("kms:Decrypt", STATE_KEY, {"kms:ViaService": "s3.eu-central-1.amazonaws.com"}),
        ("kms:GenerateDataKey", STATE_KEY, {"kms:ViaService": "s3.eu-central-1.amazonaws.com"}),
    ],
)
def test_a_new_key_or_target_is_still_tagged_and_the_state_still_encrypted(deploy_statements, action, arn, ctx):
    assert granted(deploy_statements, action, arn, ctx)
