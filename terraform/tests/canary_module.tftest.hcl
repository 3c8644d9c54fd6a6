# The canary module on its own: name, schedule, alarm, role, artifact bucket.

mock_provider "aws" {
  # Known at plan, so that the bucket policy and the role policy can be read.
  mock_resource "aws_s3_bucket" {
    override_during = plan
    defaults = {
      arn = "arn:aws:s3:::artifacts"
    }
  }
}

variables {
  name            = "epochstore"
  scope           = "regional"
  region          = "eu-central-1"
  account_id      = "123456789012"
  partition       = "aws"
  api_url         = "https://abcdef1234.execute-api.eu-central-1.amazonaws.com"
  kms_key_arn     = "arn:aws:kms:eu-central-1:123456789012:key/11111111-1111-1111-1111-111111111111"
  alarm_topic_arn = "arn:aws:sns:eu-central-1:123456789012:epochstore-alarms"
  package = {
    filename = "tests/fixtures/lambda/canary/epochstore-canary.zip"
    hash     = "hash-of-the-canary"
  }
  runtime_version = "syn-nodejs-puppeteer-15.0"
  active_tracing  = true
}

run "regional_canary" {
  command = plan

  module {
    source = "./modules/canary"
  }

  assert {
    condition = (
      aws_synthetics_canary.this.name == "epochstore-euc1" && aws_synthetics_canary.this.region == "eu-central-1" &&
      aws_synthetics_canary.this.handler == "epochstore-canary.handler" && aws_synthetics_canary.this.runtime_version == "syn-nodejs-puppeteer-15.0" &&
      aws_synthetics_canary.this.zip_file == "tests/fixtures/lambda/canary/epochstore-canary.zip" && aws_synthetics_canary.this.start_canary
    )
    error_message = "A started canary named <name>-<region code>, running the packaged script on the chosen runtime."
  }

  assert {
    condition     = aws_synthetics_canary.this.schedule[0].expression == "rate(1 minute)" && aws_synthetics_canary.this.run_config[0].timeout_in_seconds <= 60
    error_message = "Every minute by default, each run bounded by the interval."
  }

  assert {
    condition     = aws_synthetics_canary.this.run_config[0].environment_variables == tomap({ API_URL = var.api_url, WRITES_NEED_TOKEN = "false" }) && aws_synthetics_canary.this.run_config[0].active_tracing
    error_message = "The canary calls its API URL, traced, and stores records."
  }

  assert {
    condition = (
      aws_synthetics_canary.this.artifact_s3_location == "s3://epochstore-canary-euc1-123456789012/canary/epochstore-euc1/" &&
      aws_synthetics_canary.this.artifact_config[0].s3_encryption[0].encryption_mode == "SSE_KMS" &&
      aws_synthetics_canary.this.artifact_config[0].s3_encryption[0].kms_key_arn == var.kms_key_arn
    )
    error_message = "Artifacts under the canary's own prefix, encrypted with the region's key."
  }

  assert {
    condition = (
      one(aws_s3_bucket_server_side_encryption_configuration.artifacts.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" &&
      one(aws_s3_bucket_server_side_encryption_configuration.artifacts.rule).apply_server_side_encryption_by_default[0].kms_master_key_id == var.kms_key_arn &&
      aws_s3_bucket_versioning.artifacts.versioning_configuration[0].status == "Enabled" &&
      aws_s3_bucket_ownership_controls.artifacts.rule[0].object_ownership == "BucketOwnerEnforced" &&
      aws_s3_bucket_public_access_block.artifacts.block_public_acls && aws_s3_bucket_public_access_block.artifacts.block_public_policy &&
      aws_s3_bucket_public_access_block.artifacts.ignore_public_acls && aws_s3_bucket_public_access_block.artifacts.restrict_public_buckets
    )
    error_message = "The artifact bucket: KMS with the region's key, versioned, owner-enforced, public access blocked."
  }

  assert {
    condition = (
      aws_s3_bucket_lifecycle_configuration.artifacts.rule[0].expiration[0].days == 30 &&
      aws_s3_bucket_lifecycle_configuration.artifacts.rule[0].noncurrent_version_expiration[0].noncurrent_days == 1 &&
      aws_synthetics_canary.this.success_retention_period == 30 && aws_synthetics_canary.this.failure_retention_period == 30
    )
    error_message = "Artifacts and run results expire after retention_days."
  }

  assert {
    condition = jsondecode(aws_s3_bucket_policy.artifacts.policy).Statement == [{
      Sid       = "DenyInsecureTransport", Effect = "Deny", Principal = "*", Action = "s3:*",
      Resource  = ["arn:aws:s3:::artifacts", "arn:aws:s3:::artifacts/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
    error_message = "The bucket refuses plain HTTP."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.failing.namespace == "CloudWatchSynthetics" && aws_cloudwatch_metric_alarm.failing.metric_name == "SuccessPercent" &&
      aws_cloudwatch_metric_alarm.failing.dimensions == tomap({ CanaryName = "epochstore-euc1" }) &&
      aws_cloudwatch_metric_alarm.failing.comparison_operator == "LessThanThreshold" && aws_cloudwatch_metric_alarm.failing.threshold == 100 &&
      aws_cloudwatch_metric_alarm.failing.period == 60 && aws_cloudwatch_metric_alarm.failing.region == "eu-central-1"
    )
    error_message = "An alarm on failed runs of this canary, one period per run."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.failing.alarm_actions == toset([var.alarm_topic_arn]) &&
      aws_cloudwatch_metric_alarm.failing.ok_actions == toset([var.alarm_topic_arn]) &&
      aws_cloudwatch_metric_alarm.failing.insufficient_data_actions == toset([var.alarm_topic_arn])
    )
    error_message = "The alarm notifies the region's topic, also when the canary stops reporting."
  }

  assert {
    condition = {
      for s in jsondecode(aws_iam_role_policy.canary.policy).Statement : s.Sid => [toset(s.Action), flatten([s.Resource])]
      } == {
      OwnArtifacts                                = [toset(["s3:PutObject", "s3:GetObject"]), ["arn:aws:s3:::artifacts/canary/epochstore-euc1/*"]]
      ArtifactBucketLocation                      = [toset(["s3:GetBucketLocation"]), ["arn:aws:s3:::artifacts"]]
      ArtifactKey                                 = [toset(["kms:GenerateDataKey", "kms:Decrypt"]), [var.kms_key_arn]]
      OwnLogGroup                                 = [toset(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]), ["arn:aws:logs:eu-central-1:123456789012:log-group:/aws/lambda/cwsyn-epochstore-euc1-*"]]
      ListBucketsNoResourceLevelPermissions       = [toset(["s3:ListAllMyBuckets"]), ["*"]]
      SyntheticsMetricsNoResourceLevelPermissions = [toset(["cloudwatch:PutMetricData"]), ["*"]]
      XRayWriteNoResourceLevelPermissions         = [toset(["xray:PutTraceSegments"]), ["*"]]
    }
    error_message = "The canary role: its own artifact prefix, bucket and log group; '*' only for the three actions without resource-level permissions."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.canary.policy).Statement : (
        s.Sid == "ArtifactKey" ? s.Condition == { StringEquals = { "kms:ViaService" = "s3.eu-central-1.amazonaws.com" } } :
        s.Sid == "SyntheticsMetricsNoResourceLevelPermissions" ? s.Condition == { StringEquals = { "cloudwatch:namespace" = "CloudWatchSynthetics" } } :
        !can(s.Condition)
      ) && s.Effect == "Allow"
    ])
    error_message = "The key only through S3, metrics only in the CloudWatchSynthetics namespace."
  }

  assert {
    condition     = jsondecode(aws_iam_role.canary.assume_role_policy).Statement[0].Principal == { Service = "lambda.amazonaws.com" } && aws_iam_role.canary.name == "epochstore-canary-euc1"
    error_message = "A role of its own, assumable by Lambda only."
  }
}

