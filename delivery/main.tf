data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  oidc_host         = "token.actions.githubusercontent.com"
  oidc_audience     = "sts.amazonaws.com"
  oidc_provider_arn = var.oidc_provider_arn != "" ? var.oidc_provider_arn : aws_iam_openid_connect_provider.github[0].arn

  # The roles live under their own path: the deploy policies cover roles named
  # <name>-<env>-* at path "/", so no deploy role can edit itself or another.
  role_path = "/github-actions/"

  # What a job's OIDC token must say, per role. A deploy role trusts only jobs
  # that run in the GitHub environment of its name (so prod's reviewers gate
  # it); the plan role trusts pull-request jobs, which run code anyone who can
  # open a branch wrote, so it is read-only.
  subjects = merge(
    { for e in var.environments : "deploy-${e}" => "repo:${var.github_repository}:environment:${e}" },
    { plan = "repo:${var.github_repository}:pull_request" },
  )
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.oidc_provider_arn == "" ? 1 : 0

  url            = "https://${local.oidc_host}"
  client_id_list = [local.oidc_audience]
  # No thumbprint_list: IAM trusts GitHub's OIDC endpoint through its own
  # certificate authorities library and ignores thumbprints for it.
}

resource "aws_iam_role" "github" {
  for_each = local.subjects

  name                 = "${var.name}-github-${each.key}"
  path                 = local.role_path
  description          = "GitHub Actions (${each.value}) for ${var.name}"
  max_session_duration = var.max_session_duration

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "GitHubActionsOidc"
      Effect    = "Allow"
      Principal = { Federated = local.oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.oidc_host}:aud" = local.oidc_audience
          "${local.oidc_host}:sub" = each.value
        }
      }
    }]
  })
}

# One managed policy per role and service group (policies.tf): a role's inline
# policies share 10,240 characters, a managed policy has 6,144 of its own.
resource "aws_iam_policy" "github" {
  for_each = local.policies

  name        = "${var.name}-github-${replace(each.key, "/", "-")}"
  path        = local.role_path
  description = "GitHub Actions ${split("/", each.key)[0]}: ${split("/", each.key)[1]}"
  policy      = jsonencode({ Version = "2012-10-17", Statement = each.value })
}

resource "aws_iam_role_policy_attachment" "github" {
  for_each = local.policies

  role       = aws_iam_role.github[split("/", each.key)[0]].name
  policy_arn = aws_iam_policy.github[each.key].arn
}
