# Inside the modules: every name starts with the module's name (the root
# passes <name>-<environment>), and the region module's optional JWT
# authorizer guards POST /storeEpochTime only. The file-level variables serve
# both modules: they share only name, account_id, partition and alarm_email.

mock_provider "aws" {
  mock_resource "aws_acm_certificate" {
    defaults = {
      domain_validation_options = [{
        domain_name           = "dev.api.example.com"
        resource_record_name  = "_0123456789abcdef.dev.api.example.com."
        resource_record_type  = "CNAME"
        resource_record_value = "_fedcba9876543210.acm-validations.aws."
      }]
    }
  }
}

variables {
  name        = "epochstore-dev"
  account_id  = "123456789012"
  partition   = "aws"
  alarm_email = "ops@example.com"

  # modules/region
  region       = "eu-west-3"
  peer_regions = ["eu-central-1"]
  kms_key_arn  = "arn:aws:kms:eu-west-3:123456789012:key/33333333-3333-3333-3333-333333333333"
  table_name   = "epochstore-dev"
  table_arn    = "arn:aws:dynamodb:eu-west-3:123456789012:table/epochstore-dev"
  packages = {
    for f in ["store-epoch-time", "get-epoch-store", "health-check"] : f => {
      filename = "tests/fixtures/lambda/${f}/bootstrap.zip"
      hash     = "hash-of-${f}"
    }
  }
  architecture            = "x86_64"
  memory_size             = 128
  timeout                 = 10
  provisioned_concurrency = 0
  environment = {
    TABLE_NAME     = "epochstore-dev"
    WRITE_SHARDS   = "1"
    RETENTION_DAYS = "0"
  }
  log_retention_days     = 7
  throttling_burst_limit = 100
  throttling_rate_limit  = 50

  # modules/dns_failover
  domain_name           = "dev.api.example.com"
  hosted_zone_name      = "example.com"
  failure_threshold     = 3
  set_identifier_prefix = "epochstore-dev-"
  regions = {
    for r in ["eu-central-1", "eu-west-3"] : r => {
      api_id       = "api-${r}"
      api_endpoint = "https://api-${r}.execute-api.${r}.amazonaws.com"
      stage_name   = "$default"
      weight       = 100
    }
  }
}

# The authorizer on, so that every named resource exists.
run "region_names_carry_the_environment" {
  module {
    source = "./modules/region"
  }

  variables {
    jwt_authorizer = { issuer = "https://issuer.example.com", audience = ["client"] }
  }

  assert {
    condition = alltrue([
      for n in concat(
        [for r in aws_iam_role.lambda : r.name],
        [for f in aws_lambda_function.this : f.function_name],
        [for g in aws_cloudwatch_log_group.lambda : g.name],
        [for a in aws_cloudwatch_metric_alarm.this : a.alarm_name],
        [
          aws_apigatewayv2_api.this.name, aws_cloudwatch_log_group.api_access.name,
          aws_apigatewayv2_authorizer.jwt[0].name, aws_sns_topic.alarms.name,
        ],
      ) : can(regex("(^|/)epochstore-dev-", n))
    ])
    error_message = "Every name in the region module starts with the name it is given."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.this) > 0
    error_message = "The names above cover the alarms."
  }
}

run "autoscaling_names_carry_the_environment" {
  module {
    source = "./modules/table_autoscaling"
  }

  variables {
    table_name = "epochstore-dev"
    capacity   = { min_read = 5, max_read = 50, min_write = 5, max_write = 50, target_percent = 70 }
  }

  assert {
    condition     = length(aws_appautoscaling_policy.table) == 2 && alltrue([for p in aws_appautoscaling_policy.table : startswith(p.name, "epochstore-dev-")])
    error_message = "Both autoscaling policies' names start with the name the module is given."
  }
}

run "dns_names_carry_the_environment" {
  module {
    source = "./modules/dns_failover"
  }

  assert {
    condition = alltrue([
      for n in concat(
        [for hc in aws_route53_health_check.this : hc.tags.Name],
        [for rec in aws_route53_record.weighted : rec.set_identifier],
        [for a in aws_cloudwatch_metric_alarm.health : a.alarm_name],
        [aws_sns_topic.health.name, aws_kms_key.alarms.description],
      ) : startswith(n, "epochstore-dev-") || startswith(n, "epochstore-dev:")
    ])
    error_message = "Health checks, set identifiers, alarms, topic and key carry the environment."
  }

  assert {
    condition     = { for r, rec in aws_route53_record.weighted : r => rec.set_identifier } == { "eu-central-1" = "epochstore-dev-eu-central-1", "eu-west-3" = "epochstore-dev-eu-west-3" }
    error_message = "Set identifiers are the prefix and the region."
  }
}

run "no_authorizer_by_default" {
  module {
    source = "./modules/region"
  }

  assert {
    condition     = length(aws_apigatewayv2_authorizer.jwt) == 0 && output.jwt_routes == []
    error_message = "No authorizer without jwt_authorizer."
  }

  assert {
    condition     = alltrue([for r in aws_apigatewayv2_route.this : r.authorization_type == "NONE" && r.authorizer_id == null])
    error_message = "Every route is public by default."
  }
}

run "authorizer_guards_writes_only" {
  module {
    source = "./modules/region"
  }

  variables {
    jwt_authorizer = {
      issuer   = "https://cognito-idp.eu-west-3.amazonaws.com/eu-west-3_Example"
      audience = ["client-a", "client-b"]
    }
  }

  assert {
    condition = (
      aws_apigatewayv2_authorizer.jwt[0].authorizer_type == "JWT" &&
      aws_apigatewayv2_authorizer.jwt[0].api_id == aws_apigatewayv2_api.this.id &&
      aws_apigatewayv2_authorizer.jwt[0].region == "eu-west-3" &&
      aws_apigatewayv2_authorizer.jwt[0].identity_sources == toset(["$request.header.Authorization"]) &&
      aws_apigatewayv2_authorizer.jwt[0].jwt_configuration[0].issuer == "https://cognito-idp.eu-west-3.amazonaws.com/eu-west-3_Example" &&
      aws_apigatewayv2_authorizer.jwt[0].jwt_configuration[0].audience == toset(["client-a", "client-b"])
    )
    error_message = "A JWT authorizer on this API reading the Authorization header, with the given issuer and audiences."
  }

  assert {
    condition = alltrue([
      for k, r in aws_apigatewayv2_route.this : k == "POST /storeEpochTime"
      ? r.authorization_type == "JWT" && r.authorizer_id == aws_apigatewayv2_authorizer.jwt[0].id
      : r.authorization_type == "NONE" && r.authorizer_id == null
    ])
    error_message = "Only POST /storeEpochTime needs a token; reads, /health and CORS preflights stay public."
  }

  assert {
    condition     = output.jwt_routes == ["POST /storeEpochTime"] && length(aws_apigatewayv2_route.this) == 8
    error_message = "jwt_routes lists the guarded route among the eight."
  }
}
