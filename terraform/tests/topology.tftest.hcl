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

  # domain_validation_options is computed; the real provider returns one
  # entry per name on the certificate.
  mock_resource "aws_acm_certificate" {
    defaults = {
      domain_validation_options = [{
        domain_name           = "api.example.com"
        resource_record_name  = "_0123456789abcdef.api.example.com."
        resource_record_type  = "CNAME"
        resource_record_value = "_fedcba9876543210.acm-validations.aws."
      }]
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
    condition     = aws_dynamodb_table.this[0].region == "eu-central-1" && aws_dynamodb_table.this[0].name == "epochstore"
    error_message = "The table must be defined in the first region."
  }

  assert {
    condition = (
      aws_dynamodb_table.this[0].hash_key == "pk" && aws_dynamodb_table.this[0].range_key == "sk" &&
      toset([for a in aws_dynamodb_table.this[0].attribute : "${a.name}:${a.type}"]) == toset(["pk:S", "sk:S"])
    )
    error_message = "Key schema must be pk (S) / sk (S), the contract with the Rust store."
  }

  assert {
    condition     = [for r in aws_dynamodb_table.this[0].replica : r.region_name] == ["eu-west-3"]
    error_message = "Exactly one replica, in eu-west-3."
  }

  assert {
    condition     = alltrue([for r in aws_dynamodb_table.this[0].replica : r.point_in_time_recovery && r.kms_key_arn == aws_kms_key.regional[r.region_name].arn && r.deletion_protection_enabled])
    error_message = "Every replica needs PITR, a customer-managed key and deletion protection."
  }

  assert {
    condition     = aws_dynamodb_table.this[0].point_in_time_recovery[0].enabled && aws_dynamodb_table.this[0].server_side_encryption[0].kms_key_arn == aws_kms_key.regional["eu-central-1"].arn
    error_message = "The primary table needs PITR and SSE with the CMK."
  }

  assert {
    condition     = aws_dynamodb_table.this[0].stream_enabled && aws_dynamodb_table.this[0].stream_view_type == "NEW_AND_OLD_IMAGES"
    error_message = "Global tables need the NEW_AND_OLD_IMAGES stream."
  }

  assert {
    condition     = aws_dynamodb_table.this[0].ttl[0].enabled && aws_dynamodb_table.this[0].ttl[0].attribute_name == "expiresAt"
    error_message = "TTL must be enabled on expiresAt."
  }

  assert {
    condition     = aws_dynamodb_table.this[0].billing_mode == "PAY_PER_REQUEST" && aws_dynamodb_table.this[0].deletion_protection_enabled
    error_message = "On-demand billing and deletion protection by default."
  }

  assert {
    condition     = length(aws_kms_key.regional) == 2 && alltrue([for r, k in aws_kms_key.regional : k.region == r && k.enable_key_rotation])
    error_message = "One rotating CMK per region."
  }

  assert {
    condition = alltrue(flatten([for r, k in aws_kms_key.regional : [
      for s in jsondecode(k.policy).Statement : try(
        s.Condition.StringEquals["aws:SourceAccount"] == "123456789012" &&
        s.Condition.ArnLike["aws:SourceArn"] == "arn:aws:cloudwatch:${r}:123456789012:alarm:epochstore-*",
        false
      ) if s.Principal == { Service = "cloudwatch.amazonaws.com" }
    ]]))
    error_message = "CloudWatch may use a regional key only for this account's alarms of this deployment in that region (confused deputy)."
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
    condition     = output.dashboard_name == "epochstore-overview"
    error_message = "Dashboard output."
  }
}

