terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # Applied once by an administrator, before any pipeline can run; it changes
  # rarely, so its state stays local like remote-state/'s (or add a backend
  # with a key of its own, e.g. delivery/terraform.tfstate).
}

provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}
