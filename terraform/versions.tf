terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
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
    tags = merge(var.tags, var.environment == "" ? {} : { Environment = var.environment })
  }
}
