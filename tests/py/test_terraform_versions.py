"""Every root and module admits only hashicorp/aws releases that have every argument used.

The floor is 6.22.0, the first release with aws_dynamodb_table's
global_table_witness (provider CHANGELOG, 6.22.0, #43908); replica.consistency_mode
came in 6.3.0 (#43236) and resources' `region` argument in 6.0.0. A constraint
such as "~> 6.0" would let `terraform init` pick a release that rejects them."""

from __future__ import annotations

import glob
import os
import re

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FLOOR = (6, 22)
VERSIONS = sorted(
    p for root in ("terraform", "delivery", "remote-state") for p in glob.glob(os.path.join(REPO, root, "**", "versions.tf"), recursive=True) if "/.terraform/" not in p
)


def aws_constraint(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        block = re.search(r'aws\s*=\s*\{[^}]*\}', f.read(), re.S)
    assert block, f"{path}: no hashicorp/aws requirement"
    return re.search(r'version\s*=\s*"([^"]+)"', block.group(0)).group(1)


def test_every_root_and_module_is_listed():
    assert {os.path.relpath(os.path.dirname(p), REPO) for p in VERSIONS} >= {
        "terraform", "delivery", "remote-state", "terraform/modules/region", "terraform/modules/dns_failover", "terraform/modules/canary",
    }


@pytest.mark.parametrize("path", VERSIONS, ids=lambda p: os.path.relpath(p, REPO))
def test_provider_floor(path):
    constraint = aws_constraint(path)
    floor = re.fullmatch(r"(?:~>|>=)\s*(\d+)\.(\d+)(?:\.\d+)?", constraint)
    assert floor, f"{constraint!r}: expected '~> X.Y' (roots) or '>= X.Y' (modules)"
    assert (int(floor.group(1)), int(floor.group(2))) >= FLOOR, f"{constraint!r} admits releases before 6.22.0"
