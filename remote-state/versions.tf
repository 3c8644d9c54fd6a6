terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # No backend here: the bucket cannot hold the state of its own creation.
  # After the first apply, the README ("From clone to production") moves this
  # state into the bucket under bootstrap/remote-state/terraform.tfstate with
  # the backend_override.tf printed by the output self_backend_override.
}

provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}
