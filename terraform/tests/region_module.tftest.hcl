# The per-region stack on its own: least-privilege roles, routes, logs,
# throttling, alarms and provisioned concurrency (table autoscaling:
# table_autoscaling_module.tftest.hcl).

mock_provider "aws" {
  mock_resource "aws_apigatewayv2_api" {
    defaults = {
      api_endpoint  = "https://abcdef1234.execute-api.eu-west-3.amazonaws.com"
      execution_arn = "arn:aws:execute-api:eu-west-3:123456789012:abcdef1234"
    }
  }
}

variables {
  name         = "epochstore"
  region       = "eu-west-3"
  peer_regions = ["eu-central-1", "us-east-1"]
  account_id   = "123456789012"
  partition    = "aws"
  kms_key_arn  = "arn:aws:kms:eu-west-3:123456789012:key/33333333-3333-3333-3333-333333333333"
  table_name   = "epochstore"
  table_arn    = "arn:aws:dynamodb:eu-west-3:123456789012:table/epochstore"
  packages = {
    for f in ["store-epoch-time", "get-epoch-store", "health-check"] : f => {
      filename = "tests/fixtures/lambda/${f}/bootstrap.zip"
      hash     = "hash-of-${f}"
    }
  }
  architecture            = "arm64"
  memory_size             = 128
  timeout                 = 10
  provisioned_concurrency = 0
  environment = {
    TABLE_NAME     = "epochstore"
    WRITE_SHARDS   = "4"
    RETENTION_DAYS = "0"
  }
  log_retention_days     = 30
  throttling_burst_limit = 500
  throttling_rate_limit  = 1000
  alarm_email            = ""
}

