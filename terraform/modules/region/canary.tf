# This region's canary: the user's journey against this region's own API URL,
# alarming on this region's topic (settings from the root; null: no canary).
module "canary" {
  source = "../canary"
  count  = var.canary == null ? 0 : 1

  name       = var.name
  scope      = "regional"
  region     = var.region
  account_id = var.account_id
  partition  = var.partition

  api_url         = aws_apigatewayv2_api.this.api_endpoint
  kms_key_arn     = var.kms_key_arn
  alarm_topic_arn = aws_sns_topic.alarms.arn

  package         = var.canary.package
  rate_minutes    = var.canary.rate_minutes
  runtime_version = var.canary.runtime_version
  retention_days  = var.canary.retention_days
  active_tracing  = var.tracing_mode == "Active"

  writes_need_token        = var.jwt_authorizer != null
  permissions_boundary_arn = var.permissions_boundary_arn
}
