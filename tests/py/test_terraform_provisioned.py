"""PROVISIONED billing in the order DynamoDB accepts, read from offline plans of terraform/.

DynamoDB adds a replica to a provisioned table only once the table's write
capacity is auto-scaled ("Table write capacity should either be
Pay-Per-Request or AutoScaled", hashicorp/terraform-provider-aws#13097). The
plan's configuration shows the order Terraform will follow (depends_on and the
references that decide it), which `terraform test` cannot see; a state whose
capacity autoscaling has changed shows that no plan sets it back."""

from __future__ import annotations

import policy_scenarios
from terraform_plans import planned, replanned, require_offline_terraform

require_offline_terraform()

PROVISIONED = policy_scenarios.TERRAFORM_PLANS["PROVISIONED billing"]


def configuration() -> dict:
    return planned("terraform", PROVISIONED)["configuration"]["root_module"]


def config_resource(address: str) -> dict:
    return next(r for r in configuration()["resources"] if r["address"] == address)


def test_replicas_wait_for_the_primary_write_autoscaling():
    replica = config_resource("aws_dynamodb_table_replica.provisioned")
    assert replica["depends_on"] == ["module.primary_table_autoscaling"]
    # The module holds the primary region's write (and read) target and target-tracking policy.
    primary = configuration()["module_calls"]["primary_table_autoscaling"]
    assert primary["expressions"]["region"]["references"] == ["local.primary_region"]
    module_resources = {r["address"] for r in primary["module"]["resources"]}
    assert {"aws_appautoscaling_target.table", "aws_appautoscaling_policy.table"} <= module_resources


def test_replica_regions_scale_after_their_replica():
    call = configuration()["module_calls"]["replica_table_autoscaling"]
    assert "aws_dynamodb_table_replica.provisioned" in call["for_each_expression"]["references"]


def test_only_the_first_region_scales_writes():
    """DynamoDB copies the table's write autoscaling settings to every replica; a second policy on the same metric would fight it."""
    targets = {
        (c["change"]["after"]["region"], c["change"]["after"]["scalable_dimension"])
        for c in planned("terraform", PROVISIONED)["resource_changes"]
        if c["type"] == "aws_appautoscaling_target"
    }
    assert targets == {
        ("eu-central-1", "dynamodb:table:ReadCapacityUnits"),
        ("eu-central-1", "dynamodb:table:WriteCapacityUnits"),
        ("eu-west-3", "dynamodb:table:ReadCapacityUnits"),
    }


def test_regional_stacks_wait_for_the_replicas():
    """A region's canary starts with it: it must find the region's replica."""
    assert configuration()["module_calls"]["region"]["depends_on"] == ["aws_dynamodb_table_replica.provisioned"]


def test_the_provisioned_table_has_no_inline_replica():
    changes = {c["address"]: c for c in planned("terraform", PROVISIONED)["resource_changes"]}
    table = changes["aws_dynamodb_table.provisioned[0]"]["change"]["after"]
    assert table["billing_mode"] == "PROVISIONED" and table["replica"] == []
    assert "aws_dynamodb_table.this[0]" not in changes
    replicas = sorted(a for a in changes if a.startswith("aws_dynamodb_table_replica.provisioned"))
    assert replicas == ['aws_dynamodb_table_replica.provisioned["eu-west-3"]']


def test_a_plan_keeps_what_autoscaling_and_the_replica_resources_changed():
    """Autoscaling raised the capacity and DynamoDB lists the replica on the table: the next plan leaves the table alone."""
    def edit(state: dict) -> None:
        table = next(r for r in state["resources"] if r["type"] == "aws_dynamodb_table" and r["name"] == "provisioned")
        attributes = table["instances"][0]["attributes"]
        assert attributes["read_capacity"] == PROVISIONED.get("read_capacity", 5)
        attributes.update(read_capacity=42, write_capacity=17)
        attributes["replica"] = [{"region_name": "eu-west-3", "kms_key_arn": "", "point_in_time_recovery": True, "deletion_protection_enabled": True, "propagate_tags": False, "consistency_mode": "EVENTUAL", "arn": "", "stream_arn": "", "stream_label": ""}]

    changes = replanned("terraform", PROVISIONED, edit)
    assert changes["aws_dynamodb_table.provisioned[0]"]["change"]["actions"] == ["no-op"]


def test_an_on_demand_deployment_keeps_its_table():
    """State written before PROVISIONED billing holds the table as aws_dynamodb_table.this (no count):
    Terraform moves it to this[0] (a resource that gains count) without replacing it."""
    def edit(state: dict) -> None:
        table = next(r for r in state["resources"] if r["type"] == "aws_dynamodb_table" and r["name"] == "this")
        assert table["instances"][0].pop("index_key") == 0

    changes = replanned("terraform", policy_scenarios.BASE, edit)
    moved = changes["aws_dynamodb_table.this[0]"]
    assert moved.get("previous_address") == "aws_dynamodb_table.this"
    assert moved["change"]["actions"] == ["no-op"]
