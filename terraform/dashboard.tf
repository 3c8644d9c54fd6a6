# One dashboard for the whole deployment, in the first region: what an
# operator watches during a failover drill.
locals {
  dashboard_name = "${local.name}-overview"

  per_region_widget = {
    for title, spec in {
      "Requests per region"         = { namespace = "AWS/ApiGateway", metric = "Count", stat = "Sum" }
      "5xx per region"              = { namespace = "AWS/ApiGateway", metric = "5xx", stat = "Sum" }
      "4xx per region"              = { namespace = "AWS/ApiGateway", metric = "4xx", stat = "Sum" }
      "p99 latency per region (ms)" = { namespace = "AWS/ApiGateway", metric = "Latency", stat = "p99" }
      } : title => [
      for r in var.regions : [spec.namespace, spec.metric, "ApiId", module.region[r].api_id, "Stage", module.region[r].stage_name, { region = r, stat = spec.stat, label = r }]
    ]
  }

  lambda_errors = flatten([
    for r in var.regions : [
      for f, n in module.region[r].function_names : ["AWS/Lambda", "Errors", "FunctionName", n, { region = r, stat = "Sum", label = "${r} ${f}" }]
    ]
  ])

  replication_latency = flatten([
    for src in var.regions : [
      for dst in var.regions : ["AWS/DynamoDB", "ReplicationLatency", "TableName", local.table.name, "ReceivingRegion", dst, { region = src, stat = "Average", label = "${src} -> ${dst}" }] if dst != src
    ]
  ])

  throttles = flatten([
    for r in var.regions : [
      for m in ["ReadThrottleEvents", "WriteThrottleEvents"] : ["AWS/DynamoDB", m, "TableName", local.table.name, { region = r, stat = "Sum", label = "${r} ${m}" }]
    ]
  ])

  health_status = [
    for r, id in local.health_check_ids : ["AWS/Route53", "HealthCheckStatus", "HealthCheckId", id, { region = "us-east-1", stat = "Minimum", label = r }]
  ]

  # The user's view: the canaries' success rate (the global one runs in the first region).
  canary_success = [
    for key, name in local.canary_names : ["CloudWatchSynthetics", "SuccessPercent", "CanaryName", name, { region = key == "global" ? local.primary_region : key, stat = "Average", label = key }]
  ]

  widgets = concat(
    [for title, metrics in local.per_region_widget : { title = title, metrics = metrics }],
    [
      { title = "Lambda errors", metrics = local.lambda_errors },
      { title = "DynamoDB replication latency (ms)", metrics = local.replication_latency },
      { title = "DynamoDB throttles", metrics = local.throttles },
    ],
    length(local.health_status) == 0 ? [] : [{ title = "Route53 health checks (1 = healthy)", metrics = local.health_status }],
    length(local.canary_success) == 0 ? [] : [{ title = "Canary success % (store, list, health)", metrics = local.canary_success }],
  )
}

resource "aws_cloudwatch_dashboard" "this" {
  region         = local.primary_region
  dashboard_name = local.dashboard_name

  dashboard_body = jsonencode({
    widgets = [
      for i, w in local.widgets : {
        type   = "metric"
        x      = (i % 2) * 12
        y      = floor(i / 2) * 6
        width  = 12
        height = 6
        properties = {
          title   = w.title
          metrics = w.metrics
          view    = "timeSeries"
          stacked = false
          region  = local.primary_region
          period  = 60
        }
      }
    ]
  })
}
