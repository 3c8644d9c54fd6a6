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

  # The bucket that holds everyone else's state keeps its own state locally:
  # it is created once, changes rarely, and can be re-imported if lost.
}

provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}
