#!/usr/bin/env bash
# Prints terraform/backend.hcl for one environment's state from the values the
# pipeline keeps in GitHub's repository variables TF_STATE_BUCKET,
# TF_STATE_REGION and TF_STATE_KMS_KEY_ARN (read from the environment). The
# pipeline (.github/actions/terraform-env) and an operator (make
# backend-from-github ENV=…) write the same file with it.
set -euo pipefail

environment=${1:?usage: scripts/backend-hcl.sh <environment>  (TF_STATE_BUCKET, TF_STATE_REGION, TF_STATE_KMS_KEY_ARN in the environment)}
for name in TF_STATE_BUCKET TF_STATE_REGION TF_STATE_KMS_KEY_ARN; do
  [[ -n "${!name:-}" ]] || { echo "$name is empty: it is a repository variable (GitHub, Settings → Secrets and variables → Actions → Variables)" >&2; exit 2; }
done

cat <<HCL
bucket       = "$TF_STATE_BUCKET"
key          = "envs/$environment/terraform.tfstate"
region       = "$TF_STATE_REGION"
encrypt      = true
kms_key_id   = "$TF_STATE_KMS_KEY_ARN"
use_lockfile = true
HCL
