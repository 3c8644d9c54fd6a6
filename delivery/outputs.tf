output "deploy_role_arns" {
  description = "Deploy role per environment: the value of the AWS_ROLE_ARN variable of the GitHub environment of the same name."
  value       = { for e in var.environments : e => aws_iam_role.github["deploy-${e}"].arn }
}

output "plan_role_arn" {
  description = "Read-only role for pull-request plans: the value of the repository variable AWS_PLAN_ROLE_ARN."
  value       = aws_iam_role.github["plan"].arn
}

output "oidc_provider_arn" {
  description = "The GitHub Actions OIDC provider the roles trust (created here unless oidc_provider_arn was given)."
  value       = local.oidc_provider_arn
}

output "github_variables" {
  description = "Every variable the workflows read, by where it goes: repository variables, and one set per GitHub environment."
  value = {
    repository = {
      AWS_PLAN_ROLE_ARN    = aws_iam_role.github["plan"].arn
      TF_STATE_BUCKET      = var.state_bucket
      TF_STATE_REGION      = var.state_region
      TF_STATE_KMS_KEY_ARN = var.state_kms_key_arn
      # The workflows pass each environment's boundary as TF_VAR_permissions_boundary_arn.
      PERMISSIONS_BOUNDARY_ARNS = jsonencode({ for e in var.environments : e => aws_iam_policy.boundary[e].arn })
    }
    environments = { for e in var.environments : e => { AWS_ROLE_ARN = aws_iam_role.github["deploy-${e}"].arn } }
  }
}

output "permissions_boundary_arns" {
  description = "Permissions boundary per environment: every IAM role the terraform/ root creates in environment E must carry it (permissions_boundary_arn; the workflows pass it from the repository variable PERMISSIONS_BOUNDARY_ARNS); the deploy roles can create roles only with it."
  value       = { for e in var.environments : e => aws_iam_policy.boundary[e].arn }
}
