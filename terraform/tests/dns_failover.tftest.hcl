# The DNS failover module on its own: certificates, regional domains, one
# health check per region on its own endpoint, equal weighted records,
# health-check alarms in us-east-1.

mock_provider "aws" {
  mock_resource "aws_acm_certificate" {
    defaults = {
      domain_validation_options = [{
        domain_name           = "api.example.com"
        resource_record_name  = "_0123456789abcdef.api.example.com."
        resource_record_type  = "CNAME"
        resource_record_value = "_fedcba9876543210.acm-validations.aws."
      }]
    }
  }

  mock_data "aws_route53_zone" {
    defaults = {
      zone_id = "Z0123456789EXAMPLE"
    }
  }
}

variables {
  name              = "epochstore"
  account_id        = "123456789012"
  partition         = "aws"
  domain_name       = "api.example.com"
  hosted_zone_name  = "example.com"
  failure_threshold = 3
  alarm_email       = ""
  regions = {
    for r in ["eu-central-1", "eu-west-3"] : r => {
      api_id       = "api-${r}"
      api_endpoint = "https://api-${r}.execute-api.${r}.amazonaws.com"
      stage_name   = "$default"
      weight       = 100
    }
  }
}

run "health_checks_and_records" {
  module {
    source = "./modules/dns_failover"
  }

  assert {
    condition = {
      for r, hc in aws_route53_health_check.this : r => [hc.type, hc.fqdn, hc.port, hc.resource_path, hc.request_interval, hc.failure_threshold]
      } == {
      for r in ["eu-central-1", "eu-west-3"] : r => ["HTTPS", "api-${r}.execute-api.${r}.amazonaws.com", 443, "/health", 10, 3]
    }
    error_message = "One HTTPS health check per region on its own endpoint's /health, every 10 s."
  }

  assert {
    condition     = alltrue([for hc in aws_route53_health_check.this : hc.fqdn != var.domain_name])
    error_message = "Never health-check through the weighted name."
  }

  assert {
    condition = alltrue([
      for r, rec in aws_route53_record.weighted : (
        rec.name == "api.example.com" && rec.type == "A" && rec.set_identifier == r &&
        rec.health_check_id == aws_route53_health_check.this[r].id && rec.alias[0].evaluate_target_health &&
        rec.zone_id == "Z0123456789EXAMPLE"
      )
    ])
    error_message = "Weighted alias records tied to their region's health check."
  }

  assert {
    condition     = length(distinct([for rec in aws_route53_record.weighted : rec.weighted_routing_policy[0].weight])) == 1 && length(aws_route53_record.weighted) == 2
    error_message = "Equal weights by default."
  }

  assert {
    condition = alltrue([
      for r, d in aws_apigatewayv2_domain_name.this : (
        d.region == r && d.domain_name == "api.example.com" &&
        d.domain_name_configuration[0].endpoint_type == "REGIONAL" && d.domain_name_configuration[0].security_policy == "TLS_1_2"
      )
    ])
    error_message = "Regional custom domain with TLS 1.2 in every region."
  }

  assert {
    condition     = alltrue([for r, c in aws_acm_certificate.this : c.region == r && c.validation_method == "DNS" && c.domain_name == "api.example.com"])
    error_message = "A DNS-validated certificate in each region."
  }

  assert {
    condition = (
      aws_route53_record.certificate_validation.name == "_0123456789abcdef.api.example.com." && aws_route53_record.certificate_validation.type == "CNAME" &&
      alltrue([for r, v in aws_acm_certificate_validation.this : v.region == r && v.validation_record_fqdns == toset([aws_route53_record.certificate_validation.fqdn])])
    )
    error_message = "One validation record, owned once, that every region's certificate validation uses (a record per region would go with any one region)."
  }

  assert {
    condition     = alltrue([for r, m in aws_apigatewayv2_api_mapping.this : m.region == r && m.api_id == "api-${r}" && m.stage == "$default"])
    error_message = "API mappings."
  }

  assert {
    condition = alltrue([
      for r, a in aws_cloudwatch_metric_alarm.health : (
        a.region == "us-east-1" && a.namespace == "AWS/Route53" && a.metric_name == "HealthCheckStatus" &&
        a.dimensions.HealthCheckId == aws_route53_health_check.this[r].id && a.alarm_actions == toset([aws_sns_topic.health.arn])
      )
    ])
    error_message = "Health-check alarms in us-east-1 on an encrypted topic there."
  }

  assert {
    condition     = aws_sns_topic.health.region == "us-east-1" && aws_sns_topic.health.kms_master_key_id == aws_kms_key.alarms.arn && aws_kms_key.alarms.enable_key_rotation
    error_message = "The us-east-1 topic is encrypted with a rotating CMK."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_kms_key.alarms.policy).Statement : s.Principal == { Service = "cloudwatch.amazonaws.com" } && toset(s.Action) == toset(["kms:Decrypt", "kms:GenerateDataKey"])
    ])
    error_message = "CloudWatch may use the topic key."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.alarms.policy).Statement : try(
        s.Condition.StringEquals["aws:SourceAccount"] == var.account_id &&
        s.Condition.ArnLike["aws:SourceArn"] == "arn:${var.partition}:cloudwatch:us-east-1:${var.account_id}:alarm:${var.name}-*",
        false
      ) if s.Principal == { Service = "cloudwatch.amazonaws.com" }
    ])
    error_message = "CloudWatch may use the topic key only for this account's alarms of this deployment (aws:SourceAccount, aws:SourceArn: confused deputy)."
  }
}

run "weights_and_threshold" {
  module {
    source = "./modules/dns_failover"
  }

  variables {
    failure_threshold = 5
    checker_regions   = ["eu-west-1", "us-east-1", "ap-southeast-1"]
    regions = {
      "eu-central-1" = { api_id = "a", api_endpoint = "https://a.execute-api.eu-central-1.amazonaws.com", stage_name = "$default", weight = 200 }
      "eu-west-3"    = { api_id = "b", api_endpoint = "https://b.execute-api.eu-west-3.amazonaws.com", stage_name = "$default", weight = 50 }
      "us-east-1"    = { api_id = "c", api_endpoint = "https://c.execute-api.us-east-1.amazonaws.com", stage_name = "$default", weight = 50 }
    }
  }

  assert {
    condition     = { for r, rec in aws_route53_record.weighted : r => rec.weighted_routing_policy[0].weight } == { "eu-central-1" = 200, "eu-west-3" = 50, "us-east-1" = 50 }
    error_message = "Weights follow the input."
  }

  assert {
    condition     = length(aws_route53_health_check.this) == 3 && alltrue([for hc in aws_route53_health_check.this : hc.failure_threshold == 5 && hc.regions == toset(["eu-west-1", "us-east-1", "ap-southeast-1"])])
    error_message = "failure_threshold and the checker regions are variables."
  }
}
