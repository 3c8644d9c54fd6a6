output "api_id" {
  description = "HTTP API id."
  value       = aws_apigatewayv2_api.this.id
}

output "api_endpoint" {
  description = "https URL of the API's execute-api endpoint ($default stage, so no stage path)."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "stage_name" {
  description = "API stage name."
  value       = aws_apigatewayv2_stage.default.name
}

output "alarm_topic_arn" {
  description = "SNS topic that receives this region's alarms."
  value       = aws_sns_topic.alarms.arn
}

output "function_names" {
  description = "Function name per function key."
  value       = { for f, fn in aws_lambda_function.this : f => fn.function_name }
}

output "functions" {
  description = "Per function key: name, ARN, execution role, runtime, architectures and environment (configuration only, nothing secret)."
  value = {
    for f, fn in aws_lambda_function.this : f => {
      name          = fn.function_name
      arn           = fn.arn
      role_arn      = fn.role
      runtime       = fn.runtime
      architectures = fn.architectures
      environment   = one(fn.environment).variables
    }
  }
}

output "routes" {
  description = "Route key => function key."
  value       = { for k, r in aws_apigatewayv2_route.this : k => local.routes[k] }
}

output "canary_name" {
  description = "Name of this region's canary; null without one."
  value       = one(module.canary[*].name)
}

output "jwt_routes" {
  description = "Route keys that require a JWT (empty without jwt_authorizer)."
  value       = [for k, r in aws_apigatewayv2_route.this : k if r.authorization_type == "JWT"]
}
