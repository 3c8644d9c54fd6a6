variable "name" {
  description = "Prefix of every resource name, followed by -<environment> when environment is set (functions are <name>[-<environment>]-store-epoch-time, ...-get-epoch-store, ...-health-check)."
  type        = string
  default     = "epochstore"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}[a-z0-9]$", var.name))
    error_message = "name must be 3-21 characters of lowercase letters, digits and hyphens, starting with a letter."
  }

  # The longest derived name: the IAM role <name>[-<environment>]-store-epoch-time-<region>.
  validation {
    condition     = alltrue([for r in var.regions : length("${var.name}${var.environment == "" ? "" : "-${var.environment}"}-store-epoch-time-${r}") <= 64])
    error_message = "name, environment and the longest region make IAM role names (<name>-<environment>-store-epoch-time-<region>) longer than 64 characters: shorten name or environment."
  }
}

variable "environment" {
  description = "Environment (dev, prod, ...) appended to name in every resource name and set as the Environment tag, so several environments share an account without collision. Empty (default): names and tags as without environments. make passes ENV here."
  type        = string
  default     = ""

  validation {
    condition     = var.environment == "" || can(regex("^[a-z][a-z0-9]{1,7}$", var.environment))
    error_message = "environment must be empty or 2-8 lowercase letters and digits starting with a letter (e.g. dev, prod, staging2)."
  }
}

