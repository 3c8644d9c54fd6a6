locals {
  # Each function, the DynamoDB actions it needs on the table and the routes
  # it owns (the code answers OPTIONS and HEAD itself). The store records its
  # write-shard count (PutItem of a mark item) before its first write; the
  # listing reads the marks (Query) to cover every shard ever written.
  functions = {
    "store-epoch-time" = {
      actions = ["dynamodb:PutItem"]
      path    = "/storeEpochTime"
      methods = ["POST", "OPTIONS"]
    }
    "get-epoch-store" = {
      actions = ["dynamodb:Query"]
      path    = "/getEpochStore"
      methods = ["GET", "HEAD", "OPTIONS"]
    }
    "health-check" = {
      actions = ["dynamodb:GetItem"]
      path    = "/health"
      methods = ["GET", "HEAD", "OPTIONS"]
    }
  }

  function_names = { for f in keys(local.functions) : f => "${var.name}-${f}" }

  routes = merge([
    for f, spec in local.functions : {
      for m in spec.methods : "${m} ${spec.path}" => f
    }
  ]...)

  environment = {
    for f in keys(local.functions) : f => merge(
      var.environment,
      # The failover switch's initial value: from then on it belongs to
      # `make failover|recover` (scripts/health_switch.py), see ignore_changes.
      f == "health-check" ? { STATUS = "ok" } : {},
    )
  }

  # The one statement with Resource "*": X-Ray's write actions have no
  # resource-level permissions (the Service Authorization Reference lists no
  # resource type for them), so "*" is the only resource they accept. Exactly
  # these two actions, nothing else; needed in both tracing modes, since
  # PassThrough still records requests whose caller sampled them.
  xray_write = {
    Sid      = "XRayWriteNoResourceLevelPermissions"
    Effect   = "Allow"
    Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    Resource = "*"
  }

  # With an authorizer, writes need a JWT; reads, /health (Route53 sends no
  # token) and CORS preflights (browsers send none) stay public.
  jwt_routes = var.jwt_authorizer == null ? [] : ["POST /storeEpochTime"]

  arn_prefix     = "arn:${var.partition}"
  log_group_arns = { for f, n in local.function_names : f => "${local.arn_prefix}:logs:${var.region}:${var.account_id}:log-group:/aws/lambda/${n}" }
  live           = var.provisioned_concurrency > 0
  # The health function stays on $LATEST: the failover switch changes
  # $LATEST's configuration, and a published version's configuration is
  # locked (UpdateFunctionConfiguration: "You can't modify the configuration
  # of a published version, only the unpublished version"), so an alias
  # would keep answering the old STATUS.
  live_functions = local.live ? { for f, n in local.function_names : f => n if f != "health-check" } : {}
}

# --- Lambda

resource "aws_cloudwatch_log_group" "lambda" {
  for_each = local.function_names

  region            = var.region
  name              = "/aws/lambda/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  #checkov:skip=CKV_AWS_338:retention is the log_retention_days variable (default 30 days to bound cost); set 365 where compliance asks for a year
}

resource "aws_iam_role" "lambda" {
  for_each = local.function_names

  name                 = "${each.value}-${var.region}"
  permissions_boundary = var.permissions_boundary_arn
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "lambda" {
  for_each = local.function_names

  name = "least-privilege"
  role = aws_iam_role.lambda[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Table"
        Effect   = "Allow"
        Action   = local.functions[each.key].actions
        Resource = [var.table_arn]
      },
      {
        Sid      = "TableKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
        Resource = [var.kms_key_arn]
        Condition = {
          StringEquals = { "kms:ViaService" = "dynamodb.${var.region}.amazonaws.com" }
        }
      },
      {
        # Lambda decrypts the function's environment with the execution role.
        Sid      = "EnvironmentKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = [var.kms_key_arn]
        Condition = {
          StringEquals = { "kms:ViaService" = "lambda.${var.region}.amazonaws.com" }
        }
      },
      {
        # "<group ARN>:*" covers the group (CreateLogStream) and its streams
        # (PutLogEvents), as in Lambda's own generated policies.
        Sid      = "OwnLogGroup"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${local.log_group_arns[each.key]}:*"]
      },
      local.xray_write,
    ]
  })
}

