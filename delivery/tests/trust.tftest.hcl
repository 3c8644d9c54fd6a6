# Who may assume each role: GitHub's OIDC provider, audience sts.amazonaws.com,
# and exactly one subject per role (StringEquals, no wildcard).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_resource "aws_iam_openid_connect_provider" {
    defaults = { arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
  }
}

variables {
  github_repository = "example-org/epochstore"
  state_bucket      = "epochstore-tfstate-123456789012-eu-central-1"
  state_kms_key_arn = "arn:aws:kms:eu-central-1:123456789012:key/11111111-1111-1111-1111-111111111111"
  state_region      = "eu-central-1"
}

run "creates_the_oidc_provider" {
  command = apply

  assert {
    condition     = aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com"
    error_message = "The provider must be GitHub Actions' token issuer."
  }

  assert {
    condition     = aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    error_message = "The only audience must be sts.amazonaws.com."
  }

  assert {
    condition     = keys(aws_iam_role.github) == ["deploy-dev", "deploy-prod", "plan"]
    error_message = "Expected one deploy role per environment and one plan role."
  }

  assert {
    condition = alltrue([for e in ["dev", "prod"] : jsondecode(aws_iam_role.github["deploy-${e}"].assume_role_policy) == {
      Version = "2012-10-17"
      Statement = [{
        Sid       = "GitHubActionsOidc"
        Effect    = "Allow"
        Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
        Action    = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = {
            "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
            "token.actions.githubusercontent.com:sub" = "repo:example-org/epochstore:environment:${e}"
          }
        }
      }]
    }])
    error_message = "Each deploy role must trust exactly jobs of its GitHub environment, through the OIDC provider, for sts.amazonaws.com."
  }

  assert {
    condition = jsondecode(aws_iam_role.github["plan"].assume_role_policy).Statement[0].Condition == {
      StringEquals = {
        "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
        "token.actions.githubusercontent.com:sub" = "repo:example-org/epochstore:pull_request"
      }
    }
    error_message = "The plan role must trust exactly the repository's pull-request jobs."
  }

  assert {
    condition     = alltrue([for r in aws_iam_role.github : r.path == "/github-actions/" && r.max_session_duration == 10800])
    error_message = "The roles live under /github-actions/, outside the <name>-<env>-* names their policies manage."
  }

  assert {
    condition     = output.deploy_role_arns == { for e in ["dev", "prod"] : e => aws_iam_role.github["deploy-${e}"].arn }
    error_message = "deploy_role_arns must map each environment to its role."
  }

  assert {
    condition     = output.github_variables.environments.prod.AWS_ROLE_ARN == aws_iam_role.github["deploy-prod"].arn && output.github_variables.repository.AWS_PLAN_ROLE_ARN == aws_iam_role.github["plan"].arn
    error_message = "github_variables must name the role each GitHub variable holds."
  }
}

run "reuses_an_existing_oidc_provider" {
  command = apply

  variables {
    oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    environments      = ["staging"]
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0
    error_message = "With oidc_provider_arn set, no second provider may be created."
  }

  assert {
    condition     = jsondecode(aws_iam_role.github["deploy-staging"].assume_role_policy).Statement[0].Principal.Federated == var.oidc_provider_arn
    error_message = "The roles must trust the given provider."
  }

  assert {
    condition     = jsondecode(aws_iam_role.github["deploy-staging"].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:example-org/epochstore:environment:staging"
    error_message = "The subject must follow the environments variable."
  }
}
