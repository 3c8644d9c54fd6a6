# One CloudWatch Synthetics canary: the user's journey against one URL every
# rate_minutes (canary/index.js), its artifact bucket, a least-privilege role
# and an alarm on failed runs.

locals {
  # Short region code for the name: eu-central-1 -> euc1, ap-southeast-1 ->
  # apse1, us-gov-west-1 -> usgovw1 (distinct for every region).
  directions = { north = "n", south = "s", east = "e", west = "w", central = "c", northeast = "ne", northwest = "nw", southeast = "se", southwest = "sw" }
  label      = var.scope == "global" ? "global" : join("", [for word in split("-", var.region) : lookup(local.directions, word, word)])

  # Synthetics allows 21 characters of [0-9a-z_-], so the canary's own name
  # says "gl" for the global one: epochstore-prod-gl, epochstore-prod-euc1.
  # A prefix too long even then keeps its start plus 4 hex digits of its
  # hash, so two long names that share a start still differ (and the check
  # below warns). Bucket, role and alarm always carry the full name.
  name_label    = var.scope == "global" ? "gl" : local.label
  prefix_budget = 21 - 1 - length(local.name_label)
  prefix        = length(var.name) <= local.prefix_budget ? var.name : "${substr(var.name, 0, local.prefix_budget - 4)}${substr(sha256(var.name), 0, 4)}"
  canary_name   = "${local.prefix}-${local.name_label}"

  arn_prefix      = "arn:${var.partition}"
  artifact_prefix = "canary/${local.canary_name}"
  # Synthetics names the canary's function cwsyn-<canary>-<id> and creates its
  # log group on the first run; the id is only known then, hence the wildcard.
  log_group_arn = "${local.arn_prefix}:logs:${var.region}:${var.account_id}:log-group:/aws/lambda/cwsyn-${local.canary_name}-*"
}

# --- Artifact bucket: run reports and logs, encrypted with the region's key.

resource "aws_s3_bucket" "artifacts" {
  region = var.region
  bucket = "${var.name}-canary-${local.label}-${var.account_id}"
  # Only disposable run artifacts: destroy removes them with the canary.
  force_destroy = true

  #checkov:skip=CKV_AWS_18:run artifacts of a synthetic monitor; access logs would need a log bucket per region for data nobody reads
  #checkov:skip=CKV_AWS_144:run artifacts expire after retention_days and every region has its own canary; a replica would copy diagnostics only
  #checkov:skip=CKV2_AWS_62:nothing consumes object events of the artifact bucket
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  region = var.region
  bucket = aws_s3_bucket.artifacts.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  region                  = var.region
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "artifacts" {
  region = var.region
  bucket = aws_s3_bucket.artifacts.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  region = var.region
  bucket = aws_s3_bucket.artifacts.id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  region = var.region
  bucket = aws_s3_bucket.artifacts.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  depends_on = [aws_s3_bucket_public_access_block.artifacts]
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  region = var.region
  bucket = aws_s3_bucket.artifacts.id

  rule {
    id     = "expire-artifacts"
    status = "Enabled"

    filter {}

    expiration {
      days = var.retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  # Lifecycle rules on a versioned bucket need versioning in place first.
  depends_on = [aws_s3_bucket_versioning.artifacts]
}

# --- Execution role

resource "aws_iam_role" "canary" {
  name                 = "${var.name}-canary-${local.label}"
  permissions_boundary = var.permissions_boundary_arn
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# The statements AWS documents for a canary role with KMS-encrypted artifacts
# (CloudWatch Synthetics, "Required roles and permissions for canaries"),
# each scoped as far as its action allows.
resource "aws_iam_role_policy" "canary" {
  name = "least-privilege"
  role = aws_iam_role.canary.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "OwnArtifacts"
          Effect   = "Allow"
          Action   = ["s3:PutObject", "s3:GetObject"]
          Resource = ["${aws_s3_bucket.artifacts.arn}/${local.artifact_prefix}/*"]
        },
        {
          Sid      = "ArtifactBucketLocation"
          Effect   = "Allow"
          Action   = ["s3:GetBucketLocation"]
          Resource = [aws_s3_bucket.artifacts.arn]
        },
        {
          Sid      = "ArtifactKey"
          Effect   = "Allow"
          Action   = ["kms:GenerateDataKey", "kms:Decrypt"]
          Resource = [var.kms_key_arn]
          Condition = {
            StringEquals = { "kms:ViaService" = "s3.${var.region}.amazonaws.com" }
          }
        },
        {
          Sid      = "OwnLogGroup"
          Effect   = "Allow"
          Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = [local.log_group_arn]
        },
        {
          # Required by the Synthetics runtime per AWS's canary role; the
          # action has no resource-level permissions, so "*" is its only resource.
          Sid      = "ListBucketsNoResourceLevelPermissions"
          Effect   = "Allow"
          Action   = ["s3:ListAllMyBuckets"]
          Resource = "*"
        },
        {
          # PutMetricData has no resource-level permissions; the condition
          # holds the role to the CloudWatchSynthetics namespace.
          Sid       = "SyntheticsMetricsNoResourceLevelPermissions"
          Effect    = "Allow"
          Action    = ["cloudwatch:PutMetricData"]
          Resource  = "*"
          Condition = { StringEquals = { "cloudwatch:namespace" = "CloudWatchSynthetics" } }
        },
      ],
      # Active tracing only: X-Ray's write action has no resource-level permissions.
      var.active_tracing ? [{
        Sid      = "XRayWriteNoResourceLevelPermissions"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments"]
        Resource = "*"
      }] : [],
    )
  })
}