run "functions_per_region" {
  assert {
    condition = alltrue(flatten([
      for r in ["eu-central-1", "eu-west-3"] : [
        for f, fn in module.region[r].functions : (
          fn.runtime == "provided.al2023" && tolist(fn.architectures) == tolist(["x86_64"]) &&
          fn.environment.TABLE_NAME == "epochstore" && fn.environment.WRITE_SHARDS == "1" && fn.environment.RETENTION_DAYS == "0" &&
          lookup(fn.environment, "STATUS", f == "health-check" ? "missing" : null) == (f == "health-check" ? "ok" : null)
        )
      ]
    ]))
    error_message = "Three functions per region with the right runtime, architecture and environment; STATUS only on health-check."
  }

  assert {
    condition     = length(distinct(flatten([for r in ["eu-central-1", "eu-west-3"] : [for fn in module.region[r].functions : fn.role_arn]]))) == 6
    error_message = "One role per function per region."
  }

  assert {
    condition     = alltrue([for r in ["eu-central-1", "eu-west-3"] : length(module.region[r].routes) == 8])
    error_message = "Every region serves the routes."
  }

  assert {
    condition     = length(module.dns_failover) == 0
    error_message = "No domain: no Route53 or ACM resource at all."
  }

  assert {
    condition = (
      jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets[0].properties.region == "eu-central-1" &&
      length(jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets) == 8
    )
    error_message = "One dashboard in the first region; no health-check widget without a domain; a canary widget."
  }

  assert {
    condition = alltrue([
      for k in ["kms", "secret", "password", "private_key"] : !strcontains(lower(jsonencode([
        output.global_url, output.regional_urls, output.table_name, output.health_check_ids,
        output.function_names, output.dashboard_name,
      ])), k)
    ])
    error_message = "Outputs carry names and URLs only, nothing secret."
  }
}

run "three_regions" {
  variables {
    regions = ["eu-central-1", "eu-west-3", "us-east-1"]
  }

  assert {
    condition     = toset([for r in aws_dynamodb_table.this[0].replica : r.region_name]) == toset(["eu-west-3", "us-east-1"])
    error_message = "A replica in every non-primary region."
  }

  assert {
    condition     = alltrue([for r in aws_dynamodb_table.this[0].replica : r.point_in_time_recovery && r.kms_key_arn == aws_kms_key.regional[r.region_name].arn])
    error_message = "Each replica uses its region's CMK and PITR."
  }

  assert {
    condition     = length(module.region) == 3 && length(output.regional_urls) == 3 && length(output.function_names) == 3
    error_message = "A full stack in each of the three regions."
  }

  assert {
    condition     = toset(keys(aws_kms_key.regional)) == toset(["eu-central-1", "eu-west-3", "us-east-1"])
    error_message = "One key per region."
  }
}

run "domain_mode" {
  variables {
    domain_name = "api.example.com"
  }

  assert {
    condition     = output.global_url == "https://api.example.com"
    error_message = "Global URL with a domain."
  }

  assert {
    condition     = toset(keys(output.health_check_ids)) == toset(["eu-central-1", "eu-west-3"])
    error_message = "One health check per region."
  }

  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets) == 9
    error_message = "The dashboard gains the health-check widget (beside the canary widget)."
  }

  assert {
    condition = alltrue([
      for m in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets[7].properties.metrics : m[0] == "AWS/Route53" && m[4].region == "us-east-1"
    ])
    error_message = "Health-check status comes from us-east-1."
  }
}