run "untraced_global_canary_every_five_minutes" {
  command = plan

  module {
    source = "./modules/canary"
  }

  variables {
    scope          = "global"
    api_url        = "https://api.example.com"
    rate_minutes   = 5
    active_tracing = false
  }

  assert {
    condition     = aws_synthetics_canary.this.name == "epochstore-gl" && aws_synthetics_canary.this.schedule[0].expression == "rate(5 minutes)" && aws_cloudwatch_metric_alarm.failing.period == 300
    error_message = "The global canary's name; rate and alarm period follow rate_minutes."
  }

  assert {
    condition     = !aws_synthetics_canary.this.run_config[0].active_tracing && !strcontains(aws_iam_role_policy.canary.policy, "xray:")
    error_message = "No tracing, no X-Ray permission."
  }
}

run "writes_need_token" {
  command = plan

  module {
    source = "./modules/canary"
  }

  variables {
    writes_need_token = true
  }

  assert {
    condition     = aws_synthetics_canary.this.run_config[0].environment_variables["WRITES_NEED_TOKEN"] == "true"
    error_message = "With JWT-protected writes the canary expects an anonymous POST to be refused."
  }
}

run "long_name_blue" {
  command = plan

  module {
    source = "./modules/canary"
  }

  variables {
    name   = "epochstore-staging-blue"
    region = "ap-southeast-1"
  }

  expect_failures = [check.canary_name_keeps_the_prefix]

  assert {
    condition     = aws_synthetics_canary.this.name == "epochstore-feb3-apse1" && length(aws_synthetics_canary.this.name) <= 21
    error_message = "A name too long for 21 characters keeps its start and 4 hex digits of its hash."
  }

  assert {
    condition = (
      aws_s3_bucket.artifacts.bucket == "epochstore-staging-blue-canary-apse1-123456789012" && aws_iam_role.canary.name == "epochstore-staging-blue-canary-apse1" &&
      startswith(aws_cloudwatch_metric_alarm.failing.alarm_name, "epochstore-staging-blue-")
    )
    error_message = "Bucket, role and alarm keep the full name (policies scoped to <name>-* cover them)."
  }
}

