terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.22.0: the first release with every argument the project uses; the last to
      # arrive was aws_dynamodb_table's global_table_witness (6.22.0, #43908), after
      # replica.consistency_mode (6.3.0) and resources' `region` argument (6.0.0).
      # One floor in every root and module, so their lock files agree.
      version = "~> 6.22"
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
