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

output "region" {
  description = "Region of the state bucket: delivery/'s state_region and the repository variable TF_STATE_REGION (a backend pointed at another region fails init with S3's 301 PermanentRedirect)."
  value       = var.region
}

output "backend_config" {
  description = "Backend settings for the root: terraform output -raw backend_config > ../terraform/backend.hcl"
  value       = local.backend_configs.root
}

output "delivery_backend_config" {
  description = "Backend settings for delivery/'s own state: terraform output -raw delivery_backend_config > ../delivery/backend.hcl"
  value       = local.backend_configs.delivery
}

output "self_backend_override" {
  description = "This root's own backend, complete, once the bucket exists: write it to remote-state/backend_override.tf, run init -migrate-state, and commit the file (it holds names, no secret), so that every administrator's init finds this state."
  value       = <<-EOT
    # Written from remote-state/'s output self_backend_override: this root's
    # state lives in the bucket it created.
    terraform {
      backend "s3" {
        ${indent(4, trimspace(local.backend_configs.remote_state))}
      }
    }
  EOT
}
