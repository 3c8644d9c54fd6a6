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
