locals {
  alarm_actions = [aws_sns_topic.alarms.arn]

  # Every alarm: namespace, metric, dimensions, statistic (or pNN), threshold.
  # Missing data means no traffic, which is not an incident.
  lambda_alarms = merge([
    for f, n in local.function_names : {
      "${f}-errors" = {
        namespace  = "AWS/Lambda", metric = "Errors", statistic = "Sum", threshold = 0
        dimensions = { FunctionName = n }
      }
      "${f}-throttles" = {
        namespace  = "AWS/Lambda", metric = "Throttles", statistic = "Sum", threshold = 0
        dimensions = { FunctionName = n }
      }
      # Close to the timeout is the last warning before 5xx from timeouts.
      "${f}-duration-p99" = {
        namespace  = "AWS/Lambda", metric = "Duration", statistic = "p99", threshold = var.timeout * 1000 * 0.8
        dimensions = { FunctionName = n }
      }
    }
  ]...)

  api_alarms = {
    "api-5xx" = {
      namespace  = "AWS/ApiGateway", metric = "5xx", statistic = "Sum", threshold = 0
      dimensions = { ApiId = aws_apigatewayv2_api.this.id, Stage = aws_apigatewayv2_stage.default.name }
    }
    "api-latency-p99" = {
      namespace  = "AWS/ApiGateway", metric = "Latency", statistic = "p99", threshold = 1000
      dimensions = { ApiId = aws_apigatewayv2_api.this.id, Stage = aws_apigatewayv2_stage.default.name }
    }
  }

  table_alarms = merge(
    {
      "table-read-throttles" = {
        namespace  = "AWS/DynamoDB", metric = "ReadThrottleEvents", statistic = "Sum", threshold = 0
        dimensions = { TableName = var.table_name }
      }
      "table-write-throttles" = {
        namespace  = "AWS/DynamoDB", metric = "WriteThrottleEvents", statistic = "Sum", threshold = 0
        dimensions = { TableName = var.table_name }
      }
    },
    # Published by the sending region, one series per receiving region.
    {
      for peer in var.peer_regions : "table-replication-latency-to-${peer}" => {
        namespace  = "AWS/DynamoDB", metric = "ReplicationLatency", statistic = "Average", threshold = 60000
        dimensions = { TableName = var.table_name, ReceivingRegion = peer }
      }
    },
  )

  alarms = merge(local.lambda_alarms, local.api_alarms, local.table_alarms)
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  region              = var.region
  alarm_name          = "${var.name}-${var.region}-${each.key}"
  alarm_description   = "${each.value.namespace} ${each.value.metric} (${each.value.statistic}) above ${each.value.threshold} in ${var.region}"
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = startswith(each.value.statistic, "p") ? null : each.value.statistic
  extended_statistic  = startswith(each.value.statistic, "p") ? each.value.statistic : null
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}
