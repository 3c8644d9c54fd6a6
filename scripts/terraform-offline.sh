#!/usr/bin/env bash
# Prints the exports that put the offline Terraform on PATH (eval "$(scripts/terraform-offline.sh)"):
# shared/tf-offline beside the checkout, serving the AWS provider schema from
# shared/terraform plus tests/terraform/aws-schema-extensions.json. The shared
# schema file lacks aws_synthetics_canary and aws_iam_openid_connect_provider;
# the extension transcribes those two from the provider's source (v6) so that
# Terraform checks them offline too. Online, the real provider supersedes both.
#
# Exit status 3 (reason on stderr): no shared/tf-offline at all beside the checkout,
# as under GitHub's ci.yml. The suites that plan or apply without mocks read
# it as "skip" (README, Tests); any other failure is an error.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="$repo/../shared"
[[ -e $shared/tf-offline ]] || {
  echo "no offline Terraform: $(realpath -m "$shared/tf-offline") is absent (this project's CI puts it beside the checkout); offline plans and applies need its stand-in AWS provider" >&2
  exit 3
}
# Present but broken is an error, never a skip.
[[ -x $shared/tf-offline/setup ]] || { echo "scripts/terraform-offline.sh: no executable $shared/tf-offline/setup" >&2; exit 1; }

merged="${XDG_CACHE_HOME:-$HOME/.cache}/epochstore/aws-provider-schema.json"
mkdir -p "$(dirname "$merged")"
python3 - "$shared/terraform/aws-provider-schema.json" "$repo/tests/terraform/aws-schema-extensions.json" "$merged" <<'PY'
import json, os, sys
base_path, extra_path, out_path = sys.argv[1:]
inputs = [os.stat(p).st_mtime_ns for p in (base_path, extra_path)]
if os.path.exists(out_path) and os.stat(out_path).st_mtime_ns > max(inputs):
    sys.exit(0)  # up to date: keeps tf-offline's converted-schema cache warm
doc = json.load(open(base_path))
provider = next(iter(doc["provider_schemas"].values()))
for name, schema in next(iter(json.load(open(extra_path))["provider_schemas"].values()))["resource_schemas"].items():
    if name in provider["resource_schemas"]:
        sys.exit("%s is in the shared schema now: remove it from %s" % (name, extra_path))
    provider["resource_schemas"][name] = schema
tmp = out_path + ".tmp"
json.dump(doc, open(tmp, "w"))
os.replace(tmp, out_path)
PY
TF_OFFLINE_AWS_SCHEMA="$merged" "$shared/tf-offline/setup"
echo "export TF_OFFLINE_AWS_SCHEMA=$(printf %q "$merged")"