resource "aws_lambda_function" "this" {
  for_each = local.function_names

  region           = var.region
  function_name    = each.value
  role             = aws_iam_role.lambda[each.key].arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  memory_size      = var.memory_size
  timeout          = var.timeout
  filename         = var.packages[each.key].filename
  source_code_hash = var.packages[each.key].hash
  kms_key_arn      = var.kms_key_arn
  publish          = contains(keys(local.live_functions), each.key)

  environment {
    variables = local.environment[each.key]
  }

  # STATUS is the failover switch's (make failover|recover, scripts/health_switch.py,
  # through the Lambda API): an apply must not flip a failed region back.
  # Only the health function has the key; every other variable stays managed.
  lifecycle {
    ignore_changes = [environment[0].variables["STATUS"]]
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.lambda[each.key].name
  }

  tracing_config {
    mode = var.tracing_mode
  }

  # The role's inline policy must exist before the first invocation logs.
  depends_on = [aws_iam_role_policy.lambda]

  #checkov:skip=CKV_AWS_117:no VPC: the functions only call public AWS endpoints (DynamoDB), a VPC would add NAT or endpoint cost and cold-start latency
  #checkov:skip=CKV_AWS_272:no code signing: zips come from the reproducible cargo-lambda build and the offline toolchain has no signer profile
  #checkov:skip=CKV_AWS_116:no DLQ: API Gateway invokes synchronously, errors go back to the client; a DLQ only serves async invocations
  #checkov:skip=CKV_AWS_115:no reserved concurrency: API throttling bounds load, and a cap would shed traffic in the region absorbing a failover
}

resource "aws_lambda_alias" "live" {
  for_each = local.live_functions

  region           = var.region
  name             = "live"
  function_name    = aws_lambda_function.this[each.key].function_name
  function_version = aws_lambda_function.this[each.key].version
}

resource "aws_lambda_provisioned_concurrency_config" "live" {
  for_each = aws_lambda_alias.live

  region                            = var.region
  function_name                     = each.value.function_name
  qualifier                         = each.value.name
  provisioned_concurrent_executions = var.provisioned_concurrency
}

# --- HTTP API

resource "aws_apigatewayv2_api" "this" {
  region        = var.region
  name          = "${var.name}-http-api"
  protocol_type = "HTTP"
}

resource "aws_cloudwatch_log_group" "api_access" {
  region            = var.region
  name              = "/aws/apigateway/${var.name}-http-api"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  #checkov:skip=CKV_AWS_338:retention is the log_retention_days variable (default 30 days to bound cost); set 365 where compliance asks for a year
}

# HTTP APIs have no X-Ray setting (unlike REST API stages' xray_tracing_enabled):
# the stage passes the caller's X-Amzn-Trace-Id through to Lambda, which
# samples (Active) or follows the caller's decision (PassThrough).
resource "aws_apigatewayv2_stage" "default" {
  region      = var.region
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      ip                 = "$context.identity.sourceIp"
      requestTime        = "$context.requestTime"
      routeKey           = "$context.routeKey"
      status             = "$context.status"
      protocol           = "$context.protocol"
      responseLength     = "$context.responseLength"
      latency            = "$context.responseLatency"
      integrationLatency = "$context.integrationLatency"
      integrationError   = "$context.integrationErrorMessage"
      region             = var.region
    })
  }

  # Stage-level metrics are free; per-route (detailed) metrics would bill
  # every route x metric as a custom metric.
  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }
}

resource "aws_apigatewayv2_integration" "this" {
  for_each = local.function_names

  region                 = var.region
  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = contains(keys(local.live_functions), each.key) ? aws_lambda_alias.live[each.key].arn : aws_lambda_function.this[each.key].arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  count = var.jwt_authorizer == null ? 0 : 1

  region           = var.region
  api_id           = aws_apigatewayv2_api.this.id
  name             = "${var.name}-jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.jwt_authorizer.issuer
    audience = var.jwt_authorizer.audience
  }
}

resource "aws_apigatewayv2_route" "this" {
  for_each = local.routes

  region             = var.region
  api_id             = aws_apigatewayv2_api.this.id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.this[each.value].id}"
  authorization_type = contains(local.jwt_routes, each.key) ? "JWT" : "NONE"
  authorizer_id      = contains(local.jwt_routes, each.key) ? aws_apigatewayv2_authorizer.jwt[0].id : null
  #checkov:skip=CKV_AWS_309:public by default (anonymous epoch store, as specified; abuse bounded by stage throttling); jwt_authorizer puts writes behind a JWT, reads and /health stay public for Route53
}

resource "aws_lambda_permission" "api" {
  for_each = local.function_names

  region        = var.region
  statement_id  = "AllowHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this[each.key].function_name
  qualifier     = contains(keys(local.live_functions), each.key) ? aws_lambda_alias.live[each.key].name : null
  principal     = "apigateway.amazonaws.com"
  # Only this API, any stage and method, and only the function's own path.
  source_arn = "${aws_apigatewayv2_api.this.execution_arn}/*/*${local.functions[each.key].path}"
}

# --- Alarm topic

resource "aws_sns_topic" "alarms" {
  region            = var.region
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == "" ? 0 : 1

  region    = var.region
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}
