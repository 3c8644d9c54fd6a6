terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # The bucket that holds everyone else's state keeps its own state locally:
  # it is created once, changes rarely, and can be re-imported if lost.
}

provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}
