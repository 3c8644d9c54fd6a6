"""The rules of AWS's authorization data applied to policies (policy_documents.Policy).

- action-exists: every Action/NotAction names at least one action in the data.
- no-resource-type: an action without a resource type is granted on "*" only
  (a statement scoped to ARNs never matches it).
- resource-type: an action with resource types is not granted on "*", and some
  ARN of each statement granting it matches one of them (else the statement
  grants it nothing). A statement may list ARNs of several kinds for its actions.
- required-resource-type: every required resource type of an action is covered
  by some statement of the holder that grants it.
- dependent-action: an action AWS also authorises with others (dependent
  actions) finds each of them granted by the holder, by a statement without an
  aws:ResourceTag condition that a resource being created (which has no tags
  yet) cannot meet.
- condition-key: every condition key is global (aws:*) or documented for every
  action of its statement.
Wildcard actions (lambda:Get*) are checked for existence and conditions only:
they name many actions, most of which the statement does not mean."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import iam_authorization as iam
from policy_documents import Policy, as_list


@dataclass(frozen=True)
class Finding:
    rule: str
    action: str
    holder: str
    detail: str
    related: str = ""  # the dependent action or the condition key the finding is about


def unknown(arn: str) -> bool:
    """An ARN AWS makes up (a key's, a bucket's from its id), which the offline apply fills with a
    placeholder ("arn-offline"): it may be of any type. The partition placeholder alone is not one."""
    return "-offline" in arn.replace("partition-offline", "")


def explicit(action: str) -> bool:
    return "*" not in action and "?" not in action


def canonical(action: str) -> str:
    expanded = iam.expand(action)
    return expanded[0] if len(expanded) == 1 else action


def condition_keys(statement: dict) -> list[str]:
    return sorted({key for operator in statement.get("Condition", {}).values() for key in operator})


def has_resource_tag_condition(statement: dict) -> bool:
    """Whether the statement needs tags on the resource: a Null "true" test asks for their absence,
    which a resource being created (the dependent-action case) satisfies."""
    return any(
        key.lower().startswith("aws:resourcetag/") and not (operator == "Null" and str(value).lower() == "true")
        for operator, pairs in statement.get("Condition", {}).items()
        for key, value in pairs.items()
    )


def check(policies: list[Policy]) -> list[Finding]:
    findings: list[Finding] = []
    # holder -> action -> [statement], for the identity rules that look across a holder's statements.
    grants: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))

    for policy in policies:
        for st in policy.statements:
            actions = as_list(st.get("Action", [])) + as_list(st.get("NotAction", []))
            for pattern in actions:
                if not iam.expand(pattern):
                    findings.append(Finding("action-exists", pattern, policy.holder, f"{policy.address}: no such action"))
            findings += condition_findings(policy, st, [a for a in actions if iam.expand(a)])
            if policy.kind != "identity" or st.get("Effect") != "Allow" or "NotAction" in st or "NotResource" in st:
                continue
            resources = as_list(st.get("Resource", []))
            for pattern in as_list(st.get("Action", [])):
                if not (explicit(pattern) and iam.expand(pattern)):
                    continue
                action = canonical(pattern)
                grants[policy.holder][action].append(st)
                findings += resource_findings(policy, st, action, resources)

    for holder, granted in grants.items():
        for action, sts in granted.items():
            types = iam.resource_types(action)
            arns = [r for st in sts for r in as_list(st["Resource"])]
            for name, t in types.items():
                if t["required"] and t["arn"] and "*" not in arns and not any(unknown(r) or iam.arn_matches(r, t["arn"]) for r in arns):
                    findings.append(Finding("required-resource-type", action, holder, f"no statement covers its required resource type {name} ({t['arn']})"))
            for dependent in sorted(iam.dependent_actions(action)):
                if not any(not has_resource_tag_condition(st) for st in granted.get(dependent, [])):
                    findings.append(Finding("dependent-action", action, holder, f"needs {dependent} (granted without aws:ResourceTag conditions)", dependent))
    return findings


def resource_findings(policy: Policy, st: dict, action: str, resources: list[str]) -> list[Finding]:
    types = iam.resource_types(action)
    where = f"{policy.address} {st.get('Sid', '')}".strip()
    if not types:
        if resources != ["*"]:
            return [Finding("no-resource-type", action, policy.holder, f"{where}: has no resource type, so only \"*\" matches it, not {resources}")]
        return []
    if "*" in resources:
        return [Finding("resource-type", action, policy.holder, f"{where}: granted on \"*\" though it has resource types {sorted(types)}")]
    formats = [t["arn"] for t in types.values() if t["arn"]]
    # Placeholder ARNs of the offline stand-in (values AWS makes up) cannot be matched.
    if not any(unknown(r) or iam.arn_matches(r, f) for r in resources for f in formats):
        return [Finding("resource-type", action, policy.holder, f"{where}: {resources} match none of its resource types {sorted(types)}")]
    return []


def condition_findings(policy: Policy, st: dict, actions: list[str]) -> list[Finding]:
    findings = []
    where = f"{policy.address} {st.get('Sid', '')}".strip()
    for key in condition_keys(st):
        if key.lower().startswith("aws:"):
            continue
        prefix = key.split(":", 1)[0].lower()
        if prefix not in iam.services():
            findings.append(Finding("condition-key", "", policy.holder, f"{where}: {key} is not a key of any service in the data", key))
            continue
        for pattern in actions:
            expanded = iam.expand(pattern)
            valid = [a for a in expanded if any(iam.key_matches(key, d) for d in iam.condition_keys(a))]
            if not valid:
                findings.append(Finding("condition-key", canonical(pattern), policy.holder, f"{where}: {key} is not documented for it", key))
    return findings
