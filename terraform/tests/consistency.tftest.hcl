# consistency_mode: the default MREC table, both MRSC shapes (three replicas,
# two replicas plus a witness), and every combination DynamoDB refuses (or,
# STRONG with PROVISIONED, the provider cannot express).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

variables {
  lambda_package_dir = "tests/fixtures/lambda"
}

run "eventual_by_default" {
  command = plan

  assert {
    condition     = local.function_environment.CONSISTENT_READS == "false"
    error_message = "EVENTUAL: eventually consistent reads (half the read units)."
  }

  assert {
    condition     = alltrue([for r in aws_dynamodb_table.this[0].replica : r.consistency_mode == "EVENTUAL"]) && length(aws_dynamodb_table.this[0].global_table_witness) == 0
    error_message = "EVENTUAL (MREC) replicas and no witness by default."
  }

  assert {
    condition     = aws_dynamodb_table.this[0].stream_enabled && length(aws_dynamodb_table.this[0].ttl) == 1 && aws_dynamodb_table.this[0].ttl[0].enabled
    error_message = "MREC keeps the replication stream and TTL."
  }
}

run "strong_three_replicas" {
  command = plan

  variables {
    consistency_mode = "STRONG"
    regions          = ["eu-central-1", "eu-west-3", "eu-west-1"]
  }

  assert {
    condition = (
      toset([for r in aws_dynamodb_table.this[0].replica : r.region_name]) == toset(["eu-west-3", "eu-west-1"]) &&
      alltrue([for r in aws_dynamodb_table.this[0].replica : r.consistency_mode == "STRONG" && r.point_in_time_recovery && r.deletion_protection_enabled])
    )
    error_message = "Two STRONG replicas beside the table, with PITR and deletion protection."
  }

  assert {
    condition     = length(aws_dynamodb_table.this[0].global_table_witness) == 0
    error_message = "Three replicas need no witness."
  }

  assert {
    condition     = length(aws_dynamodb_table.this[0].ttl) == 0 && !aws_dynamodb_table.this[0].stream_enabled
    error_message = "MRSC: no TTL (unsupported) and no stream (replication does not use one)."
  }

  assert {
    condition     = length(module.region) == 3
    error_message = "A regional stack in each of the three regions."
  }

  assert {
    condition     = local.function_environment.CONSISTENT_READS == "true"
    error_message = "STRONG: the functions read with ConsistentRead, so listings see every acknowledged write."
  }
}

run "strong_two_replicas_and_witness" {
  command = plan

  variables {
    consistency_mode = "STRONG"
    regions          = ["us-east-1", "us-east-2"]
    witness_region   = "us-west-2"
  }

  assert {
    condition     = [for r in aws_dynamodb_table.this[0].replica : [r.region_name, r.consistency_mode]] == [["us-east-2", "STRONG"]]
    error_message = "One STRONG replica beside the table."
  }

  assert {
    condition     = [for w in aws_dynamodb_table.this[0].global_table_witness : w.region_name] == ["us-west-2"]
    error_message = "The witness in the third region."
  }

  assert {
    condition     = length(module.region) == 2
    error_message = "No stack in the witness region: it serves no reads or writes."
  }
}

# An otherwise valid MRSC deployment: only PROVISIONED is refused (its replicas
# are aws_dynamodb_table_replica resources, which cannot create MRSC replicas).
run "strong_with_provisioned_billing" {
  command = plan
  variables {
    consistency_mode = "STRONG"
    regions          = ["eu-west-3", "eu-west-1", "eu-central-1"]
    billing_mode     = "PROVISIONED"
  }
  expect_failures = [var.consistency_mode]
}

run "strong_with_two_regions_and_no_witness" {
  command = plan
  variables {
    consistency_mode = "STRONG"
    regions          = ["eu-central-1", "eu-west-3"]
  }
  expect_failures = [var.consistency_mode]
}

run "strong_with_four_regions" {
  command = plan
  variables {
    consistency_mode = "STRONG"
    regions          = ["eu-central-1", "eu-west-3", "eu-west-1", "eu-west-2"]
  }
  expect_failures = [var.consistency_mode]
}

run "strong_with_three_regions_and_a_witness" {
  command = plan
  variables {
    consistency_mode = "STRONG"
    regions          = ["eu-central-1", "eu-west-3", "eu-west-1"]
    witness_region   = "eu-west-2"
  }
  expect_failures = [var.consistency_mode]
}

run "witness_with_eventual" {
  command = plan
  variables {
    witness_region = "eu-west-1"
  }
  expect_failures = [var.consistency_mode]
}

run "strong_across_region_sets" {
  command = plan
  variables {
    consistency_mode = "STRONG"
    regions          = ["eu-central-1", "eu-west-3", "us-east-1"]
  }
  expect_failures = [var.consistency_mode]
}

run "witness_outside_the_region_set" {
  command = plan
  variables {
    consistency_mode = "STRONG"
    regions          = ["ap-northeast-1", "ap-northeast-2"]
    witness_region   = "us-west-2"
  }
  expect_failures = [var.consistency_mode]
}

run "strong_region_without_mrsc" {
  command = plan
  variables {
    consistency_mode = "STRONG"
    regions          = ["sa-east-1", "us-east-1", "us-east-2"]
  }
  expect_failures = [var.consistency_mode]
}

run "strong_with_retention" {
  command = plan
  variables {
    consistency_mode = "STRONG"
    regions          = ["eu-central-1", "eu-west-3", "eu-west-1"]
    retention_days   = 30
  }
  expect_failures = [var.consistency_mode]
}

run "witness_is_a_replica_region" {
  command = plan
  variables {
    consistency_mode = "STRONG"
    regions          = ["eu-central-1", "eu-west-3"]
    witness_region   = "eu-west-3"
  }
  expect_failures = [var.witness_region]
}

run "unknown_consistency_mode" {
  command = plan
  variables {
    consistency_mode = "STRONGLY_CONSISTENT"
  }
  expect_failures = [var.consistency_mode]
}