# --- The canary and its alarm

# The canary takes its code inline (zip_file), and the provider redeploys it
# only when that path changes: the package hash replaces it on a new script.
resource "terraform_data" "package" {
  input = var.package.hash
}

resource "aws_synthetics_canary" "this" {
  region               = var.region
  name                 = local.canary_name
  runtime_version      = var.runtime_version
  handler              = "epochstore-canary.handler"
  zip_file             = var.package.filename
  execution_role_arn   = aws_iam_role.canary.arn
  artifact_s3_location = "s3://${aws_s3_bucket.artifacts.bucket}/${local.artifact_prefix}/"
  start_canary         = true
  delete_lambda        = true

  success_retention_period = var.retention_days
  failure_retention_period = var.retention_days

  schedule {
    expression = var.rate_minutes == 1 ? "rate(1 minute)" : "rate(${var.rate_minutes} minutes)"
  }

  run_config {
    timeout_in_seconds = 60
    active_tracing     = var.active_tracing
    environment_variables = {
      API_URL           = var.api_url
      WRITES_NEED_TOKEN = tostring(var.writes_need_token)
    }
  }

  artifact_config {
    s3_encryption {
      encryption_mode = "SSE_KMS"
      kms_key_arn     = var.kms_key_arn
    }
  }

  lifecycle {
    replace_triggered_by = [terraform_data.package]

    precondition {
      condition     = length(local.canary_name) <= 21 && can(regex("^[0-9a-z_-]+$", local.canary_name))
      error_message = "Canary name ${local.canary_name} breaks Synthetics' rule: at most 21 characters of 0-9, a-z, _ and -."
    }
  }

  # The role's policy must be in place before the first run.
  depends_on = [aws_iam_role_policy.canary, aws_s3_bucket_policy.artifacts]
}

# A run that fails, or no run at all: a stopped canary means nobody watches,
# so missing data turns the alarm to INSUFFICIENT_DATA, which also notifies.
resource "aws_cloudwatch_metric_alarm" "failing" {
  region              = var.region
  alarm_name          = "${var.name}-${var.region}-canary-${var.scope}"
  alarm_description   = "Canary ${local.canary_name} (${var.api_url}): runs failing in ${var.region}"
  namespace           = "CloudWatchSynthetics"
  metric_name         = "SuccessPercent"
  dimensions          = { CanaryName = aws_synthetics_canary.this.name }
  statistic           = "Average"
  comparison_operator = "LessThanThreshold"
  threshold           = 100
  period              = var.rate_minutes * 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  treat_missing_data  = "missing"

  alarm_actions             = [var.alarm_topic_arn]
  ok_actions                = [var.alarm_topic_arn]
  insufficient_data_actions = [var.alarm_topic_arn]
}

# delivery/'s deploy roles reach canaries named <name>-<env>-*: a shortened
# name is outside them (and outside the boundary's cwsyn-<name>-* log groups).
check "canary_name_keeps_the_prefix" {
  assert {
    condition     = local.prefix == var.name
    error_message = "The canary of ${var.name} is named ${local.canary_name} to fit Synthetics' 21 characters; delivery/'s deploy roles, scoped to ${var.name}-*, do not cover it. Use a shorter name or environment to deploy it through the pipeline."
  }
}