variable "regions" {
  description = "AWS regions to deploy to, active-active. The first one holds the DynamoDB table definition and the dashboard; every other one gets a replica."
  type        = list(string)
  default     = ["eu-central-1", "eu-west-3"]

  validation {
    condition     = length(var.regions) >= 2
    error_message = "regions must list at least two regions (active-active needs a second one)."
  }

  validation {
    condition     = length(distinct(var.regions)) == length(var.regions)
    error_message = "regions must not contain duplicates."
  }

  validation {
    condition     = alltrue([for r in var.regions : can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", r))])
    error_message = "Each region must be an AWS region name such as eu-central-1."
  }
}

variable "table_name" {
  description = "DynamoDB global table name. null (default): <name>[-<environment>], like every other resource."
  type        = string
  default     = null

  validation {
    condition     = var.table_name == null || can(regex("^[A-Za-z0-9_.-]{3,255}$", var.table_name))
    error_message = "table_name must be 3-255 characters of letters, digits, '_', '-' and '.'."
  }
}

variable "billing_mode" {
  description = "PAY_PER_REQUEST (on-demand, default) or PROVISIONED (target-tracking autoscaling of reads and writes in every region, for steady load; EVENTUAL consistency only). Chosen at creation, like consistency_mode: the two modes are two different table resources, so switching on a deployment plans to destroy the table and create an empty one (deletion_protection refuses it; see README, Operations, Capacity)."
  type        = string
  default     = "PAY_PER_REQUEST"

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.billing_mode)
    error_message = "billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "read_capacity" {
  description = "PROVISIONED mode: minimum read capacity units per region (autoscaling floor)."
  type        = number
  default     = 5

  validation {
    condition     = var.read_capacity >= 1
    error_message = "read_capacity must be at least 1."
  }
}

variable "write_capacity" {
  description = "PROVISIONED mode: minimum write capacity units per region (autoscaling floor)."
  type        = number
  default     = 5

  validation {
    condition     = var.write_capacity >= 1
    error_message = "write_capacity must be at least 1."
  }
}

variable "autoscaling_max_read_capacity" {
  description = "PROVISIONED mode: autoscaling ceiling for reads per region."
  type        = number
  default     = 100
}

variable "autoscaling_max_write_capacity" {
  description = "PROVISIONED mode: autoscaling ceiling for writes per region."
  type        = number
  default     = 100
}

variable "autoscaling_target_utilization" {
  description = "PROVISIONED mode: target consumed/provisioned capacity percentage for target tracking."
  type        = number
  default     = 70

  validation {
    condition     = var.autoscaling_target_utilization >= 20 && var.autoscaling_target_utilization <= 90
    error_message = "autoscaling_target_utilization must be between 20 and 90."
  }
}

variable "deletion_protection" {
  description = "DynamoDB deletion protection on the table and every replica. Set false before `make destroy`."
  type        = bool
  default     = true
}

variable "retention_days" {
  description = "Days after which stored records expire through DynamoDB TTL (attribute expiresAt); 0 keeps them forever. Passed to the functions as RETENTION_DAYS."
  type        = number
  default     = 0

  validation {
    condition     = var.retention_days >= 0 && var.retention_days <= 36500 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days must be a whole number from 0 to 36500 (what the functions accept)."
  }
}

variable "consistency_mode" {
  description = "Global table consistency. EVENTUAL (default): multi-region eventual consistency (MREC), any number of regions, asynchronous replication (RPO = replication lag, typically under a second). STRONG: multi-region strong consistency (MRSC), RPO 0 and cross-region exactly-once idempotency, at higher write latency; exactly three regions of one MRSC region set (or two plus witness_region), no TTL. Fixed at creation: switching modes means a new, empty table."
  type        = string
  default     = "EVENTUAL"

  validation {
    condition     = contains(["EVENTUAL", "STRONG"], var.consistency_mode)
    error_message = "consistency_mode must be EVENTUAL or STRONG."
  }

  # Cross-checks live here rather than on witness_region: two variables
  # validating against each other form a cycle.
  validation {
    condition     = var.consistency_mode == "STRONG" || var.witness_region == ""
    error_message = "witness_region applies only to consistency_mode = STRONG: an MREC table has no witness."
  }

  # PROVISIONED adds the replicas after the primary's write autoscaling, one
  # aws_dynamodb_table_replica each, and that resource has no consistency_mode:
  # it cannot send the MultiRegionConsistency = STRONG that MRSC replicas need
  # (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/multi-region-strong-consistency-gt.html).
  validation {
    condition     = var.consistency_mode != "STRONG" || var.billing_mode == "PAY_PER_REQUEST"
    error_message = "consistency_mode = STRONG needs billing_mode = PAY_PER_REQUEST: a PROVISIONED table gets its replicas one by one after its write autoscaling (aws_dynamodb_table_replica), which cannot create MRSC replicas."
  }

  validation {
    condition     = var.consistency_mode != "STRONG" || var.witness_region != "" || length(var.regions) == 3
    error_message = "consistency_mode = STRONG (MRSC) needs exactly three regions: three in regions, or two in regions plus witness_region."
  }

  validation {
    condition     = var.consistency_mode != "STRONG" || var.witness_region == "" || length(var.regions) == 2
    error_message = "witness_region replaces the third replica of an MRSC table: use it with exactly two regions."
  }

  validation {
    condition = var.consistency_mode != "STRONG" || anytrue([
      for set in values(local.mrsc_region_sets) : alltrue([for r in concat(var.regions, compact([var.witness_region])) : contains(set, r)])
    ])
    error_message = "consistency_mode = STRONG (MRSC) needs every region and the witness in one MRSC region set: US (us-east-1, us-east-2, us-west-2), EU (eu-west-1, eu-west-2, eu-west-3, eu-central-1) or AP (ap-northeast-1, ap-northeast-2, ap-northeast-3)."
  }

  validation {
    condition     = var.consistency_mode != "STRONG" || var.retention_days == 0
    error_message = "consistency_mode = STRONG (MRSC) does not support TTL, so records would never expire: set retention_days = 0."
  }
}

variable "witness_region" {
  description = "consistency_mode = STRONG with two regions: the region of the MRSC witness, which takes part in the write quorum but serves no reads or writes (no storage or write cost). Empty (default) for three full replicas or for EVENTUAL."
  type        = string
  default     = ""

  validation {
    condition     = var.witness_region == "" || can(regex("^[a-z]{2}-[a-z]+-[0-9]$", var.witness_region))
    error_message = "witness_region must be empty or an AWS region name such as eu-west-1."
  }

  validation {
    condition     = !contains(var.regions, var.witness_region)
    error_message = "witness_region must differ from every region in regions."
  }
}

variable "write_shards" {
  description = "Number of partition-key shards the writer spreads records over (WRITE_SHARDS); readers merge them."
  type        = number
  default     = 1

  validation {
    condition     = var.write_shards >= 1 && var.write_shards <= 16 && floor(var.write_shards) == var.write_shards
    error_message = "write_shards must be a whole number from 1 to 16."
  }
}

variable "lambda_package_dir" {
  description = "Directory holding <function>/bootstrap.zip as built by `make build` (cargo lambda). Relative paths are resolved against this configuration's directory."
  type        = string
  default     = "../target/lambda"
}

variable "architecture" {
  description = "Lambda instruction set; must match the build (make build ARCH=...)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "lambda_memory_size" {
  description = "Memory (MB) of each function."
  type        = number
  default     = 128

  validation {
    condition     = var.lambda_memory_size >= 128 && var.lambda_memory_size <= 10240
    error_message = "lambda_memory_size must be between 128 and 10240 MB."
  }
}

variable "lambda_timeout" {
  description = "Timeout (seconds) of each function; API Gateway gives up after 30 s anyway. The functions' DynamoDB bound for a whole request (DYNAMODB_OPERATION_TIMEOUT_MS) is derived from it: one second less, at most 5 s, so a slow store is the function's JSON 503, not a Lambda timeout (API Gateway's bare 500). At least 3: one 2 s DynamoDB attempt (DYNAMODB_ATTEMPT_TIMEOUT_MS) plus that second."
  type        = number
  default     = 10

  validation {
    condition     = var.lambda_timeout >= 1 && var.lambda_timeout <= 30
    error_message = "lambda_timeout must be between 1 and 30 seconds."
  }
  # 3 = local.dynamodb_attempt_timeout_ms (2 s, main.tf) + the 1 s margin of
  # DYNAMODB_OPERATION_TIMEOUT_MS; a variable's validation cannot read locals,
  # so a terraform test checks the derived values at this bound.
  validation {
    condition     = var.lambda_timeout >= 3
    error_message = "lambda_timeout must be at least 3 seconds: one DynamoDB attempt (2 s) plus a second for the function to answer 503 before Lambda kills the invocation (API Gateway's bare 500)."
  }
}

variable "provisioned_concurrency" {
  description = "Provisioned concurrent executions per function per region; 0 (default) uses on-demand only. Above 0, versions are published and the API calls the `live` alias."
  type        = number
  default     = 0

  validation {
    condition     = var.provisioned_concurrency >= 0 && floor(var.provisioned_concurrency) == var.provisioned_concurrency
    error_message = "provisioned_concurrency must be a whole number >= 0."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing of every function: Active (default; Lambda samples requests, about 1 a second plus 5 % of the rest) or PassThrough (only requests whose caller sent a sampled X-Amzn-Trace-Id). HTTP APIs have no X-Ray setting of their own; they pass the header through."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough (Lambda's two modes; PassThrough records nothing unless a caller samples)."
  }
}

variable "log_retention_days" {
  description = "Retention of the Lambda and API access log groups."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "api_throttling_burst_limit" {
  description = "API Gateway default route burst limit, per region."
  type        = number
  default     = 500
}

variable "api_throttling_rate_limit" {
  description = "API Gateway default route steady-state requests per second, per region."
  type        = number
  default     = 1000
}

variable "domain_name" {
  description = "Global API name, e.g. api.example.com. Empty (default) deploys no Route53 or ACM resource; clients use the regional URLs."
  type        = string
  default     = ""

  validation {
    condition     = var.domain_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be empty or a lowercase DNS name such as api.example.com."
  }
}

variable "hosted_zone_name" {
  description = "Existing public Route53 hosted zone that holds domain_name. Empty means the parent of domain_name (api.example.com -> example.com)."
  type        = string
  default     = ""
}

variable "dns_weights" {
  description = "Route53 weight per region (regions not listed get 100). Equal weights spread traffic evenly."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for w in values(var.dns_weights) : w >= 0 && w <= 255])
    error_message = "dns_weights values must be between 0 and 255."
  }
}

