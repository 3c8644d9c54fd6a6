variable "name" {
  description = "Project name: the deployment's resources of environment E are named <name>-E-… (the terraform/ root's name variable)."
  type        = string
  default     = "epochstore"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}[a-z0-9]$", var.name))
    error_message = "name must be 3-21 characters of lowercase letters, digits and hyphens, starting with a letter (as in terraform/)."
  }
}

variable "environments" {
  description = "Environments that get a deploy role, each trusted only by GitHub Actions jobs running in the GitHub environment of the same name."
  type        = list(string)
  default     = ["dev", "prod"]

  validation {
    condition     = length(var.environments) >= 1 && length(distinct(var.environments)) == length(var.environments)
    error_message = "environments must list at least one environment, without duplicates."
  }

  # No hyphen: the prefix <name>-dev-* must never match another environment's
  # names (with "dev-eu" allowed, <name>-dev-* would cover <name>-dev-eu-*).
  validation {
    condition     = alltrue([for e in var.environments : can(regex("^[a-z][a-z0-9]{1,7}$", e))])
    error_message = "Each environment must be 2-8 lowercase letters and digits, starting with a letter, as terraform/'s environment variable requires (no hyphen, so that no environment's name prefix covers another's)."
  }
}

variable "github_repository" {
  description = "The repository whose workflows may assume the roles, as owner/repo, spelled exactly as GitHub shows it (the OIDC subject is compared case-sensitively)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repository)) && !can(regex("/\\.{1,2}$", var.github_repository))
    error_message = "github_repository must be owner/repo (an owner of letters, digits and hyphens; a repository of letters, digits, '.', '_' and '-')."
  }
}

variable "oidc_provider_arn" {
  description = "ARN of an existing IAM OIDC provider for https://token.actions.githubusercontent.com (an account has at most one). Empty (default): this configuration creates it."
  type        = string
  default     = ""

  validation {
    condition     = var.oidc_provider_arn == "" || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be empty or the ARN of the token.actions.githubusercontent.com OIDC provider."
  }
}

variable "state_bucket" {
  description = "Name of the state bucket (remote-state/ output bucket). Environment E's state is envs/E/terraform.tfstate in it."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket))
    error_message = "state_bucket must be a valid S3 bucket name."
  }
}

variable "state_region" {
  description = "Region of the state bucket (remote-state/ output region). No default: the pipeline's backend and the state key's kms:ViaService condition (s3.<region>.amazonaws.com) must name the bucket's own region, or init fails with S3's 301 PermanentRedirect."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.state_region))
    error_message = "state_region must be an AWS region name such as eu-central-1."
  }
}

variable "state_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the state (remote-state/ output kms_key_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-f0-9-]{36}$", var.state_kms_key_arn))
    error_message = "state_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<uuid>)."
  }
}

variable "hosted_zone_ids" {
  description = "Route53 hosted zone id per environment that has a domain_name (e.g. { prod = \"Z0123…\", dev = \"Z0456…\" }). Give each environment a zone of its own (dev.example.com delegated from example.com) so that no role can change another environment's records. An environment without an entry gets no DNS or certificate permissions."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for e, z in var.hosted_zone_ids : contains(var.environments, e) && can(regex("^Z[A-Z0-9]{1,31}$", z))])
    error_message = "hosted_zone_ids keys must be environments from var.environments and values Route53 hosted zone ids (Z followed by upper-case letters and digits)."
  }

  validation {
    condition     = length(distinct(values(var.hosted_zone_ids))) == length(var.hosted_zone_ids)
    error_message = "hosted_zone_ids must give each environment its own zone: a shared zone would let one environment's role change another's records."
  }
}

variable "region" {
  description = "Provider region. IAM is global, so it only selects the API endpoint."
  type        = string
  default     = "eu-central-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-central-1."
  }
}

variable "max_session_duration" {
  description = "Longest session, in seconds, a workflow may request for a role. It must outlast the deploy workflow's apply job (timeout-minutes, which covers a first domain-mode apply waiting up to 75 min on ACM validation): credentials that expire mid-apply leave the state lock behind. tests/py/test_workflows.py ties the two."
  type        = number
  default     = 10800

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200 seconds."
  }

  # STS refuses a longer request than the role allows, so every apply would fail:
  # https://docs.aws.amazon.com/IAM/latest/APIReference/API_AssumeRoleWithWebIdentity.html (DurationSeconds).
  validation {
    condition     = var.max_session_duration >= 9000
    error_message = "max_session_duration must be at least 9000 seconds, the role-duration-seconds the deploy workflow's apply job requests (.github/workflows/deploy-environment.yml); with less, every apply fails with \"The requested DurationSeconds exceeds the MaxSessionDuration set for this role.\""
  }
}

variable "tags" {
  description = "Tags for the roles, policies and OIDC provider."
  type        = map(string)
  default = {
    Project   = "epochstore"
    Component = "delivery"
  }
}
