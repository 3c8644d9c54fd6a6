output "global_url" {
  description = "https URL of the weighted, health-checked name."
  value       = "https://${var.domain_name}"
}

output "health_check_ids" {
  description = "Route53 health check id per region."
  value       = { for r, hc in aws_route53_health_check.this : r => hc.id }
}

output "regional_domain_targets" {
  description = "Per region, the API Gateway regional domain target the weighted record aliases."
  value       = { for r, d in aws_apigatewayv2_domain_name.this : r => d.domain_name_configuration[0].target_domain_name }
}