# PROVISIONED: the table without inline replicas, its autoscaling, then one
# aws_dynamodb_table_replica per other region after the primary's write
# autoscaling (DynamoDB refuses a replica before it, terraform-provider-aws#13097),
# then each replica region's read autoscaling. The order itself (depends_on) is read
# from the plan's configuration in tests/py/test_terraform_provisioned.py.
run "provisioned_billing" {
  command = plan

  variables {
    regions                        = ["eu-central-1", "eu-west-3", "us-east-1"]
    billing_mode                   = "PROVISIONED"
    read_capacity                  = 10
    write_capacity                 = 7
    autoscaling_max_read_capacity  = 100
    autoscaling_max_write_capacity = 70
  }

  assert {
    condition     = length(aws_dynamodb_table.this) == 0 && length(aws_dynamodb_table.provisioned) == 1
    error_message = "PROVISIONED: the provisioned table resource alone."
  }

  assert {
    condition = (
      aws_dynamodb_table.provisioned[0].billing_mode == "PROVISIONED" && aws_dynamodb_table.provisioned[0].region == "eu-central-1" &&
      aws_dynamodb_table.provisioned[0].read_capacity == 10 && aws_dynamodb_table.provisioned[0].write_capacity == 7
    )
    error_message = "The table starts at the autoscaling floors in the first region."
  }

  assert {
    condition     = length(aws_dynamodb_table.provisioned[0].replica) == 0
    error_message = "No inline replica: DynamoDB would refuse it before the write autoscaling exists."
  }

  assert {
    condition = (
      toset(keys(aws_dynamodb_table_replica.provisioned)) == toset(["eu-west-3", "us-east-1"]) &&
      alltrue([for r, rep in aws_dynamodb_table_replica.provisioned : rep.region == r && rep.point_in_time_recovery && rep.deletion_protection_enabled && rep.kms_key_arn == aws_kms_key.regional[r].arn])
    )
    error_message = "One replica resource per other region, with PITR, deletion protection and the region's key."
  }

  assert {
    condition = (
      aws_dynamodb_table.provisioned[0].stream_enabled && aws_dynamodb_table.provisioned[0].ttl[0].enabled &&
      aws_dynamodb_table.provisioned[0].point_in_time_recovery[0].enabled && aws_dynamodb_table.provisioned[0].deletion_protection_enabled &&
      aws_dynamodb_table.provisioned[0].server_side_encryption[0].kms_key_arn == aws_kms_key.regional["eu-central-1"].arn &&
      aws_dynamodb_table.provisioned[0].hash_key == "pk" && aws_dynamodb_table.provisioned[0].range_key == "sk"
    )
    error_message = "The provisioned table has the on-demand table's keys, stream, TTL, PITR, key and protection."
  }

  assert {
    condition = (
      length(module.primary_table_autoscaling) == 1 && toset(keys(module.replica_table_autoscaling)) == toset(["eu-west-3", "us-east-1"])
    )
    error_message = "Autoscaling in the primary region, and in each replica region."
  }

  assert {
    condition     = output.table_name == "epochstore" && alltrue([for r in module.region : r.functions["store-epoch-time"].environment.TABLE_NAME == "epochstore"])
    error_message = "Outputs and functions name the provisioned table."
  }
}

run "pay_per_request_has_no_provisioned_resources" {
  command = plan

  assert {
    condition = (
      length(aws_dynamodb_table.this) == 1 && aws_dynamodb_table.this[0].billing_mode == "PAY_PER_REQUEST" &&
      length(aws_dynamodb_table.provisioned) == 0 && length(aws_dynamodb_table_replica.provisioned) == 0 &&
      length(module.primary_table_autoscaling) == 0 && length(module.replica_table_autoscaling) == 0
    )
    error_message = "On demand: the inline-replica table alone, no autoscaling."
  }
}

run "retention_and_shards" {
  command = plan

  variables {
    retention_days      = 90
    write_shards        = 8
    deletion_protection = false
    architecture        = "arm64"
  }

  assert {
    condition     = alltrue([for f, fn in module.region["eu-west-3"].functions : fn.environment.RETENTION_DAYS == "90" && fn.environment.WRITE_SHARDS == "8"])
    error_message = "RETENTION_DAYS and WRITE_SHARDS reach the functions."
  }

  assert {
    condition     = !aws_dynamodb_table.this[0].deletion_protection_enabled && alltrue([for r in aws_dynamodb_table.this[0].replica : !r.deletion_protection_enabled])
    error_message = "deletion_protection switches table and replicas."
  }
}
