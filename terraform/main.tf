# Every name derives from local.name, so environments sharing an account
# never collide and IAM policies can be scoped to "<name>-<environment>-*".
locals {
  name       = var.environment == "" ? var.name : "${var.name}-${var.environment}"
  table_name = coalesce(var.table_name, local.name)
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  primary_region  = var.regions[0]
  replica_regions = slice(var.regions, 1, length(var.regions))
  functions       = ["store-epoch-time", "get-epoch-store", "health-check"]
  provisioned     = var.billing_mode == "PROVISIONED"
  account_id      = data.aws_caller_identity.current.account_id
  arn_prefix      = "arn:${data.aws_partition.current.partition}"

  # The global table, whichever of the two resources holds it: on-demand (and
  # MRSC) with inline replicas here, PROVISIONED in table_provisioned.tf.
  table = local.provisioned ? aws_dynamodb_table.provisioned[0] : aws_dynamodb_table.this[0]

  package_dir = startswith(var.lambda_package_dir, "/") ? var.lambda_package_dir : "${path.root}/${var.lambda_package_dir}"
  packages = {
    for f in local.functions : f => {
      filename = "${local.package_dir}/${f}/bootstrap.zip"
      hash     = filebase64sha256("${local.package_dir}/${f}/bootstrap.zip")
    }
  }

  # Built rather than read from the table's replica blocks so that policies
  # are known at plan time; the table name reference keeps the dependency.
  table_arns = {
    for r in var.regions : r => "${local.arn_prefix}:dynamodb:${r}:${local.account_id}:table/${local.table.name}"
  }

  # Multi-region strong consistency (MRSC): see consistency_mode in variables.tf.
  strong = var.consistency_mode == "STRONG"

  # Every function's environment, the same in every region.
  function_environment = {
    TABLE_NAME     = local.table.name
    WRITE_SHARDS   = tostring(var.write_shards)
    RETENTION_DAYS = tostring(var.retention_days)
    # STRONG: listings see every region's acknowledged writes, and the health
    # probe fails in a region cut off from the others.
    CONSISTENT_READS = tostring(local.strong)
    # The store gives up (JSON 503) a second before Lambda stops the
    # invocation at its timeout (API Gateway's bare 500;
    # https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html);
    # the operation bound covers every DynamoDB call of a request. Capped at
    # 5 s: a client retries sooner.
    DYNAMODB_ATTEMPT_TIMEOUT_MS   = tostring(local.dynamodb_attempt_timeout_ms)
    DYNAMODB_OPERATION_TIMEOUT_MS = tostring(min(5000, var.lambda_timeout * 1000 - 1000))
  }
  # One attempt must fit in the operation: lambda_timeout's lower bound in
  # variables.tf is this plus the 1 s margin above (the cold start refuses an
  # attempt longer than the operation too).
  dynamodb_attempt_timeout_ms = 2000

  # The region sets an MRSC table may span (one set per table), as documented by DynamoDB.
  mrsc_region_sets = {
    US = ["us-east-1", "us-east-2", "us-west-2"]
    EU = ["eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1"]
    AP = ["ap-northeast-1", "ap-northeast-2", "ap-northeast-3"]
  }
}

# The global table in on-demand mode (EVENTUAL or STRONG): defined once in the
# first region, replicated to the others by its replica blocks.
resource "aws_dynamodb_table" "this" {
  # Deployments from before PROVISIONED billing hold aws_dynamodb_table.this:
  # Terraform moves a resource that gains count to index 0 by itself.
  count = local.provisioned ? 0 : 1

  region                      = local.primary_region
  name                        = local.table_name
  billing_mode                = "PAY_PER_REQUEST"
  deletion_protection_enabled = var.deletion_protection

  # Key schema: the contract with the Rust store (crates/epochstore).
  hash_key  = "pk"
  range_key = "sk"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  # MREC global tables replicate through the stream; MRSC replicates
  # synchronously without one, and nothing else here reads it.
  stream_enabled   = !local.strong
  stream_view_type = local.strong ? null : "NEW_AND_OLD_IMAGES"

  # Idempotency entries always carry expiresAt; records only when retention_days > 0.
  # MRSC tables do not support TTL: entries then stay (an expired one no
  # longer counts, the functions check expiresAt themselves).
  dynamic "ttl" {
    for_each = local.strong ? [] : [true]

    content {
      attribute_name = "expiresAt"
      enabled        = true
    }
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.regional[local.primary_region].arn
  }

  dynamic "replica" {
    for_each = local.replica_regions

    content {
      region_name                 = replica.value
      kms_key_arn                 = aws_kms_key.regional[replica.value].arn
      point_in_time_recovery      = true
      deletion_protection_enabled = var.deletion_protection
      propagate_tags              = true
      consistency_mode            = var.consistency_mode
    }
  }

  # MRSC with two replicas: the third region holds a witness (no reads or writes).
  dynamic "global_table_witness" {
    for_each = var.witness_region == "" ? [] : [var.witness_region]

    content {
      region_name = global_table_witness.value
    }
  }
}

module "region" {
  source   = "./modules/region"
  for_each = toset(var.regions)

  name                     = local.name
  region                   = each.key
  peer_regions             = [for r in var.regions : r if r != each.key]
  permissions_boundary_arn = var.permissions_boundary_arn
  account_id               = local.account_id
  partition                = data.aws_partition.current.partition

  kms_key_arn = aws_kms_key.regional[each.key].arn
  table_name  = local.table.name
  table_arn   = local.table_arns[each.key]

  packages                = local.packages
  architecture            = var.architecture
  memory_size             = var.lambda_memory_size
  timeout                 = var.lambda_timeout
  provisioned_concurrency = var.provisioned_concurrency
  tracing_mode            = var.tracing_mode
  canary                  = local.canary
  environment             = local.function_environment

  log_retention_days     = var.log_retention_days
  throttling_burst_limit = var.api_throttling_burst_limit
  throttling_rate_limit  = var.api_throttling_rate_limit
  alarm_email            = var.alarm_email
  jwt_authorizer         = var.jwt_issuer == "" ? null : { issuer = var.jwt_issuer, audience = var.jwt_audience }

  # PROVISIONED: a region's functions and canary start once its replica exists
  # (on demand, the table's inline replicas already come with the table).
  depends_on = [aws_dynamodb_table_replica.provisioned]
}

module "dns_failover" {
  source = "./modules/dns_failover"
  count  = var.domain_name == "" ? 0 : 1

  name              = local.name
  account_id        = local.account_id
  partition         = data.aws_partition.current.partition
  domain_name       = var.domain_name
  hosted_zone_name  = var.hosted_zone_name != "" ? var.hosted_zone_name : join(".", slice(split(".", var.domain_name), 1, length(split(".", var.domain_name))))
  failure_threshold = var.health_check_failure_threshold
  checker_regions   = var.health_check_regions
  alarm_email       = var.alarm_email
  # Bare region names without an environment: the records of existing
  # deployments keep their identifiers (changing one replaces the record).
  set_identifier_prefix = var.environment == "" ? "" : "${local.name}-"
  regions = {
    for r in var.regions : r => {
      api_id       = module.region[r].api_id
      api_endpoint = module.region[r].api_endpoint
      stage_name   = module.region[r].stage_name
      weight       = lookup(var.dns_weights, r, 100)
    }
  }
}
