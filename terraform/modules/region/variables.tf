variable "name" {
  description = "Resource name prefix."
  type        = string
}

variable "region" {
  description = "Region of this stack; every resource sets it through the provider v6 `region` argument."
  type        = string
}

variable "peer_regions" {
  description = "The other regions of the deployment (replication-latency alarms, one per receiving region)."
  type        = list(string)
}

variable "account_id" {
  description = "AWS account id, for ARNs in policies."
  type        = string
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov), for ARNs in policies."
  type        = string
}

variable "table_name" {
  description = "Name of the DynamoDB global table (the same in every region)."
  type        = string
}

variable "table_arn" {
  description = "ARN of the table or replica in this region."
  type        = string
}

variable "kms_key_arn" {
  description = "This region's customer-managed key: Lambda environment, log groups, alarm topic (and the table replica, which the caller configures)."
  type        = string
}

variable "packages" {
  description = "Per function (store-epoch-time, get-epoch-store, health-check): path of bootstrap.zip and its base64 SHA-256."
  type = map(object({
    filename = string
    hash     = string
  }))
}

variable "architecture" {
  description = "Lambda architecture, x86_64 or arm64."
  type        = string
}

variable "memory_size" {
  description = "Lambda memory in MB."
  type        = number
}

variable "timeout" {
  description = "Lambda timeout in seconds."
  type        = number
}

variable "provisioned_concurrency" {
  description = "Provisioned concurrency per function; 0 disables the `live` alias."
  type        = number
}

variable "tracing_mode" {
  description = "X-Ray tracing of the functions: Active (Lambda samples requests) or PassThrough (only requests whose caller sampled them)."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "environment" {
  description = "Environment shared by the three functions (TABLE_NAME, WRITE_SHARDS, RETENTION_DAYS)."
  type        = map(string)
}

variable "log_retention_days" {
  description = "Retention of the log groups."
  type        = number
}

variable "throttling_burst_limit" {
  description = "API default route burst limit."
  type        = number
}

variable "throttling_rate_limit" {
  description = "API default route rate limit (requests per second)."
  type        = number
}

variable "alarm_email" {
  description = "E-mail subscribed to the alarm topic; empty for none."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of every IAM role the module creates; null for none."
  type        = string
  default     = null
}

variable "jwt_authorizer" {
  description = "Issuer (https URL) and accepted audiences of the JWTs that write routes require; null (default): every route is public."
  type = object({
    issuer   = string
    audience = list(string)
  })
  default = null
}


variable "canary" {
  description = "Synthetics canary against this region's API (modules/canary): package, rate, runtime and retention; null for none."
  type = object({
    package = object({
      filename = string
      hash     = string
    })
    rate_minutes    = number
    runtime_version = string
    retention_days  = number
  })
  default = null
}
