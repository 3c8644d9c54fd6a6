# Topology of the default two-region, no-domain deployment, planned and
# applied against the mocked provider.

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
    override_during = plan
    defaults = {
      arn                     = "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000000"
      id                      = "00000000-0000-0000-0000-000000000000"
      key_id                  = "00000000-0000-0000-0000-000000000000"
      multi_region            = false
      rotation_period_in_days = 365
    }
  }

  mock_resource "aws_apigatewayv2_api" {
    defaults = {
      api_endpoint  = "https://abcdef1234.execute-api.eu-central-1.amazonaws.com"
      execution_arn = "arn:aws:execute-api:eu-central-1:123456789012:abcdef1234"
    }
  }
}

override_resource {
  target          = aws_kms_key.regional["eu-west-3"]
  override_during = plan
  values = {
    arn                     = "arn:aws:kms:eu-west-3:123456789012:key/33333333-3333-3333-3333-333333333333"
    id                      = "33333333-3333-3333-3333-333333333333"
    key_id                  = "33333333-3333-3333-3333-333333333333"
    multi_region            = false
    rotation_period_in_days = 365
  }
}

variables {
  lambda_package_dir = "tests/fixtures/lambda"
}

run "plan_defaults" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.this.region == "eu-central-1" && aws_dynamodb_table.this.name == "epochstore"
    error_message = "The table must be defined in the first region."
  }

  assert {
    condition = (
      aws_dynamodb_table.this.hash_key == "pk" && aws_dynamodb_table.this.range_key == "sk" &&
      toset([for a in aws_dynamodb_table.this.attribute : "${a.name}:${a.type}"]) == toset(["pk:S", "sk:S"])
    )
    error_message = "Key schema must be pk (S) / sk (S), the contract with the Rust store."
  }

  assert {
    condition     = [for r in aws_dynamodb_table.this.replica : r.region_name] == ["eu-west-3"]
    error_message = "Exactly one replica, in eu-west-3."
  }

  assert {
    condition     = alltrue([for r in aws_dynamodb_table.this.replica : r.point_in_time_recovery && r.kms_key_arn == aws_kms_key.regional[r.region_name].arn && r.deletion_protection_enabled])
    error_message = "Every replica needs PITR, a customer-managed key and deletion protection."
  }

  assert {
    condition     = aws_dynamodb_table.this.point_in_time_recovery[0].enabled && aws_dynamodb_table.this.server_side_encryption[0].kms_key_arn == aws_kms_key.regional["eu-central-1"].arn
    error_message = "The primary table needs PITR and SSE with the CMK."
  }

  assert {
    condition     = aws_dynamodb_table.this.stream_enabled && aws_dynamodb_table.this.stream_view_type == "NEW_AND_OLD_IMAGES"
    error_message = "Global tables need the NEW_AND_OLD_IMAGES stream."
  }

  assert {
    condition     = aws_dynamodb_table.this.ttl[0].enabled && aws_dynamodb_table.this.ttl[0].attribute_name == "expiresAt"
    error_message = "TTL must be enabled on expiresAt."
  }

  assert {
    condition     = aws_dynamodb_table.this.billing_mode == "PAY_PER_REQUEST" && aws_dynamodb_table.this.deletion_protection_enabled
    error_message = "On-demand billing and deletion protection by default."
  }

  assert {
    condition     = length(aws_kms_key.regional) == 2 && alltrue([for r, k in aws_kms_key.regional : k.region == r && k.enable_key_rotation])
    error_message = "One rotating CMK per region."
  }
}

run "apply_defaults" {
  assert {
    condition     = output.table_name == "epochstore"
    error_message = "table_name output."
  }

  assert {
    condition     = output.global_url == null && output.health_check_ids == {}
    error_message = "No global URL or health checks without a domain."
  }

  assert {
    condition     = keys(output.regional_urls) == ["eu-central-1", "eu-west-3"] && alltrue([for u in values(output.regional_urls) : startswith(u, "https://")])
    error_message = "One https URL per region."
  }

  assert {
    condition = output.function_names == {
      for r in ["eu-central-1", "eu-west-3"] : r => {
        "store-epoch-time" = "epochstore-store-epoch-time"
        "get-epoch-store"  = "epochstore-get-epoch-store"
        "health-check"     = "epochstore-health-check"
      }
    }
    error_message = "Three functions per region with the contract names."
  }

  assert {
    condition     = length(output.failed_regions) == 0 && output.dashboard_name == "epochstore-overview"
    error_message = "failed_regions and dashboard outputs."
  }
}
