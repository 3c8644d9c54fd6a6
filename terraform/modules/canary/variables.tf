variable "name" {
  description = "Project name prefix (the root's name); shortened with a hash when the canary name would exceed Synthetics' 21 characters."
  type        = string
}

variable "scope" {
  description = "regional (the canary watches its own region's API; its name carries the region's short code) or global (the weighted domain)."
  type        = string

  validation {
    condition     = contains(["regional", "global"], var.scope)
    error_message = "scope must be regional or global."
  }
}

variable "region" {
  description = "Region the canary runs in (provider v6 `region` argument)."
  type        = string
}

variable "account_id" {
  description = "AWS account id, for ARNs and the artifact bucket name."
  type        = string
}

variable "partition" {
  description = "AWS partition, for ARNs."
  type        = string
}

variable "api_url" {
  description = "https URL the canary calls (no trailing path)."
  type        = string
}

variable "kms_key_arn" {
  description = "The region's customer-managed key: encrypts the artifact bucket and the canary's artifacts."
  type        = string
}

variable "package" {
  description = "The canary zip (scripts/package-canary.py): path and SHA-256; a new hash redeploys the canary."
  type = object({
    filename = string
    hash     = string
  })
}

variable "rate_minutes" {
  description = "Minutes between runs; also the alarm period, so every period holds a run."
  type        = number
  default     = 1

  validation {
    condition     = var.rate_minutes >= 1 && var.rate_minutes <= 60 && floor(var.rate_minutes) == var.rate_minutes
    error_message = "rate_minutes must be a whole number from 1 to 60."
  }
}

variable "runtime_version" {
  description = "Synthetics Node.js runtime (syn-nodejs-puppeteer-N.M); the script runs on 13.1 and later and on the legacy namespace before it."
  type        = string
}

variable "active_tracing" {
  description = "X-Ray active tracing of the canary's requests (their trace header then reaches API Gateway and Lambda)."
  type        = bool
}

variable "writes_need_token" {
  description = "POST /storeEpochTime requires a JWT (the root's jwt_issuer): the canary, which holds no token, then checks that an anonymous POST gets 401 instead of storing."
  type        = bool
  default     = false
}

variable "retention_days" {
  description = "Days Synthetics keeps run results and the bucket keeps artifacts."
  type        = number
  default     = 30

  validation {
    condition     = var.retention_days >= 1 && var.retention_days <= 455 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days must be a whole number from 1 to 455 (Synthetics' limit)."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the canary's role; null for none."
  type        = string
  default     = null
}

variable "alarm_topic_arn" {
  description = "SNS topic (in this region) that receives the canary's failure alarm."
  type        = string
}
