"""Every variable of a Terraform root reaches a resource, a module, a local or an output.

A variable that only its own validation reads is a setting that does nothing
(health_check_regions was one: documented as a cost lever, passed nowhere).
Uses inside variables.tf (validations) do not count."""

from __future__ import annotations

import glob
import os
import re

import pytest

from terraform_plans import LAMBDA_FIXTURES, planned, resources

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ROOTS = ["terraform", "delivery", "remote-state"]
# Whole-line comments only: "//" and "/*" also occur inside strings (URLs, ARNs such as key/*).
COMMENT = re.compile(r"(?m)^\s*(#|//).*$")


def source(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return COMMENT.sub("", f.read())


def declared(root: str) -> list[str]:
    return sorted(n for p in glob.glob(os.path.join(REPO, root, "*.tf")) for n in re.findall(r'(?m)^variable\s+"([^"]+)"', source(p)))


def unused(root: str) -> list[str]:
    code = "\n".join(source(p) for p in glob.glob(os.path.join(REPO, root, "*.tf")) if os.path.basename(p) != "variables.tf")
    return [n for n in declared(root) if not re.search(r"\bvar\." + re.escape(n) + r"\b", code)]


@pytest.mark.parametrize("root", ROOTS)
def test_every_root_variable_is_used(root):
    assert declared(root), f"{root}/ declares no variables: the parser no longer finds them"
    assert unused(root) == [], f"{root}/: variables that reach no resource, module, local or output"


def test_health_check_regions_reach_the_health_checks():
    """The cost lever the README names: Route53 checks from the listed regions only."""
    checkers = ["eu-west-1", "us-east-1", "ap-southeast-1"]
    plan = planned("terraform", {"lambda_package_dir": LAMBDA_FIXTURES, "domain_name": "api.example.com", "health_check_regions": checkers})
    checks = [r for r in resources(plan) if r["type"] == "aws_route53_health_check"]
    assert len(checks) == 2 and all(sorted(c["values"]["regions"]) == sorted(checkers) for c in checks)
