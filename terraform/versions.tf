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

  # Partial configuration: `terraform init -backend-config=backend.hcl`, where
  # backend.hcl is the `backend_config` output of ../remote-state.
  backend "s3" {}
}

# Regional resources carry their own `region` argument (provider v6), so one
# provider configuration serves every region; this is only the default.
provider "aws" {
  region = var.regions[0]

  default_tags {
    tags = merge(var.tags, { Project = var.name }, var.environment == "" ? {} : { Environment = var.environment })
  }
}
