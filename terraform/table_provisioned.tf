# The global table in PROVISIONED mode, built in the order DynamoDB accepts:
#   1. the table in the primary region, without replicas;
#   2. its read and write target-tracking autoscaling;
#   3. one replica per other region: DynamoDB adds a replica to a provisioned
#      table only once its write capacity is auto-scaled ("Table write capacity
#      should either be Pay-Per-Request or AutoScaled",
#      https://github.com/hashicorp/terraform-provider-aws/issues/13097);
#   4. each replica region's read autoscaling, once its replica exists (DynamoDB
#      copies the write autoscaling settings to every replica itself).
# Always MREC: consistency_mode = STRONG is refused with PROVISIONED (variables.tf).

# The same table as aws_dynamodb_table.this (main.tf) but for billing, replicas
# and lifecycle: a lifecycle block cannot be conditional, so each mode has its
# own resource (topology.tftest.hcl's provisioned_billing keeps them alike).
resource "aws_dynamodb_table" "provisioned" {
  count = local.provisioned ? 1 : 0

  region                      = local.primary_region
  name                        = local.table_name
  billing_mode                = "PROVISIONED"
  read_capacity               = var.read_capacity
  write_capacity              = var.write_capacity
  deletion_protection_enabled = var.deletion_protection

  # Key schema: the contract with the Rust store (crates/epochstore).
  hash_key  = "pk"
  range_key = "sk"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  # MREC replicates through the stream.
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.regional[local.primary_region].arn
  }

  lifecycle {
    # Autoscaling owns the capacity from step 2 on: a plan must not set it back
    # to the floors. The replicas are aws_dynamodb_table_replica resources,
    # which the provider's documentation of that resource says to pair with
    # ignore_changes on the table's replica blocks
    # (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/dynamodb_table_replica).
    ignore_changes = [replica, read_capacity, write_capacity]
  }
}

module "primary_table_autoscaling" {
  source = "./modules/table_autoscaling"
  count  = local.provisioned ? 1 : 0

  name       = local.name
  region     = local.primary_region
  table_name = aws_dynamodb_table.provisioned[0].name
  capacity   = local.autoscaling
}

# A replica's write capacity is the table's (a replica may override only its
# read capacity: ReplicaUpdate's ProvisionedThroughputOverride, DynamoDB API
# reference); this resource has no capacity argument for a plan to revert.
resource "aws_dynamodb_table_replica" "provisioned" {
  for_each = toset(local.provisioned ? local.replica_regions : [])

  region                      = each.key
  global_table_arn            = aws_dynamodb_table.provisioned[0].arn
  kms_key_arn                 = aws_kms_key.regional[each.key].arn
  point_in_time_recovery      = true
  deletion_protection_enabled = var.deletion_protection

  depends_on = [module.primary_table_autoscaling]
}

# Keyed by the replicas, so that each region's autoscaling waits for its replica.
module "replica_table_autoscaling" {
  source   = "./modules/table_autoscaling"
  for_each = aws_dynamodb_table_replica.provisioned

  name       = local.name
  region     = each.key
  table_name = aws_dynamodb_table.provisioned[0].name
  capacity   = local.autoscaling
  dimensions = ["read"]
}

locals {
  autoscaling = {
    min_read       = var.read_capacity
    max_read       = var.autoscaling_max_read_capacity
    min_write      = var.write_capacity
    max_write      = var.autoscaling_max_write_capacity
    target_percent = var.autoscaling_target_utilization
  }
}
