# Target-tracking autoscaling of one region's table or replica (PROVISIONED
# billing). Called once for the primary region, before any replica exists
# (DynamoDB adds a replica only to a table whose write capacity is already
# auto-scaled), and once per replica region after its replica, for reads only:
# "the write settings (minimum, maximum, and target utilization) are replicated
# across Regions" by DynamoDB itself
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-global-table-design.prescriptive-guidance.throughput.html).

locals {
  dimensions = {
    read = {
      dimension = "dynamodb:table:ReadCapacityUnits"
      metric    = "DynamoDBReadCapacityUtilization"
      min       = var.capacity.min_read
      max       = var.capacity.max_read
    }
    write = {
      dimension = "dynamodb:table:WriteCapacityUnits"
      metric    = "DynamoDBWriteCapacityUtilization"
      min       = var.capacity.min_write
      max       = var.capacity.max_write
    }
  }
  scaling = { for d, v in local.dimensions : d => v if contains(var.dimensions, d) }
}

resource "aws_appautoscaling_target" "table" {
  for_each = local.scaling

  region             = var.region
  service_namespace  = "dynamodb"
  resource_id        = "table/${var.table_name}"
  scalable_dimension = each.value.dimension
  min_capacity       = each.value.min
  max_capacity       = each.value.max
}

resource "aws_appautoscaling_policy" "table" {
  for_each = local.scaling

  region             = var.region
  name               = "${var.name}-table-${each.key}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.table[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.table[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.table[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value = var.capacity.target_percent

    predefined_metric_specification {
      predefined_metric_type = each.value.metric
    }
  }
}
