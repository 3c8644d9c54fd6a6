variable "name" {
  description = "Resource name prefix."
  type        = string
}

variable "account_id" {
  description = "AWS account id (key policy of the us-east-1 alarm topic)."
  type        = string
}

variable "partition" {
  description = "AWS partition, for ARNs in the key policy."
  type        = string
}

variable "domain_name" {
  description = "Global name clients use, e.g. api.example.com."
  type        = string
}

variable "hosted_zone_name" {
  description = "Existing public hosted zone that holds domain_name."
  type        = string
}

variable "regions" {
  description = "Per region: the HTTP API id, its execute-api URL, its stage and the Route53 weight."
  type = map(object({
    api_id       = string
    api_endpoint = string
    stage_name   = string
    weight       = number
  }))
}

variable "failure_threshold" {
  description = "Consecutive failed health checks before Route53 considers a region unhealthy."
  type        = number
}

variable "checker_regions" {
  description = "Route53 health-checker regions; empty for Route53's default set."
  type        = list(string)
  default     = []
}

variable "alarm_email" {
  description = "E-mail subscribed to the health-check alarm topic; empty for none."
  type        = string
}

variable "set_identifier_prefix" {
  description = "Prepended to the region in each weighted record's set identifier, e.g. \"epochstore-dev-\"; empty: the region alone."
  type        = string
  default     = ""
}
