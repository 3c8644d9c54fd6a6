output "name" {
  description = "Canary name (the CanaryName dimension of its CloudWatchSynthetics metrics)."
  value       = aws_synthetics_canary.this.name
}

output "alarm_name" {
  description = "The canary's failure alarm."
  value       = aws_cloudwatch_metric_alarm.failing.alarm_name
}

output "artifact_bucket" {
  description = "S3 bucket holding the canary's run artifacts."
  value       = aws_s3_bucket.artifacts.bucket
}
