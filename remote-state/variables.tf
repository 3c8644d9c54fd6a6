variable "region" {
  description = "Region of the state bucket (use the deployment's first region)."
  type        = string
  default     = "eu-central-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-central-1."
  }
}

variable "bucket_name" {
  description = "State bucket name. Empty: <name>-tfstate-<account id>-<region>, which is globally unique."
  type        = string
  default     = ""

  validation {
    condition     = var.bucket_name == "" || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "name" {
  description = "Prefix of the generated names."
  type        = string
  default     = "epochstore"
}

variable "state_key" {
  description = "Object key of the root configuration's state, printed in backend_config."
  type        = string
  default     = "epochstore/terraform.tfstate"
}

variable "noncurrent_version_days" {
  description = "Days a superseded state version is kept (every apply writes one)."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "access_log_days" {
  description = "Days the S3 server access logs of the state bucket are kept."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_days >= 1
    error_message = "access_log_days must be at least 1."
  }
}

variable "replication_region" {
  description = "Second region for a replicated copy of the state (its own bucket, key and role). Empty (default): no replication."
  type        = string
  default     = ""

  validation {
    condition     = var.replication_region == "" || (can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.replication_region)) && var.replication_region != var.region)
    error_message = "replication_region must be empty or an AWS region other than region."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = { project = "epochstore", purpose = "terraform-state" }
}
