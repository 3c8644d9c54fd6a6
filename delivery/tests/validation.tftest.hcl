# Variable validation rejects bad input before anything is planned.

mock_provider "aws" {}

variables {
  github_repository = "example-org/epochstore"
  state_bucket      = "epochstore-tfstate-123456789012-eu-central-1"
  state_kms_key_arn = "arn:aws:kms:eu-central-1:123456789012:key/11111111-1111-1111-1111-111111111111"
  state_region      = "eu-central-1"
}

run "repository_without_owner" {
  command = plan
  variables {
    github_repository = "epochstore"
  }
  expect_failures = [var.github_repository]
}

run "repository_with_wildcard" {
  command = plan
  variables {
    github_repository = "example-org/*"
  }
  expect_failures = [var.github_repository]
}

run "repository_as_url" {
  command = plan
  variables {
    github_repository = "https://github.com/example-org/epochstore"
  }
  expect_failures = [var.github_repository]
}

run "environment_with_hyphen" {
  command = plan
  variables {
    environments = ["dev", "dev-eu"]
  }
  expect_failures = [var.environments]
}

run "duplicate_environments" {
  command = plan
  variables {
    environments = ["dev", "dev"]
  }
  expect_failures = [var.environments]
}

run "no_environment" {
  command = plan
  variables {
    environments = []
  }
  expect_failures = [var.environments]
}

run "shared_hosted_zone" {
  command = plan
  variables {
    hosted_zone_ids = { dev = "Z0123456789ABC", prod = "Z0123456789ABC" }
  }
  expect_failures = [var.hosted_zone_ids]
}

run "hosted_zone_for_unknown_environment" {
  command = plan
  variables {
    hosted_zone_ids = { staging = "Z0123456789ABC" }
  }
  expect_failures = [var.hosted_zone_ids]
}

run "kms_alias_instead_of_key_arn" {
  command = plan
  variables {
    state_kms_key_arn = "alias/epochstore-tfstate"
  }
  expect_failures = [var.state_kms_key_arn]
}

run "oidc_provider_of_another_issuer" {
  command = plan
  variables {
    oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/gitlab.com"
  }
  expect_failures = [var.oidc_provider_arn]
}

run "session_too_long" {
  command = plan
  variables {
    max_session_duration = 86400
  }
  expect_failures = [var.max_session_duration]
}

# The deploy workflow's apply job asks for 9000 s (role-duration-seconds); a shorter maximum fails every apply.
run "session_shorter_than_the_apply_job_requests" {
  command = plan
  variables {
    max_session_duration = 7200
  }
  expect_failures = [var.max_session_duration]
}

run "session_as_long_as_the_apply_job_requests" {
  command = plan
  variables {
    max_session_duration = 9000
  }
}
