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

# Below the SDK's 5 s operation timeout Lambda would kill a slow invocation
# before the function answers its JSON 503.
run "lambda_timeout_below_the_sdk_operation_timeout" {
  command = plan
  variables {
    lambda_timeout = 5
  }
  expect_failures = [var.lambda_timeout]
}

run "lambda_timeout_above_the_sdk_operation_timeout" {
  command = plan
  variables {
    lambda_timeout = 6
  }
}