run "least_privilege_roles" {
  module {
    source = "./modules/region"
  }

  assert {
    condition = {
      for f, p in aws_iam_role_policy.lambda : f => toset(flatten([for s in jsondecode(p.policy).Statement : s.Action]))
      } == {
      "store-epoch-time" = toset(["dynamodb:PutItem", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey", "logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"])
      "get-epoch-store"  = toset(["dynamodb:Query", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey", "logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"])
      "health-check"     = toset(["dynamodb:GetItem", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey", "logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"])
    }
    error_message = "Each role must allow exactly its function's actions."
  }

  assert {
    condition = alltrue(flatten([
      for p in aws_iam_role_policy.lambda : [
        for s in jsondecode(p.policy).Statement : concat(
          [for a in flatten([s.Action]) : !strcontains(a, "*")],
          [s.Effect == "Allow"],
        )
      ]
    ]))
    error_message = "No wildcard action, allow statements only."
  }

  assert {
    condition = alltrue([
      for p in aws_iam_role_policy.lambda : [
        for s in jsondecode(p.policy).Statement : toset(flatten([s.Action])) if contains(flatten([s.Resource]), "*")
      ] == [toset(["xray:PutTraceSegments", "xray:PutTelemetryRecords"])]
    ])
    error_message = "The only '*' resource is the X-Ray write statement, with exactly its two actions (they have no resource-level permissions)."
  }

  assert {
    condition = alltrue(flatten([
      for p in aws_iam_role_policy.lambda : [
        for s in jsondecode(p.policy).Statement : [for r in flatten([s.Resource]) : r == "*" || startswith(r, "arn:aws:")]
      ]
    ]))
    error_message = "Every other resource is an ARN."
  }

  assert {
    condition = alltrue(flatten([
      for p in aws_iam_role_policy.lambda : [
        for s in jsondecode(p.policy).Statement : flatten([s.Resource]) == ["arn:aws:dynamodb:eu-west-3:123456789012:table/epochstore"]
        if anytrue([for a in flatten([s.Action]) : startswith(a, "dynamodb:")])
      ]
    ]))
    error_message = "DynamoDB actions only on this region's table ARN."
  }

  assert {
    condition = alltrue(flatten([
      for p in aws_iam_role_policy.lambda : [
        for s in jsondecode(p.policy).Statement : (
          flatten([s.Resource]) == [var.kms_key_arn] &&
          contains(["dynamodb.eu-west-3.amazonaws.com", "lambda.eu-west-3.amazonaws.com"], s.Condition.StringEquals["kms:ViaService"])
        )
        if anytrue([for a in flatten([s.Action]) : startswith(a, "kms:")])
      ]
    ]))
    error_message = "KMS use only on this region's key, only through DynamoDB or Lambda."
  }

  assert {
    condition = alltrue([
      for f, p in aws_iam_role_policy.lambda : alltrue([
        for s in jsondecode(p.policy).Statement : flatten([s.Resource]) == ["arn:aws:logs:eu-west-3:123456789012:log-group:/aws/lambda/epochstore-${f}:*"]
        if anytrue([for a in flatten([s.Action]) : startswith(a, "logs:")])
      ])
    ])
    error_message = "Each function may write only to its own log group."
  }

  assert {
    condition     = { for f, fn in aws_lambda_function.this : f => fn.role } == { for f, r in aws_iam_role.lambda : f => r.arn }
    error_message = "One role per function."
  }

  assert {
    condition     = alltrue([for r in aws_iam_role.lambda : jsondecode(r.assume_role_policy).Statement[0].Principal.Service == "lambda.amazonaws.com"])
    error_message = "Roles are assumable by Lambda only."
  }
}

run "permissions_boundary" {
  module {
    source = "./modules/region"
  }

  variables {
    permissions_boundary_arn = "arn:aws:iam::123456789012:policy/github-actions/epochstore-boundary-dev"
  }

  assert {
    condition     = alltrue([for r in aws_iam_role.lambda : r.permissions_boundary == "arn:aws:iam::123456789012:policy/github-actions/epochstore-boundary-dev"])
    error_message = "Every function role carries the boundary delivery/'s deploy roles require."
  }
}

run "no_permissions_boundary_by_default" {
  module {
    source = "./modules/region"
  }

  assert {
    condition     = alltrue([for r in aws_iam_role.lambda : r.permissions_boundary == null])
    error_message = "Without permissions_boundary_arn the roles have no boundary."
  }
}

run "functions_api_logs" {
  module {
    source = "./modules/region"
  }

  assert {
    condition = alltrue([
      for f, fn in aws_lambda_function.this : (
        fn.function_name == "epochstore-${f}" && fn.region == "eu-west-3" &&
        fn.runtime == "provided.al2023" && fn.handler == "bootstrap" && tolist(fn.architectures) == tolist(["arm64"]) &&
        fn.memory_size == 128 && fn.timeout == 10 && fn.kms_key_arn == var.kms_key_arn &&
        fn.logging_config[0].log_format == "JSON" && fn.filename == "tests/fixtures/lambda/${f}/bootstrap.zip" &&
        fn.source_code_hash == "hash-of-${f}" && !fn.publish && fn.tracing_config[0].mode == "Active"
      )
    ])
    error_message = "Function settings (runtime, handler, architecture, memory, timeout, JSON logs, package, active tracing)."
  }

  assert {
    condition = tomap({ for f, fn in aws_lambda_function.this : f => fn.environment[0].variables }) == tomap({
      "store-epoch-time" = tomap({ TABLE_NAME = "epochstore", WRITE_SHARDS = "4", RETENTION_DAYS = "0" })
      "get-epoch-store"  = tomap({ TABLE_NAME = "epochstore", WRITE_SHARDS = "4", RETENTION_DAYS = "0" })
      "health-check"     = tomap({ TABLE_NAME = "epochstore", WRITE_SHARDS = "4", RETENTION_DAYS = "0", STATUS = "ok" })
    })
    error_message = "Environment variables per function."
  }

  assert {
    condition     = output.routes == { "POST /storeEpochTime" = "store-epoch-time", "OPTIONS /storeEpochTime" = "store-epoch-time", "GET /getEpochStore" = "get-epoch-store", "HEAD /getEpochStore" = "get-epoch-store", "OPTIONS /getEpochStore" = "get-epoch-store", "GET /health" = "health-check", "HEAD /health" = "health-check", "OPTIONS /health" = "health-check" }
    error_message = "Exactly the contract routes, each on its owning function."
  }

  assert {
    condition = alltrue([
      for k, r in aws_apigatewayv2_route.this : r.target == "integrations/${aws_apigatewayv2_integration.this[output.routes[k]].id}"
    ])
    error_message = "Routes target their function's integration."
  }

  assert {
    condition = alltrue([
      for f, i in aws_apigatewayv2_integration.this : i.integration_type == "AWS_PROXY" && i.payload_format_version == "2.0" && i.integration_uri == aws_lambda_function.this[f].arn
    ])
    error_message = "Lambda proxy integrations, payload format 2.0."
  }

  assert {
    condition     = aws_apigatewayv2_api.this.protocol_type == "HTTP" && aws_apigatewayv2_stage.default.name == "$default" && aws_apigatewayv2_stage.default.auto_deploy
    error_message = "HTTP API with an auto-deployed $default stage."
  }

  assert {
    condition     = aws_apigatewayv2_stage.default.default_route_settings[0].throttling_burst_limit == 500 && aws_apigatewayv2_stage.default.default_route_settings[0].throttling_rate_limit == 1000
    error_message = "Stage throttling."
  }

  assert {
    condition = (
      aws_apigatewayv2_stage.default.access_log_settings[0].destination_arn == aws_cloudwatch_log_group.api_access.arn &&
      alltrue([for k in ["requestId", "ip", "routeKey", "status", "latency", "integrationLatency", "region"] : contains(keys(jsondecode(aws_apigatewayv2_stage.default.access_log_settings[0].format)), k)])
    )
    error_message = "JSON access logs with the operator's fields."
  }

  assert {
    condition = alltrue([
      for lg in concat(values(aws_cloudwatch_log_group.lambda), [aws_cloudwatch_log_group.api_access]) : lg.retention_in_days == 30 && lg.kms_key_id == var.kms_key_arn
    ])
    error_message = "Every log group has retention and the CMK."
  }

  assert {
    condition = alltrue([
      for f, p in aws_lambda_permission.api : p.principal == "apigateway.amazonaws.com" && startswith(p.source_arn, "arn:aws:execute-api:eu-west-3:123456789012:abcdef1234/") && p.qualifier == null
    ])
    error_message = "Invoke permissions scoped to this API."
  }

  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == var.kms_key_arn && length(aws_sns_topic_subscription.email) == 0
    error_message = "Encrypted alarm topic, no subscription without alarm_email."
  }

  assert {
    condition = toset(keys(aws_cloudwatch_metric_alarm.this)) == toset(concat(
      flatten([for f in ["store-epoch-time", "get-epoch-store", "health-check"] : ["${f}-errors", "${f}-throttles", "${f}-duration-p99"]]),
      ["api-5xx", "api-latency-p99", "table-read-throttles", "table-write-throttles", "table-replication-latency-to-eu-central-1", "table-replication-latency-to-us-east-1"],
    ))
    error_message = "The alarm set."
  }

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.this : a.region == "eu-west-3" && a.alarm_actions == toset([aws_sns_topic.alarms.arn])])
    error_message = "Alarms notify the regional topic."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["store-epoch-time-duration-p99"].extended_statistic == "p99" && aws_cloudwatch_metric_alarm.this["store-epoch-time-duration-p99"].statistic == null
    error_message = "Duration alarms use p99."
  }

  assert {
    condition     = length(aws_lambda_alias.live) == 0
    error_message = "No alias without provisioned concurrency."
  }
}

run "health_starts_ok_and_email" {
  module {
    source = "./modules/region"
  }

  variables {
    alarm_email = "ops@example.com"
  }

  assert {
    condition     = aws_lambda_function.this["health-check"].environment[0].variables.STATUS == "ok"
    error_message = "The health function is created with STATUS=ok; the failover switch owns it afterwards."
  }

  assert {
    condition     = aws_sns_topic_subscription.email[0].endpoint == "ops@example.com" && aws_sns_topic_subscription.email[0].protocol == "email"
    error_message = "E-mail subscription."
  }
}

run "provisioned_concurrency" {
  module {
    source = "./modules/region"
  }

  variables {
    provisioned_concurrency = 2
  }

  assert {
    condition     = alltrue([for f, fn in aws_lambda_function.this : fn.publish == (f != "health-check")])
    error_message = "Versions are published, except the health function's."
  }

  assert {
    condition = alltrue([
      for f, c in aws_lambda_provisioned_concurrency_config.live : c.qualifier == "live" && c.provisioned_concurrent_executions == 2 && c.function_name == "epochstore-${f}"
    ]) && toset(keys(aws_lambda_provisioned_concurrency_config.live)) == toset(["store-epoch-time", "get-epoch-store"])
    error_message = "Provisioned concurrency on the live alias of the two serving functions."
  }

  assert {
    condition = alltrue([
      for f, i in aws_apigatewayv2_integration.this : i.integration_uri == aws_lambda_alias.live[f].arn && aws_lambda_permission.api[f].qualifier == "live" if f != "health-check"
    ])
    error_message = "The API invokes the alias of the serving functions."
  }

  # A published version's configuration is locked: behind an alias the
  # failover switch (which changes $LATEST) would change nothing /health runs.
  assert {
    condition = (
      aws_apigatewayv2_integration.this["health-check"].integration_uri == aws_lambda_function.this["health-check"].arn
      && aws_lambda_permission.api["health-check"].qualifier == null
    )
    error_message = "The API invokes the health function's $LATEST, whose STATUS the failover switch changes."
  }
}

run "pass_through_tracing" {
  module {
    source = "./modules/region"
  }

  variables {
    tracing_mode = "PassThrough"
  }

  assert {
    condition     = alltrue([for fn in aws_lambda_function.this : fn.tracing_config[0].mode == "PassThrough"])
    error_message = "tracing_mode reaches every function."
  }

  assert {
    condition = alltrue([
      for p in aws_iam_role_policy.lambda : anytrue([for s in jsondecode(p.policy).Statement : s.Sid == "XRayWriteNoResourceLevelPermissions"])
    ])
    error_message = "PassThrough still records sampled callers' requests, so the X-Ray write statement stays."
  }
}
