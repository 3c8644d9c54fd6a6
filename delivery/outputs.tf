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

locals {
  # Every variable the workflows read, by where it goes (a test greps the
  # workflows for vars.X and checks this covers them).
  github_repository_variables = {
    AWS_PLAN_ROLE_ARN    = aws_iam_role.github["plan"].arn
    TF_STATE_BUCKET      = var.state_bucket
    TF_STATE_REGION      = var.state_region
    TF_STATE_KMS_KEY_ARN = var.state_kms_key_arn
    # The workflows pass each environment's boundary as TF_VAR_permissions_boundary_arn.
    PERMISSIONS_BOUNDARY_ARNS = jsonencode({ for e in var.environments : e => aws_iam_policy.boundary[e].arn })
  }
  github_environment_variables = { for e in var.environments : e => { AWS_ROLE_ARN = aws_iam_role.github["deploy-${e}"].arn } }
}

output "github_variables" {
  description = "Every variable the workflows read, by where it goes: repository variables, and one set per GitHub environment. Shown HCL-escaped; paste from github_variables_commands instead."
  value = {
    repository   = local.github_repository_variables
    environments = local.github_environment_variables
  }
}

# ARNs, names and JSON hold no single quote, so '…' passes each value to gh
# byte for byte (terraform output shows strings HCL-escaped: \" in the JSON).
output "github_environments_commands" {
  description = "gh commands that create each GitHub environment with deployments from main only: run them once, before the first push to main (a job naming a missing environment makes GitHub create it with no protection). Print with terraform output -raw."
  value = join("", flatten([for e in var.environments : [
    "gh api --method PUT repos/${var.github_repository}/environments/${e} -F 'deployment_branch_policy[protected_branches]=false' -F 'deployment_branch_policy[custom_branch_policies]=true'\n",
    "gh api --method POST repos/${var.github_repository}/environments/${e}/deployment-branch-policies -f name=main -f type=branch\n",
  ]]))
}

output "github_variables_commands" {
  description = "gh variable set commands that store every variable the workflows read, each value exactly as GitHub needs it (run after github_environments_commands). Print with terraform output -raw."
  value = join("", concat(
    [for k, v in local.github_repository_variables : "gh variable set ${k} --repo ${var.github_repository} --body '${v}'\n"],
    flatten([for e, vars in local.github_environment_variables : [
      for k, v in vars : "gh variable set ${k} --repo ${var.github_repository} --env ${e} --body '${v}'\n"
    ]]),
  ))
}

output "permissions_boundary_arns" {
  description = "Permissions boundary per environment: every IAM role the terraform/ root creates in environment E must carry it (permissions_boundary_arn; the workflows pass it from the repository variable PERMISSIONS_BOUNDARY_ARNS); the deploy roles can create roles only with it."
  value       = { for e in var.environments : e => aws_iam_policy.boundary[e].arn }
}

output "operator_policy_arns" {
  description = "Managed policy per environment for failover operators (make failover, recover, drill): attach it to the operators' own users or roles."
  value       = { for e, p in aws_iam_policy.operator : e => p.arn }
}
