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
