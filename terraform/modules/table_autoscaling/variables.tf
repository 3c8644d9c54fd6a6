variable "name" {
  description = "Resource name prefix (the policies' names)."
  type        = string
}

variable "region" {
  description = "Region of the table or replica that is scaled."
  type        = string
}

variable "table_name" {
  description = "Name of the table (the same in every region of a global table)."
  type        = string
}

variable "capacity" {
  description = "Autoscaling floors and ceilings for reads and writes, and the target utilisation in percent."
  type = object({
    min_read       = number
    max_read       = number
    min_write      = number
    max_write      = number
    target_percent = number
  })
}

variable "dimensions" {
  description = "What is scaled: read and write for the table in its first region; read alone in a replica region, whose write autoscaling DynamoDB copies from the table."
  type        = set(string)
  default     = ["read", "write"]

  validation {
    condition     = length(var.dimensions) > 0 && alltrue([for d in var.dimensions : contains(["read", "write"], d)])
    error_message = "dimensions must be read, write or both."
  }
}
