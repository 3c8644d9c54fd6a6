# Optional JWT authentication of writes, wired through the root: public by
# default; with jwt_issuer and jwt_audience, POST /storeEpochTime needs a
# token in every region and nothing else does. modules_environment.tftest.hcl
# checks the authorizer itself.

mock_provider "aws" {}

variables {
  lambda_package_dir = "tests/fixtures/lambda"
}

run "public_by_default" {
  command = plan

  assert {
    condition     = alltrue([for r in ["eu-central-1", "eu-west-3"] : module.region[r].jwt_routes == []]) && output.jwt_issuer == null
    error_message = "No route needs a token by default."
  }
}

run "token_required_for_writes" {
  command = plan

  variables {
    jwt_issuer   = "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Example"
    jwt_audience = ["app-client-id"]
  }

  assert {
    condition     = alltrue([for r in ["eu-central-1", "eu-west-3"] : module.region[r].jwt_routes == ["POST /storeEpochTime"]])
    error_message = "Every region guards POST /storeEpochTime, and only it."
  }

  assert {
    condition     = output.jwt_issuer == "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Example"
    error_message = "The issuer is an output (make deploy prints the curl line with a token)."
  }
}

run "issuer_without_audience" {
  command = plan
  variables {
    jwt_issuer = "https://issuer.example.com"
  }
  expect_failures = [var.jwt_audience]
}

run "audience_without_issuer" {
  command = plan
  variables {
    jwt_audience = ["app-client-id"]
  }
  expect_failures = [var.jwt_audience]
}

run "issuer_not_https" {
  command = plan
  variables {
    jwt_issuer   = "http://issuer.example.com"
    jwt_audience = ["app-client-id"]
  }
  expect_failures = [var.jwt_issuer]
}

run "empty_audience_entry" {
  command = plan
  variables {
    jwt_issuer   = "https://issuer.example.com"
    jwt_audience = [""]
  }
  expect_failures = [var.jwt_audience]
}
