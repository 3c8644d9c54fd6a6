# Environments side by side in one account: local.name (<name>-<environment>)
# reaches every name the root sets and every module, dev and prod share no
# name, and without an environment the names are those of earlier releases.
# modules_environment.tftest.hcl checks the names inside the modules.

mock_provider "aws" {
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

run "no_environment_keeps_names" {
  command = plan

  assert {
    condition = (
      output.table_name == "epochstore" && output.dashboard_name == "epochstore-overview" &&
      alltrue([for a in aws_kms_alias.regional : a.name == "alias/epochstore"])
    )
    error_message = "Without environment, table, dashboard and key aliases keep their names."
  }

  assert {
    condition = output.function_names == {
      for r in ["eu-central-1", "eu-west-3"] : r => {
        "store-epoch-time" = "epochstore-store-epoch-time"
        "get-epoch-store"  = "epochstore-get-epoch-store"
        "health-check"     = "epochstore-health-check"
      }
    }
    error_message = "Without environment, the functions keep their names."
  }
}

run "dev" {
  command = plan

  variables {
    environment = "dev"
  }

  assert {
    condition = (
      output.table_name == "epochstore-dev" && output.dashboard_name == "epochstore-dev-overview" &&
      alltrue([for a in aws_kms_alias.regional : a.name == "alias/epochstore-dev"]) &&
      alltrue([for k in aws_kms_key.regional : startswith(k.description, "epochstore-dev ")])
    )
    error_message = "Table, dashboard, key aliases and key descriptions carry the environment."
  }

  assert {
    condition     = alltrue(flatten([for r, fns in output.function_names : [for f, n in fns : n == "epochstore-dev-${f}"]]))
    error_message = "The modules get <name>-<environment> as their name."
  }

  assert {
    condition     = alltrue([for r in ["eu-central-1", "eu-west-3"] : module.region[r].functions["store-epoch-time"].environment.TABLE_NAME == "epochstore-dev"])
    error_message = "The functions use the environment's table."
  }
}

run "prod_beside_dev" {
  command = plan

  variables {
    environment = "prod"
  }

  assert {
    condition = (
      output.table_name == "epochstore-prod" && output.dashboard_name == "epochstore-prod-overview" &&
      alltrue([for a in aws_kms_alias.regional : a.name == "alias/epochstore-prod"]) &&
      alltrue(flatten([for r, fns in output.function_names : [for f, n in fns : n == "epochstore-prod-${f}"]]))
    )
    error_message = "Every prod name carries the environment."
  }

  # Table and dashboard names are unique per account, the others per region:
  # the three runs' sets of names are disjoint when their union loses none.
  assert {
    condition = length(setunion(
      toset(concat([output.table_name, output.dashboard_name], flatten([for fns in values(output.function_names) : values(fns)]))),
      toset(concat([run.dev.table_name, run.dev.dashboard_name], flatten([for fns in values(run.dev.function_names) : values(fns)]))),
      toset(concat([run.no_environment_keeps_names.table_name, run.no_environment_keeps_names.dashboard_name], flatten([for fns in values(run.no_environment_keeps_names.function_names) : values(fns)]))),
    )) == 3 * 5
    error_message = "prod, dev and the environment-less deployment share no name (5 distinct names each)."
  }
}

run "explicit_table_name_wins" {
  command = plan

  variables {
    environment = "dev"
    table_name  = "epochstore-legacy"
  }

  assert {
    condition     = output.table_name == "epochstore-legacy" && module.region["eu-west-3"].functions["get-epoch-store"].environment.TABLE_NAME == "epochstore-legacy"
    error_message = "An explicit table_name is used as given."
  }

  assert {
    condition     = output.dashboard_name == "epochstore-dev-overview"
    error_message = "table_name does not change the other names."
  }
}

run "environment_with_uppercase" {
  command = plan
  variables {
    environment = "Dev"
  }
  expect_failures = [var.environment]
}

run "environment_too_long" {
  command = plan
  variables {
    environment = "staging12"
  }
  expect_failures = [var.environment]
}

run "environment_with_hyphen" {
  command = plan
  variables {
    environment = "dev-1"
  }
  expect_failures = [var.environment]
}

# 21 + 1 + 8 + "-store-epoch-time-" (18) + 17 = 65 characters: over IAM's 64.
# Today's region names are at most 14 characters; the regex admits longer ones.
run "role_names_over_64_characters" {
  command = plan
  variables {
    name        = "epochstore-reference1"
    environment = "staging1"
    regions     = ["eu-central-1", "eu-southwestern-1"]
  }
  expect_failures = [var.name]
}

run "longest_name_and_environment_fit" {
  command = plan
  variables {
    name        = "epochstore-reference1"
    environment = "staging1"
    regions     = ["eu-central-1", "ap-southeast-1"]
    # Canary names are shortened far sooner (canary_module.tftest.hcl covers that).
    canaries_enabled = false
  }

  assert {
    condition     = output.function_names["ap-southeast-1"]["store-epoch-time"] == "epochstore-reference1-staging1-store-epoch-time"
    error_message = "A 21-character name with an 8-character environment fits every region of today."
  }
}
