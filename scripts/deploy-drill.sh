#!/usr/bin/env bash
# Offline deploy drill: `make deploy`, `failover`, `recover` and `destroy`
# exactly as an operator runs them, against a temporary copy of terraform/
# with a local backend and the offline Terraform (no mocks: applies store
# placeholder values for computed attributes, see shared/tf-offline/README.md).
#
# Checks: the deploy prints every regional URL and a curl line; the example
# tfvars (domain mode) plans; each function is deployed from
# LAMBDA_DIR/<function>/bootstrap.zip with the build's architecture; failover
# flips STATUS only in REGION's health function and recover flips it back;
# failover without REGION is refused; destroy leaves an empty state. Prints PASS/FAIL lines, exits non-zero on any failure.
#
# LAMBDA_DIR: directory with <function>/bootstrap.zip (default: the build's,
# ${CARGO_TARGET_DIR:-target}/lambda); ARCH: x86_64 (default) or arm64.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

lambda_dir=$(realpath -m "${LAMBDA_DIR:-${CARGO_TARGET_DIR:-$repo/target}/lambda}")
arch=${ARCH:-x86_64}
drill_region=eu-west-3
other_region=eu-central-1
functions=(store-epoch-time get-epoch-store health-check)

failures=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
check() { # check <description> <command...>
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

for zip in "${functions[@]/%//bootstrap.zip}" canary/epochstore-canary.zip; do
  [[ -f $lambda_dir/$zip ]] || {
    echo "FAIL $lambda_dir/$zip is missing: run make build (or set LAMBDA_DIR)"
    exit 1
  }
done
command -v terraform >/dev/null || { echo "FAIL terraform is not on PATH (eval \"\$(../shared/tf-offline/setup)\")"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tf_dir=$work/terraform
# The configuration only: no local state, caches, backend settings or tfvars.
mkdir -p "$tf_dir"
tar -C terraform --exclude=.terraform --exclude='*.tfstate*' --exclude=backend.hcl \
  --exclude=terraform.tfvars --exclude=tests -cf - . | tar -C "$tf_dir" -xf -
cat >"$tf_dir/backend_override.tf" <<'EOF'
# Written by scripts/deploy-drill.sh: local state for the offline drill.
terraform {
  backend "local" {}
}
EOF
cat >"$tf_dir/terraform.tfvars" <<EOF
regions = ["$other_region", "$drill_region"]
EOF

make_tf() { # make_tf <target> [VAR=value...]: the operator's make verb on the copy
  make --no-print-directory -o build "$@" TF_OFFLINE_DRILL=1 TF_DIR="$tf_dir" \
    LAMBDA_DIR="$lambda_dir" ARCH="$arch"
}
tf() { terraform -chdir="$tf_dir" "$@"; }

# Reads `terraform show -json` on stdin; prints "<region> <function> <key>=<value>"
# for each Lambda function's filename, architecture and STATUS.
functions_py='
import json, sys
mods = json.load(sys.stdin)["values"]["root_module"].get("child_modules", [])
for m in mods:
    for r in m.get("resources", []):
        if r["type"] != "aws_lambda_function":
            continue
        v = r["values"]
        region = r["address"].split("\"")[1]
        env = (v.get("environment") or [{}])[0].get("variables") or {}
        print(region, r["index"], "filename=" + v["filename"])
        print(region, r["index"], "architecture=" + ",".join(v["architectures"]))
        print(region, r["index"], "STATUS=" + env.get("STATUS", "-"))
'
function_facts() { tf show -json 2>/dev/null | python3 -c "$functions_py"; }
status_of() { function_facts | awk -v r="$1" -v f="$2" '$1 == r && $2 == f && $3 ~ /^STATUS=/ { sub(/^STATUS=/, "", $3); print $3 }'; }

# --- deploy
if make_tf deploy >"$work/deploy.log" 2>&1; then
  pass "make deploy"
else
  fail "make deploy (log below)"
  cat "$work/deploy.log"
  echo "0 checks passed after a failed deploy"
  exit 1
fi
for r in "$other_region" "$drill_region"; do
  check "deploy prints the regional URL of $r" grep -q "^regional URL   $r: " "$work/deploy.log"
done
check "deploy prints the global URL line" grep -q "^global URL     : " "$work/deploy.log"
check "deploy prints a curl smoke test" grep -q "^smoke test     : curl " "$work/deploy.log"
check "the source tree has no backend override" test ! -e terraform/backend_override.tf

facts=$(function_facts)
for r in "$other_region" "$drill_region"; do
  for f in "${functions[@]}"; do
    check "$r $f is deployed from $lambda_dir/$f/bootstrap.zip" \
      grep -qxF "$r $f filename=$lambda_dir/$f/bootstrap.zip" <<<"$facts"
    check "$r $f architecture is $arch" grep -qxF "$r $f architecture=$arch" <<<"$facts"
  done
  check "$r health-check starts with STATUS=ok" test "$(status_of "$r" health-check)" = ok
done

# The example tfvars (domain mode) plans against the deployed state.
tf plan -input=false -lock=false -var-file=terraform.tfvars.example -var lambda_package_dir="$lambda_dir" \
  -var architecture="$arch" -no-color >"$work/example-plan.log" 2>&1
check "terraform.tfvars.example plans (domain mode adds the DNS failover module)" \
  grep -q 'module.dns_failover\[0\].aws_route53_health_check.this\["eu-west-3"\] will be created' "$work/example-plan.log"

# --- failover / recover
check "make failover without REGION is refused" bash -c "! make --no-print-directory -o build failover TF_OFFLINE_DRILL=1 TF_DIR='$tf_dir' LAMBDA_DIR='$lambda_dir' ARCH='$arch' REGION= >/dev/null 2>&1"

if make_tf failover REGION=$drill_region >"$work/failover.log" 2>&1; then
  pass "make failover REGION=$drill_region"
  check "failover: $drill_region health-check STATUS=fail" test "$(status_of $drill_region health-check)" = fail
  check "failover: $other_region health-check still STATUS=ok" test "$(status_of $other_region health-check)" = ok
  check "failover: no other function gained STATUS" test "$(function_facts | grep -c 'STATUS=[a-z]')" -eq 2
  check "failover: failed_regions output lists only $drill_region" \
    test "$(tf output -json failed_regions 2>/dev/null | tr -d ' \n')" = "[\"$drill_region\"]"
  check "failover prints the AWS CLI equivalent" grep -q "aws lambda update-function-configuration --region $drill_region .*STATUS=fail" "$work/failover.log"
else
  fail "make failover REGION=$drill_region (log below)"
  cat "$work/failover.log"
fi

if make_tf recover REGION=$drill_region >"$work/recover.log" 2>&1; then
  pass "make recover REGION=$drill_region"
  for r in "$other_region" "$drill_region"; do
    check "recover: $r health-check STATUS=ok" test "$(status_of "$r" health-check)" = ok
  done
  check "recover: failed_regions output is empty" test "$(tf output -json failed_regions 2>/dev/null | tr -d ' \n')" = "[]"
else
  fail "make recover REGION=$drill_region (log below)"
  cat "$work/recover.log"
fi

# --- destroy
if make_tf destroy >"$work/destroy.log" 2>&1; then
  pass "make destroy"
  check "destroy leaves terraform state list empty" test -z "$(tf state list 2>/dev/null)"
else
  fail "make destroy (log below)"
  cat "$work/destroy.log"
fi

if ((failures)); then
  echo "deploy drill: $failures check(s) failed"
  exit 1
fi
echo "deploy drill: all checks passed"
