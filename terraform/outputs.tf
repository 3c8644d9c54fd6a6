locals {
  health_check_ids = var.domain_name == "" ? {} : module.dns_failover[0].health_check_ids
}

output "global_url" {
  description = "https URL of the weighted, health-checked name; null without domain_name."
  value       = var.domain_name == "" ? null : module.dns_failover[0].global_url
}

output "regional_urls" {
  description = "Region => https URL of that region's HTTP API (works with or without a domain)."
  value       = { for r in var.regions : r => module.region[r].api_endpoint }
}

output "table_name" {
  description = "DynamoDB global table name."
  value       = local.table.name
}

output "health_check_ids" {
  description = "Region => Route53 health check id; empty without domain_name."
  value       = local.health_check_ids
}

output "function_names" {
  description = "Region => function key => Lambda function name."
  value       = { for r in var.regions : r => module.region[r].function_names }
}

output "dashboard_name" {
  description = "CloudWatch dashboard (in the first region)."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "jwt_issuer" {
  description = "Issuer whose JWTs POST /storeEpochTime requires (Authorization: Bearer); null when the API is public."
  value       = var.jwt_issuer == "" ? null : var.jwt_issuer
}