variable "health_check_failure_threshold" {
  description = "Consecutive failed Route53 health checks (10 s apart) before a region leaves DNS."
  type        = number
  default     = 3

  validation {
    condition     = var.health_check_failure_threshold >= 1 && var.health_check_failure_threshold <= 10
    error_message = "health_check_failure_threshold must be between 1 and 10."
  }
}

variable "health_check_regions" {
  description = "Route53 health-checker regions (at least 3, e.g. [\"eu-west-1\", \"us-east-1\", \"ap-southeast-1\"]). Empty (default): Route53's full set. Fewer checkers mean fewer /health requests, each billed as an API call and a Lambda invocation."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.health_check_regions) == 0 || length(var.health_check_regions) >= 3
    error_message = "health_check_regions must be empty or list at least 3 regions (a Route53 minimum)."
  }
}

variable "canaries_enabled" {
  description = "CloudWatch Synthetics canaries: one per region on its API URL and, with domain_name, one on the global URL, each storing a record, finding it in the listing and checking /health every canary_rate_minutes, with an alarm on failure. The zip comes from `make build` (<lambda_package_dir>/canary/epochstore-canary.zip)."
  type        = bool
  default     = true
}

variable "canary_rate_minutes" {
  description = "Minutes between canary runs (1 to 60). Every run is one POST, one or more GETs of the listing and one /health, billed as a canary run (see the README's cost section)."
  type        = number
  default     = 1

  validation {
    condition     = var.canary_rate_minutes >= 1 && var.canary_rate_minutes <= 60 && floor(var.canary_rate_minutes) == var.canary_rate_minutes
    error_message = "canary_rate_minutes must be a whole number from 1 to 60."
  }
}

