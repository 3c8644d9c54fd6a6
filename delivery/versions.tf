terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # Applied by an administrator, before any pipeline can run. Its state lives
  # in the state bucket under bootstrap/delivery/terraform.tfstate, a key no
  # pipeline role can read or write (they reach envs/<env>/ only), so every
  # administrator sees the same roles and outputs: init with
  # -backend-config=backend.hcl, written from remote-state/'s output
  # delivery_backend_config. Offline checks use init -backend=false.
  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}
