# The state bucket: versioned, KMS-encrypted, private, TLS-only, logged;
# replication only when asked; a backend_config the root can init with.

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

  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:eu-central-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    }
  }

  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::epochstore-tfstate-123456789012-eu-central-1"
    }
  }
}

run "state_bucket" {
  assert {
    condition     = aws_s3_bucket.state.bucket == "epochstore-tfstate-123456789012-eu-central-1"
    error_message = "Default bucket name is unique per account and region."
  }

  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "Versioning."
  }

  assert {
    condition = anytrue([
      for r in aws_s3_bucket_server_side_encryption_configuration.state.rule : (
        r.apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" &&
        r.apply_server_side_encryption_by_default[0].kms_master_key_id == aws_kms_key.state.arn
      )
    ])
    error_message = "SSE-KMS with the state CMK."
  }

  assert {
    condition     = aws_kms_key.state.enable_key_rotation
    error_message = "Key rotation."
  }

  assert {
    condition = (
      aws_s3_bucket_public_access_block.state.block_public_acls && aws_s3_bucket_public_access_block.state.block_public_policy &&
      aws_s3_bucket_public_access_block.state.ignore_public_acls && aws_s3_bucket_public_access_block.state.restrict_public_buckets
    )
    error_message = "Public access blocked."
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.state.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs disabled."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_s3_bucket_policy.state.policy).Statement :
      s.Effect == "Deny" && s.Condition.Bool["aws:SecureTransport"] == "false" && s.Principal == "*"
    ])
    error_message = "TLS-only bucket policy."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.state.rule[0].noncurrent_version_expiration[0].noncurrent_days == 90
    error_message = "Superseded state versions expire."
  }

  assert {
    condition     = aws_s3_bucket_logging.state.target_bucket == aws_s3_bucket.logs.id
    error_message = "Access logging."
  }

  assert {
    condition     = length(aws_s3_bucket.replica) == 0 && length(aws_s3_bucket_replication_configuration.state) == 0 && length(aws_iam_role.replication) == 0
    error_message = "No replication by default."
  }

  assert {
    condition = (
      strcontains(output.backend_config, "bucket       = \"epochstore-tfstate-123456789012-eu-central-1\"") &&
      strcontains(output.backend_config, "key          = \"epochstore/terraform.tfstate\"") &&
      strcontains(output.backend_config, "region       = \"eu-central-1\"") &&
      strcontains(output.backend_config, "encrypt      = true") &&
      strcontains(output.backend_config, "kms_key_id   = \"${aws_kms_key.state.arn}\"") &&
      strcontains(output.backend_config, "use_lockfile = true") &&
      !strcontains(output.backend_config, "dynamodb_table")
    )
    error_message = "backend_config prints the partial backend configuration with native S3 locking."
  }

  assert {
    condition     = output.region == "eu-central-1"
    error_message = "region output: delivery/'s state_region and TF_STATE_REGION."
  }

  assert {
    condition = (
      strcontains(output.delivery_backend_config, "key          = \"bootstrap/delivery/terraform.tfstate\"") &&
      strcontains(output.self_backend_override, "key          = \"bootstrap/remote-state/terraform.tfstate\"") &&
      strcontains(output.self_backend_override, "backend \"s3\" {") &&
      alltrue([for c in [output.delivery_backend_config, output.self_backend_override] :
      strcontains(c, "bucket       = \"epochstore-tfstate-123456789012-eu-central-1\"") && strcontains(c, "use_lockfile = true")])
    )
    error_message = "The bootstrap roots' own states live in the bucket under bootstrap/, outside envs/ that the pipeline roles reach."
  }
}

run "with_replication" {
  variables {
    replication_region = "eu-west-3"
  }

  assert {
    condition     = aws_s3_bucket.replica[0].region == "eu-west-3" && aws_kms_key.replica[0].region == "eu-west-3" && aws_kms_key.replica[0].enable_key_rotation
    error_message = "Replica bucket and key in the second region."
  }

  assert {
    condition = (
      aws_s3_bucket_replication_configuration.state[0].role == aws_iam_role.replication[0].arn &&
      aws_s3_bucket_replication_configuration.state[0].rule[0].destination[0].bucket == aws_s3_bucket.replica[0].arn &&
      aws_s3_bucket_replication_configuration.state[0].rule[0].destination[0].encryption_configuration[0].replica_kms_key_id == aws_kms_key.replica[0].arn
    )
    error_message = "Replication to the replica bucket, re-encrypted with its key."
  }

  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_role_policy.replication[0].policy).Statement : concat(
        [for a in s.Action : !strcontains(a, "*")],
        [for r in s.Resource : r != "*"],
      )
    ]))
    error_message = "Replication role without wildcard actions or '*' resources."
  }

  assert {
    condition     = aws_s3_bucket_versioning.replica[0].versioning_configuration[0].status == "Enabled" && aws_s3_bucket_public_access_block.replica[0].restrict_public_buckets
    error_message = "Replica is versioned and private."
  }
}

run "same_region_replication_rejected" {
  command = plan

  variables {
    replication_region = "eu-central-1"
  }

  expect_failures = [var.replication_region]
}
