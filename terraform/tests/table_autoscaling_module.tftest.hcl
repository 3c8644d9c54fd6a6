# One region's table autoscaling (PROVISIONED billing): read and write
# scalable targets with target-tracking policies, or reads alone (a replica
# region, whose write autoscaling DynamoDB copies from the table).

mock_provider "aws" {}

variables {
  name       = "epochstore"
  region     = "eu-west-3"
  table_name = "epochstore"
  capacity = {
    min_read       = 5
    max_read       = 50
    min_write      = 5
    max_write      = 40
    target_percent = 70
  }
}

run "read_and_write_targets" {
  command = plan

  module {
    source = "./modules/table_autoscaling"
  }

  assert {
    condition = {
      for k, t in aws_appautoscaling_target.table : k => [t.region, t.service_namespace, t.resource_id, t.scalable_dimension, t.min_capacity, t.max_capacity]
      } == {
      read  = ["eu-west-3", "dynamodb", "table/epochstore", "dynamodb:table:ReadCapacityUnits", 5, 50]
      write = ["eu-west-3", "dynamodb", "table/epochstore", "dynamodb:table:WriteCapacityUnits", 5, 40]
    }
    error_message = "Read and write scalable targets on the table in this region."
  }

  assert {
    condition = {
      for k, p in aws_appautoscaling_policy.table : k => [
        p.policy_type, p.region, p.resource_id, p.scalable_dimension,
        p.target_tracking_scaling_policy_configuration[0].target_value,
        p.target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type,
      ]
      } == {
      read  = ["TargetTrackingScaling", "eu-west-3", "table/epochstore", "dynamodb:table:ReadCapacityUnits", 70, "DynamoDBReadCapacityUtilization"]
      write = ["TargetTrackingScaling", "eu-west-3", "table/epochstore", "dynamodb:table:WriteCapacityUnits", 70, "DynamoDBWriteCapacityUtilization"]
    }
    error_message = "Target tracking of each dimension's utilisation."
  }
}

run "reads_alone_in_a_replica_region" {
  command = plan

  module {
    source = "./modules/table_autoscaling"
  }

  variables {
    dimensions = ["read"]
  }

  assert {
    condition = (
      keys(aws_appautoscaling_target.table) == ["read"] && keys(aws_appautoscaling_policy.table) == ["read"] &&
      aws_appautoscaling_target.table["read"].scalable_dimension == "dynamodb:table:ReadCapacityUnits"
    )
    error_message = "A replica region scales its reads only."
  }
}

run "unknown_dimension" {
  command = plan

  module {
    source = "./modules/table_autoscaling"
  }

  variables {
    dimensions = ["read", "writes"]
  }

  expect_failures = [var.dimensions]
}