variable "canary_runtime_version" {
  description = "Synthetics runtime of the canaries: a current syn-nodejs-puppeteer version (AWS deprecates old ones; the script supports the @aws/synthetics-puppeteer namespace of 13.1+ and the legacy one)."
  type        = string
  default     = "syn-nodejs-puppeteer-15.0"

  validation {
    condition     = can(regex("^syn-nodejs-puppeteer-[0-9]+\\.[0-9]+$", var.canary_runtime_version))
    error_message = "canary_runtime_version must be a syn-nodejs-puppeteer-N.M runtime (the script is a Node.js canary)."
  }
}

variable "canary_retention_days" {
  description = "Days Synthetics keeps canary run results and the artifact buckets keep their objects (1 to 455)."
  type        = number
  default     = 30

  validation {
    condition     = var.canary_retention_days >= 1 && var.canary_retention_days <= 455 && floor(var.canary_retention_days) == var.canary_retention_days
    error_message = "canary_retention_days must be a whole number from 1 to 455 (Synthetics' limit)."
  }
}

variable "alarm_email" {
  description = "E-mail address subscribed to every alarm topic (confirm the subscription mail). Empty: no subscription."
  type        = string
  default     = ""

  validation {
    condition     = var.alarm_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be empty or an e-mail address."
  }

  # RFC 2606 reserves these names for documentation and tests: mail to them
  # never arrives, so alarms would reach nobody while looking configured.
  validation {
    condition     = !can(regex("(?i)@(.+\\.)?(example\\.(com|net|org)|example|invalid|test|localhost)$", var.alarm_email))
    error_message = "alarm_email is an example address (example.com/.net/.org, or a name under .example, .invalid, .test, .localhost: reserved by RFC 2606, never delivered). Put your team's real address in terraform/envs/<env>.tfvars (or terraform.tfvars), or leave it empty for no alarm e-mail."
  }
}

variable "jwt_issuer" {
  description = "OIDC issuer URL (https) whose JWTs POST /storeEpochTime then requires, e.g. a Cognito user pool's https://cognito-idp.<region>.amazonaws.com/<pool id>. Empty (default): the API is public. GET /getEpochStore and /health stay public either way (Route53 health checks send no token). Set together with jwt_audience."
  type        = string
  default     = ""

  validation {
    condition     = var.jwt_issuer == "" || can(regex("^https://[^\\s/?#]+(/[^\\s?#]*)?$", var.jwt_issuer))
    error_message = "jwt_issuer must be empty or an https URL without query or fragment, e.g. https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_AbCdEf123."
  }
}

variable "jwt_audience" {
  description = "Accepted aud claims (for Cognito, the app client ids) of the JWTs POST /storeEpochTime requires. Set together with jwt_issuer; empty with it."
  type        = list(string)
  default     = []

  validation {
    condition     = (var.jwt_issuer == "") == (length(var.jwt_audience) == 0)
    error_message = "jwt_issuer and jwt_audience go together: set both to require a JWT on POST /storeEpochTime, or neither for a public API."
  }

  validation {
    condition     = alltrue([for a in var.jwt_audience : trimspace(a) != ""])
    error_message = "jwt_audience must not contain empty strings."
  }
}

variable "tags" {
  description = "Extra tags for every resource, through the provider's default_tags. Project (= name) and Environment (when set) are always added and win: delivery/'s deploy roles are scoped by them."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary for every IAM role this configuration creates; null for none. Set it to delivery/'s permissions_boundary_arns[<environment>] when a deploy role applies: those roles may create roles only with it."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN (arn:aws:iam::<account>:policy/...) or null."
  }
}
