output "bucket" {
  description = "State bucket name."
  value       = aws_s3_bucket.state.bucket
}

output "kms_key_arn" {
  description = "Key that encrypts the state objects."
  value       = aws_kms_key.state.arn
}

output "replica_bucket" {
  description = "Replica bucket name, null without replication_region."
  value       = local.replicate ? aws_s3_bucket.replica[0].bucket : null
}

output "backend_config" {
  description = "Backend settings for the root: terraform output -raw backend_config > ../terraform/backend.hcl"
  value       = <<-EOT
    bucket       = "${aws_s3_bucket.state.bucket}"
    key          = "${var.state_key}"
    region       = "${var.region}"
    encrypt      = true
    kms_key_id   = "${aws_kms_key.state.arn}"
    use_lockfile = true
  EOT
}
