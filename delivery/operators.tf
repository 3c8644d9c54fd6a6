# What a failover operator needs, per environment, as a managed policy the
# account's administrator attaches to the operators' own identities (the deploy
# roles trust only GitHub): `make failover|recover|drill ENV=<env>` reads the
# environment's state (`terraform output`) and flips one environment variable of
# the environment's health function through the Lambda API
# (scripts/health_switch.py). tests/py/test_policy_authorization.py checks it
# against AWS's authorization data with the roles' policies.
locals {
  operator_statements = { for e in var.environments : e => concat(
    [{
      Sid      = "FailoverSwitch"
      Effect   = "Allow"
      Action   = ["lambda:GetFunctionConfiguration", "lambda:UpdateFunctionConfiguration"]
      Resource = "${local.arn}:lambda:*:${local.account}:function:${var.name}-${e}-health-check"
    }],
    # The function's environment is encrypted with its region's key (tagged with the environment, as the
    # deploy roles' Keys statement finds it); Lambda returns and accepts it only for a caller who may use
    # that key, and makes its own grant on it:
    # https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html
    [for sid, use in {
      FunctionEnvironmentKey   = { actions = ["kms:Decrypt", "kms:Encrypt"], condition = { StringLike = { "kms:ViaService" = "lambda.*.amazonaws.com" } } }
      LambdaGrantOnFunctionKey = { actions = ["kms:CreateGrant"], condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } } }
      } : {
      Sid       = sid
      Effect    = "Allow"
      Action    = use.actions
      Resource  = "${local.arn}:kms:*:${local.account}:key/*"
      Condition = merge(local.tagged["deploy-${e}"], use.condition)
    }],
    [
      {
        # What Terraform's S3 backend needs to read a state
        # (https://developer.hashicorp.com/terraform/language/backend/s3), for this environment's key only.
        Sid       = "ListTheEnvironmentsState"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = local.state_bucket_arn
        Condition = { StringLike = { "s3:prefix" = "envs/${e}/*" } }
      },
      {
        Sid      = "ReadTheEnvironmentsState"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = "${local.state_bucket_arn}/envs/${e}/terraform.tfstate"
      },
      {
        # The state object is encrypted with the state key (SSE-KMS).
        Sid       = "DecryptTheState"
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = var.state_kms_key_arn
        Condition = { StringEquals = { "kms:ViaService" = "s3.${var.state_region}.amazonaws.com" } }
      },
  ]) }
}

resource "aws_iam_policy" "operator" {
  for_each = local.operator_statements

  name        = "${var.name}-operator-${each.key}"
  description = "Failover operator of ${each.key}: make failover, recover and drill (read the state, flip the health function's STATUS)"
  policy      = jsonencode({ Version = "2012-10-17", Statement = each.value })
}
