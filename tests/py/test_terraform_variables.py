"""Every variable of a Terraform root reaches a resource, a module call, a
provider or an output, read from the plan's configuration (terraform show
-json), following locals.

A variable that only its own validation, or only a local nothing reads, uses
is a setting that does nothing (health_check_regions was one: documented as a
cost lever, passed nowhere). The plan's configuration lists each block's
references but leaves out locals and `dynamic` blocks (seen with Terraform
1.15: a resource's dynamic "replica" has no entry in its expressions). Those
two are read from the source, as `terraform fmt` lays them out: a local's
definition is `  name = expression` inside a top-level `locals {` block, and a
dynamic block ends at the `}` of its own indentation; every dynamic block sits
in a resource, so what it references is reached."""

from __future__ import annotations

import glob
import os
import re

import pytest

import policy_scenarios
from terraform_plans import LAMBDA_FIXTURES, REPO, planned, require_offline_terraform, resources

require_offline_terraform()

ROOTS = {
    "terraform": policy_scenarios.BASE,
    "delivery": policy_scenarios.DELIVERY,
    "remote-state": policy_scenarios.REMOTE_STATE,
}
REFERENCE = re.compile(r"\b(var|local)\.([A-Za-z_][A-Za-z0-9_-]*)")
LOCALS_BLOCK = re.compile(r"(?ms)^locals \{\n(.*?)^\}")
LOCAL_NAME = re.compile(r"(?m)^  ([A-Za-z_][A-Za-z0-9_-]*)\s*=")
DYNAMIC_BLOCK = re.compile(r'(?ms)^( +)dynamic "[^"]+" \{\n(.*?)^\1\}')
COMMENT = re.compile(r"(?m)^\s*(#|//).*$")


def references(node) -> set[tuple[str, str]]:
    """("var"|"local", name) of every `references` list anywhere under node."""
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "references":
                found |= {m.groups() for ref in value if (m := REFERENCE.match(ref))}
            else:
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found


def sources(root_dir: str) -> list[str]:
    texts = []
    for path in glob.glob(os.path.join(root_dir, "*.tf")):
        with open(path, encoding="utf-8") as f:
            texts.append(COMMENT.sub("", f.read()))
    return texts


def dynamic_block_references(root_dir: str) -> set[tuple[str, str]]:
    return {ref for text in sources(root_dir) for _, body in DYNAMIC_BLOCK.findall(text) for ref in REFERENCE.findall(body)}


def local_references(root_dir: str) -> dict[str, set[tuple[str, str]]]:
    """local name -> what its definition references."""
    out = {}
    for text in sources(root_dir):
        for body in LOCALS_BLOCK.findall(text):
            names = list(LOCAL_NAME.finditer(body))
            for this, following in zip(names, names[1:] + [None]):
                definition = body[this.end():following.start() if following else len(body)]
                out[this.group(1)] = set(REFERENCE.findall(definition))
    return out


def unused(root_dir: str, plan: dict) -> list[str]:
    """Variables of the root that no resource, module call, provider or output reaches."""
    configuration = plan["configuration"]
    module = configuration["root_module"]
    providers = {k: v for k, v in configuration.get("provider_config", {}).items() if "module_address" not in v}
    reached = references([module.get("resources", []), module.get("module_calls", {}), module.get("outputs", {}), providers])
    reached |= dynamic_block_references(root_dir)
    definitions = local_references(root_dir)
    pending = [name for kind, name in reached if kind == "local"]
    while pending:
        name = pending.pop()
        for kind, referenced in definitions.get(name, set()) - reached:
            reached.add((kind, referenced))
            if kind == "local":
                pending.append(referenced)
    return sorted(set(module.get("variables", {})) - {name for kind, name in reached if kind == "var"})


@pytest.mark.parametrize("root", ROOTS)
def test_every_root_variable_is_used(root):
    plan = planned(root, ROOTS[root])
    assert plan["configuration"]["root_module"].get("variables"), f"{root}/ declares no variables: the plan no longer lists them"
    assert unused(os.path.join(REPO, root), plan) == [], \
        f"{root}/: variables that reach no resource, module call, provider or output"


UNUSED_FIXTURE = {
    "variables.tf": 'variable "orphan" {\n  type = string\n}\n\n'
                    'variable "chained" {\n  type = string\n}\n\n'
                    'variable "validated_only" {\n  type = string\n  validation {\n'
                    '    condition     = length(var.validated_only) > 0\n    error_message = "empty"\n  }\n}\n',
    "main.tf": 'locals {\n  only_here = upper(var.orphan)\n  first     = "${var.chained}-1"\n  second    = local.first\n}\n\n'
               'output "chained" {\n  value = local.second\n}\n',
}


def test_a_variable_read_only_by_an_unused_local_or_its_validation_is_unused(tmp_path):
    root = tmp_path / "fixture"
    root.mkdir()
    for name, text in UNUSED_FIXTURE.items():
        (root / name).write_text(text)
    plan = planned(str(root), {"orphan": "a", "chained": "b", "validated_only": "c"})
    assert unused(str(root), plan) == ["orphan", "validated_only"]


def test_health_check_regions_reach_the_health_checks():
    """The cost lever the README names: Route53 checks from the listed regions only."""
    checkers = ["eu-west-1", "us-east-1", "ap-southeast-1"]
    plan = planned("terraform", {"lambda_package_dir": LAMBDA_FIXTURES, "domain_name": "api.example.com", "health_check_regions": checkers})
    checks = [r for r in resources(plan) if r["type"] == "aws_route53_health_check"]
    assert len(checks) == 2 and all(sorted(c["values"]["regions"]) == sorted(checkers) for c in checks)
