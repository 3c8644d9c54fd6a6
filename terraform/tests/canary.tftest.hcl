# Canaries in the root: one per region, a global one only with a domain, the
# switch, the dashboard widget, and the root variables' validation.

mock_provider "aws" {
  # Computed by the real provider: one validation record per name.
  mock_resource "aws_acm_certificate" {
    defaults = {
      domain_validation_options = [{
        domain_name           = "api.example.com"
        resource_record_name  = "_0123456789abcdef.api.example.com."
        resource_record_type  = "CNAME"
        resource_record_value = "_fedcba9876543210.acm-validations.aws."
      }]
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

variables {
  lambda_package_dir = "tests/fixtures/lambda"
}

run "root_one_canary_per_region" {
  assert {
    condition     = output.canary_names == { "eu-central-1" = "epochstore-euc1", "eu-west-3" = "epochstore-euw3" } && length(module.global_canary) == 0
    error_message = "One canary per region, none on a global URL without a domain."
  }

  assert {
    condition = anytrue([
      for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.properties.title == "Canary success % (store, list, health)" && length(w.properties.metrics) == 2
    ])
    error_message = "The dashboard shows every canary's success rate."
  }
}

run "root_global_canary_with_a_domain" {
  variables {
    domain_name = "api.example.com"
  }

  assert {
    condition     = output.canary_names == { "eu-central-1" = "epochstore-euc1", "eu-west-3" = "epochstore-euw3", "global" = "epochstore-gl" }
    error_message = "With a domain, a third canary on the global URL."
  }

  assert {
    condition     = module.global_canary[0].alarm_name == "epochstore-eu-central-1-canary-global"
    error_message = "The global canary runs and alarms in the first region."
  }
}

run "root_canaries_off" {
  command = plan

  variables {
    canaries_enabled = false
    domain_name      = "api.example.com"
  }

  assert {
    condition     = output.canary_names == {} && length(module.global_canary) == 0
    error_message = "canaries_enabled = false deploys no canary."
  }

  assert {
    condition     = alltrue([for r in ["eu-central-1", "eu-west-3"] : module.region[r].canary_name == null])
    error_message = "Not in any region either."
  }
}

run "root_rate_out_of_range" {
  command = plan
  variables {
    canary_rate_minutes = 0
  }
  expect_failures = [var.canary_rate_minutes]
}

run "root_runtime_not_nodejs" {
  command = plan
  variables {
    canary_runtime_version = "syn-python-selenium-5.1"
  }
  expect_failures = [var.canary_runtime_version]
}

run "root_tracing_off_is_not_a_lambda_mode" {
  command = plan
  variables {
    tracing_mode = "off"
  }
  expect_failures = [var.tracing_mode]
}