run "long_name_green" {
  command = plan

  module {
    source = "./modules/canary"
  }

  variables {
    name   = "epochstore-staging-green"
    region = "ap-southeast-1"
  }

  expect_failures = [check.canary_name_keeps_the_prefix]

  assert {
    condition     = aws_synthetics_canary.this.name != run.long_name_blue.name && length(aws_synthetics_canary.this.name) <= 21 && can(regex("^[0-9a-z_-]+$", aws_synthetics_canary.this.name))
    error_message = "Two long names with the same start still give distinct, valid canary names."
  }
}

run "environment_names_fit_whole" {
  command = plan

  module {
    source = "./modules/canary"
  }

  variables {
    name    = "epochstore-prod"
    scope   = "global"
    api_url = "https://api.example.com"
  }

  assert {
    condition     = aws_synthetics_canary.this.name == "epochstore-prod-gl"
    error_message = "prod's global canary keeps the whole <name>-<env>- prefix the deploy role is scoped to."
  }
}

run "environment_names_fit_whole_in_every_region" {
  command = plan

  module {
    source = "./modules/canary"
  }

  variables {
    name   = "epochstore-prod"
    region = "ap-southeast-5"
  }

  assert {
    condition     = aws_synthetics_canary.this.name == "epochstore-prod-apse5"
    error_message = "A regional canary of prod keeps the whole prefix, even with a five-letter region code."
  }
}

run "region_codes" {
  command = plan

  module {
    source = "./modules/canary"
  }

  variables {
    name   = "abcdefghijklmnopqrstu"
    region = "us-gov-west-1"
  }

  expect_failures = [check.canary_name_keeps_the_prefix]

  assert {
    condition     = length(aws_synthetics_canary.this.name) == 21 && endswith(aws_synthetics_canary.this.name, "-usgovw1") && startswith(aws_synthetics_canary.this.name, "abcdefghi")
    error_message = "The longest project name with a long region code still fits."
  }
}
