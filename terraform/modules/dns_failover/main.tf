# Route53 publishes health-check metrics only in us-east-1, so their alarms
# and the topic those alarms notify live there.
locals {
  metrics_region = "us-east-1"
}

data "aws_route53_zone" "this" {
  name         = var.hosted_zone_name
  private_zone = false
}

# --- Regional custom domain: certificate, validation, API mapping.

resource "aws_acm_certificate" "this" {
  for_each = var.regions

  region            = each.key
  domain_name       = var.domain_name
  validation_method = "DNS"

  options {
    certificate_transparency_logging_preference = "ENABLED"
  }

  lifecycle {
    create_before_destroy = true
  }
}

# ACM returns the same validation CNAME for a name in every region (it derives
# it from the account and the name), so one record serves every certificate and
# is owned once: a record per region would be deleted with any one region while
# the others still need it to renew. It reads the alphabetically first region's
# certificate; when that region goes, the next one's gives the same values, so
# the record stays. Looked up by the known domain name: domain_validation_options
# itself is unknown until the certificate exists.
# https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html
locals {
  validation_option = { for o in aws_acm_certificate.this[sort(keys(var.regions))[0]].domain_validation_options : o.domain_name => o }[var.domain_name]
}

resource "aws_route53_record" "certificate_validation" {
  zone_id         = data.aws_route53_zone.this.zone_id
  name            = local.validation_option.resource_record_name
  type            = local.validation_option.resource_record_type
  records         = [local.validation_option.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

# The per-region records of earlier versions were all the same record: forget
# them without deleting it (certificate_validation takes it over by UPSERT).
removed {
  from = aws_route53_record.validation

  lifecycle {
    destroy = false
  }
}

resource "aws_acm_certificate_validation" "this" {
  for_each = var.regions

  region                  = each.key
  certificate_arn         = aws_acm_certificate.this[each.key].arn
  validation_record_fqdns = [aws_route53_record.certificate_validation.fqdn]
}

resource "aws_apigatewayv2_domain_name" "this" {
  for_each = var.regions

  region      = each.key
  domain_name = var.domain_name

  domain_name_configuration {
    certificate_arn = aws_acm_certificate_validation.this[each.key].certificate_arn
    endpoint_type   = "REGIONAL"
    security_policy = "TLS_1_2"
  }
}

resource "aws_apigatewayv2_api_mapping" "this" {
  for_each = var.regions

  region      = each.key
  api_id      = each.value.api_id
  domain_name = aws_apigatewayv2_domain_name.this[each.key].id
  stage       = each.value.stage_name
}

# --- Health checks: each region's own execute-api endpoint, never the
# weighted name (which would answer from whichever region is healthy).

resource "aws_route53_health_check" "this" {
  for_each = var.regions

  type              = "HTTPS"
  fqdn              = trimprefix(each.value.api_endpoint, "https://")
  port              = 443
  resource_path     = "/health"
  request_interval  = 10
  failure_threshold = var.failure_threshold
  enable_sni        = true
  regions           = length(var.checker_regions) == 0 ? null : var.checker_regions

  tags = {
    Name = "${var.name}-${each.key}"
  }
}

resource "aws_route53_record" "weighted" {
  for_each = var.regions

  zone_id         = data.aws_route53_zone.this.zone_id
  name            = var.domain_name
  type            = "A"
  set_identifier  = "${var.set_identifier_prefix}${each.key}"
  health_check_id = aws_route53_health_check.this[each.key].id

  weighted_routing_policy {
    weight = each.value.weight
  }

  alias {
    name                   = aws_apigatewayv2_domain_name.this[each.key].domain_name_configuration[0].target_domain_name
    zone_id                = aws_apigatewayv2_domain_name.this[each.key].domain_name_configuration[0].hosted_zone_id
    evaluate_target_health = true
  }
}

# --- Health-check alarms (us-east-1) and their encrypted topic.

resource "aws_kms_key" "alarms" {
  region                  = local.metrics_region
  description             = "${var.name}: Route53 health-check alarm topic"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministration"
        Effect    = "Allow"
        Principal = { AWS = "arn:${var.partition}:iam::${var.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        # Only this account's health-check alarms of this deployment (confused deputy:
        # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
        Sid       = "CloudWatchAlarmsToSns"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = var.account_id }
          ArnLike      = { "aws:SourceArn" = "arn:${var.partition}:cloudwatch:${local.metrics_region}:${var.account_id}:alarm:${var.name}-*" }
        }
      },
    ]
  })
}

resource "aws_sns_topic" "health" {
  region            = local.metrics_region
  name              = "${var.name}-health-checks"
  kms_master_key_id = aws_kms_key.alarms.arn
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == "" ? 0 : 1

  region    = local.metrics_region
  topic_arn = aws_sns_topic.health.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_cloudwatch_metric_alarm" "health" {
  for_each = var.regions

  region              = local.metrics_region
  alarm_name          = "${var.name}-${each.key}-health-check"
  alarm_description   = "Route53 health check of ${each.key} is failing: the region is out of ${var.domain_name}"
  namespace           = "AWS/Route53"
  metric_name         = "HealthCheckStatus"
  dimensions          = { HealthCheckId = aws_route53_health_check.this[each.key].id }
  statistic           = "Minimum"
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  period              = 60
  evaluation_periods  = 1
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.health.arn]
  ok_actions          = [aws_sns_topic.health.arn]
}
