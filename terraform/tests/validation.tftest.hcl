# Variable validation rejects bad input before anything is planned.

mock_provider "aws" {}

variables {
  lambda_package_dir = "tests/fixtures/lambda"
}

run "one_region" {
  command = plan
  variables {
    regions = ["eu-central-1"]
  }
  expect_failures = [var.regions]
}

run "duplicate_regions" {
  command = plan
  variables {
    regions = ["eu-central-1", "eu-west-3", "eu-central-1"]
  }
  expect_failures = [var.regions]
}

run "malformed_region" {
  command = plan
  variables {
    regions = ["eu-central-1", "Europe West"]
  }
  expect_failures = [var.regions]
}

run "malformed_domain" {
  command = plan
  variables {
    domain_name = "not a domain..com"
  }
  expect_failures = [var.domain_name]
}

run "unknown_architecture" {
  command = plan
  variables {
    architecture = "x86"
  }
  expect_failures = [var.architecture]
}

run "too_many_shards" {
  command = plan
  variables {
    write_shards = 17
  }
  expect_failures = [var.write_shards]
}

run "unknown_billing_mode" {
  command = plan
  variables {
    billing_mode = "ON_DEMAND"
  }
  expect_failures = [var.billing_mode]
}

run "bad_table_name" {
  command = plan
  variables {
    table_name = "a"
  }
  expect_failures = [var.table_name]
}

run "bad_log_retention" {
  command = plan
  variables {
    log_retention_days = 31
  }
  expect_failures = [var.log_retention_days]
}

run "too_few_checker_regions" {
  command = plan
  variables {
    health_check_regions = ["eu-west-1", "us-east-1"]
  }
  expect_failures = [var.health_check_regions]
}

run "retention_beyond_what_functions_accept" {
  command = plan
  variables {
    retention_days = 36501
  }
  expect_failures = [var.retention_days]
}

run "valid_three_regions_and_domain" {
  command = plan
  variables {
    regions     = ["eu-central-1", "eu-west-3", "us-east-1"]
    domain_name = "api.example.com"
    alarm_email = "oncall@epochstore-ops.eu"
  }
}

# RFC 2606 names never receive mail: alarms would reach nobody.
run "example_alarm_email_refused" {
  command = plan
  variables {
    alarm_email = "ops@example.com"
  }
  expect_failures = [var.alarm_email]
}

run "reserved_tld_alarm_email_refused" {
  command = plan
  variables {
    alarm_email = "Ops@Alarms.INVALID"
  }
  expect_failures = [var.alarm_email]
}

run "test_tld_alarm_email_refused" {
  command = plan
  variables {
    alarm_email = "ops@team.test"
  }
  expect_failures = [var.alarm_email]
}

run "lookalike_domain_alarm_email_accepted" {
  command = plan
  variables {
    alarm_email = "ops@myexample.com"
  }
}

run "rejects_a_boundary_that_is_not_a_policy_arn" {
  command = plan

  variables {
    permissions_boundary_arn = "arn:aws:iam::123456789012:role/not-a-policy"
  }

  expect_failures = [var.permissions_boundary_arn]
}

# Below one DynamoDB attempt (2 s) plus a second to answer, Lambda would kill
# a slow invocation before the function answers its JSON 503.
run "lambda_timeout_below_one_attempt_and_the_margin" {
  command = plan
  variables {
    lambda_timeout = 2
  }
  expect_failures = [var.lambda_timeout]
}

# The store's bound for a request is derived from lambda_timeout: a second
# less, at most 5 s, and never below one attempt.
run "lambda_timeout_at_its_minimum_leaves_one_attempt" {
  command = plan
  variables {
    lambda_timeout = 3
  }
  assert {
    condition     = local.function_environment.DYNAMODB_OPERATION_TIMEOUT_MS == "2000" && local.function_environment.DYNAMODB_ATTEMPT_TIMEOUT_MS == "2000"
    error_message = "lambda_timeout 3: operation 2000 ms, attempt 2000 ms."
  }
}

run "lambda_timeout_bounds_the_store_operation" {
  command = plan
  variables {
    lambda_timeout = 5
  }
  assert {
    condition     = local.function_environment.DYNAMODB_OPERATION_TIMEOUT_MS == "4000"
    error_message = "lambda_timeout 5: operation 4000 ms."
  }
}

# 10 s would give 9000 ms: capped at 5 s, a client retries sooner.
run "the_default_lambda_timeout_gives_the_5_second_operation" {
  command = plan
  assert {
    condition = alltrue([
      for f, fn in module.region["eu-west-3"].functions :
      fn.environment.DYNAMODB_OPERATION_TIMEOUT_MS == "5000" && fn.environment.DYNAMODB_ATTEMPT_TIMEOUT_MS == "2000"
    ])
    error_message = "Every function gets the derived DynamoDB timeouts."
  }
}
