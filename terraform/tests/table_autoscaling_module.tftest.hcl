# One region's table autoscaling (PROVISIONED billing): read and write
# scalable targets with target-tracking policies.

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
