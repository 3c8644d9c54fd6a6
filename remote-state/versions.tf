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
