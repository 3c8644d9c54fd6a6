# One customer-managed key per region: the table or replica in that region,
# its log groups, the Lambda environment and the alarm topic.
resource "aws_kms_key" "regional" {
  for_each = toset(var.regions)

  region                  = each.key
  description             = "${local.name} ${each.key}: DynamoDB, CloudWatch Logs, Lambda environment, SNS alarms"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministration"
        Effect    = "Allow"
        Principal = { AWS = "${local.arn_prefix}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogs"
        Effect    = "Allow"
        Principal = { Service = "logs.${each.key}.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"]
        Resource  = "*"
        Condition = {
          ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "${local.arn_prefix}:logs:${each.key}:${local.account_id}:log-group:*" }
        }
      },
      {
        # CloudWatch alarms publish to the encrypted topic; the AWS-managed
        # SNS key cannot grant this, hence a customer-managed key. Only this
        # account's alarms of this deployment in this region (confused deputy:
        # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services,
        # https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns (ArnLike aws:SourceArn on
        # the alarms) and https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
        Sid       = "CloudWatchAlarmsToSns"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = "${local.arn_prefix}:cloudwatch:${each.key}:${local.account_id}:alarm:${local.name}-*" }
        }
      },
    ]
  })
}

resource "aws_kms_alias" "regional" {
  for_each = toset(var.regions)

  region        = each.key
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.regional[each.key].key_id
}
