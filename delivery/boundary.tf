# The permissions boundary of every IAM role an environment creates (function
# and canary execution roles): the most such a role can ever do, whatever
# policy a deploy role writes for it. The deploy roles may create roles and
# change their policies only with this boundary attached (BoundedRoles in
# policies.tf), so a deploy role cannot mint a role stronger than the
# environment's own data plane. The boundaries live under /github-actions/,
# outside the <name>-<env>-* policies a deploy role manages, so no deploy role
# can edit its own cap.

locals {
  boundary_arns = { for e in var.environments : e => "${local.arn}:iam::${local.account}:policy${local.role_path}${var.name}-boundary-${e}" }

  boundaries = { for e in var.environments : e => [
    {
      Sid      = "Table"
      Effect   = "Allow"
      Action   = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"]
      Resource = ["${local.arn}:dynamodb:*:${local.account}:table/${var.name}-${e}", "${local.arn}:dynamodb:*:${local.account}:table/${var.name}-${e}/*"]
    },
    {
      Sid       = "Keys"
      Effect    = "Allow"
      Action    = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
      Resource  = ["${local.arn}:kms:*:${local.account}:key/*"]
      Condition = local.tagged["deploy-${e}"]
    },
    {
      Sid      = "Logs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = ["${local.arn}:logs:*:${local.account}:log-group:/aws/lambda/${var.name}-${e}-*", "${local.arn}:logs:*:${local.account}:log-group:/aws/lambda/cwsyn-${var.name}-${e}-*"]
    },
    {
      Sid      = "CanaryArtifacts"
      Effect   = "Allow"
      Action   = ["s3:GetBucketLocation", "s3:GetObject", "s3:PutObject"]
      Resource = ["${local.arn}:s3:::${var.name}-${e}-*", "${local.arn}:s3:::${var.name}-${e}-*/*"]
    },
    {
      # s3:ListAllMyBuckets has no resource-level permissions (Synthetics' canary role needs it).
      Sid      = "CanaryBucketList"
      Effect   = "Allow"
      Action   = ["s3:ListAllMyBuckets"]
      Resource = "*"
    },
    {
      # cloudwatch:PutMetricData has no resource-level permissions; the namespace condition narrows it.
      Sid       = "CanaryMetrics"
      Effect    = "Allow"
      Action    = ["cloudwatch:PutMetricData"]
      Resource  = "*"
      Condition = { StringEquals = { "cloudwatch:namespace" = "CloudWatchSynthetics" } }
    },
    {
      # X-Ray's trace and sampling calls have no resource-level permissions.
      Sid      = "Tracing"
      Effect   = "Allow"
      Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
      Resource = "*"
    },
  ] }
}

resource "aws_iam_policy" "boundary" {
  for_each = local.boundaries

  name        = "${var.name}-boundary-${each.key}"
  path        = local.role_path
  description = "Permissions boundary of the IAM roles of ${var.name}-${each.key}"
  policy      = jsonencode({ Version = "2012-10-17", Statement = each.value })
}
