# Synthetics canaries: one per region on that region's API (modules/region),
# and one on the global domain when there is one, run from the first region.
locals {
  canary = var.canaries_enabled ? {
    package = {
      filename = "${local.package_dir}/canary/epochstore-canary.zip"
      hash     = filebase64sha256("${local.package_dir}/canary/epochstore-canary.zip")
    }
    rate_minutes    = var.canary_rate_minutes
    runtime_version = var.canary_runtime_version
    retention_days  = var.canary_retention_days
  } : null

  canary_names = merge(
    { for r in var.regions : r => module.region[r].canary_name if var.canaries_enabled },
    { for c in module.global_canary : "global" => c.name },
  )
}

module "global_canary" {
  source = "./modules/canary"
  count  = var.canaries_enabled && var.domain_name != "" ? 1 : 0

  name       = local.name
  scope      = "global"
  region     = local.primary_region
  account_id = local.account_id
  partition  = data.aws_partition.current.partition

  api_url         = module.dns_failover[0].global_url
  kms_key_arn     = aws_kms_key.regional[local.primary_region].arn
  alarm_topic_arn = module.region[local.primary_region].alarm_topic_arn

  package         = local.canary.package
  rate_minutes    = local.canary.rate_minutes
  runtime_version = local.canary.runtime_version
  retention_days  = local.canary.retention_days
  active_tracing  = var.tracing_mode == "Active"

  writes_need_token        = var.jwt_issuer != ""
  permissions_boundary_arn = var.permissions_boundary_arn
}

output "canary_names" {
  description = "Region (or \"global\") => Synthetics canary name; empty with canaries_enabled = false."
  value       = local.canary_names
}
