#!/usr/bin/env bash
# Offline deploy drill: `make deploy`, `outputs`, `failover`, `recover` and
# `destroy` exactly as an operator runs them, against a temporary copy of
# terraform/ with a local backend and the offline Terraform (no mocks: applies
# store placeholder values for computed attributes, see
# shared/tf-offline/README.md), and moto's Lambda API for the failover switch.
#
# Checks: the deploy prints every regional URL and a curl line; the example
# tfvars (domain mode) plans; each function is deployed from
# LAMBDA_DIR/<function>/bootstrap.zip with the build's architecture; failover
# flips STATUS only in REGION's health function (in moto, which holds the
# functions the state names) and recover flips it back, without an apply;
# an apply after a failover keeps STATUS=fail (ignore_changes) while the other
# variables stay managed; failover without REGION, or of an unknown region,
# is refused; destroy leaves an empty state.
# Environments: ENV=dev and ENV=prod (terraform/envs/*.tfvars) deploy beside
# the default deployment, each with its own state and data dir, and share no
# resource name; plan, failover and destroy with ENV touch only that
# environment; an unknown ENV is refused. Prints PASS/FAIL lines, exits
# non-zero on any failure.
#
# LAMBDA_DIR: directory with <function>/bootstrap.zip (default: the build's,
# ${CARGO_TARGET_DIR:-target}/lambda); ARCH: x86_64 (default) or arm64.
# Without the offline Terraform beside the checkout (GitHub's ci.yml) the drill
# prints "SKIP <reason>" and exits 0 (README, Tests).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
repo=$PWD

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if offline_exports=$(scripts/terraform-offline.sh 2>"$work/offline.log"); then
  eval "$offline_exports"
elif (($? == 3)); then
  echo "SKIP offline deploy drill: $(cat "$work/offline.log")"
  exit 0
else
  echo "FAIL scripts/terraform-offline.sh:"
  cat "$work/offline.log"
  exit 1
fi

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

tf_dir=$work/terraform
# The configuration only: no local state, caches, backend settings or tfvars.
mkdir -p "$tf_dir"
tar -C terraform --exclude=.terraform --exclude='*.tfstate*' --exclude=backend.hcl \
  --exclude=terraform.tfvars --exclude=tests -cf - . | tar -C "$tf_dir" -xf -
# The default deployment's state is not ./terraform.tfstate: Terraform offers
# to migrate that file into any backend it configures for the first time,
# such as an environment's (ENV=dev), and with -input=false refuses to init.
cat >"$tf_dir/backend_override.tf" <<'EOF'
# Written by scripts/deploy-drill.sh: local state for the offline drill.
terraform {
  backend "local" {
    path = "default.tfstate"
  }
}
EOF
cat >"$tf_dir/terraform.tfvars" <<EOF
regions = ["$other_region", "$drill_region"]
EOF
# prod.tfvars ships a placeholder alarm address that validation refuses (an
# operator must put the team's own); the drill's copy gets a deliverable one.
sed -i 's/^alarm_email = .*/alarm_email = "oncall@epochstore-ops.eu"/' "$tf_dir/envs/prod.tfvars"

make_tf() { # make_tf <target> [VAR=value...]: the operator's make verb on the copy
  make --no-print-directory -o build "$@" TF_OFFLINE_DRILL=1 TF_DIR="$tf_dir" \
    LAMBDA_DIR="$lambda_dir" ARCH="$arch"
}
# Terraform in the data dir of ENV (empty: the default deployment), which
# make alone knows (make tf, mk/terraform.mk).
tf() { make_tf --silent tf ${ENV:+ENV=$ENV} TF_ARGS="$*"; }

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

# --- environments: dev and prod beside the default deployment
lineage_py='import json, sys; s = json.load(sys.stdin); print(s["lineage"], s["serial"])'
default_resources=$(tf state list 2>/dev/null | wc -l)
for env in dev prod; do
  if make_tf deploy ENV=$env >"$work/deploy-$env.log" 2>&1; then
    pass "make deploy ENV=$env"
  else
    fail "make deploy ENV=$env (log below)"
    cat "$work/deploy-$env.log"
  fi
  check "ENV=$env state is envs/$env/terraform.tfstate" test -s "$tf_dir/envs/$env/terraform.tfstate"
  # Read through ENV's own data dir (make tf), whose path mk/terraform.mk alone knows.
  check "ENV=$env data dir points its backend at that state" test "$(ENV=$env tf state pull 2>/dev/null | python3 -c "$lineage_py")" \
    = "$(python3 -c "$lineage_py" <"$tf_dir/envs/$env/terraform.tfstate")"
  ENV=$env tf show -json >"$work/state-$env.json" 2>/dev/null
done
check "the default state is untouched by the environments" test "$(tf state list 2>/dev/null | wc -l)" -eq "$default_resources"
check "the source tree holds no environment state" test -z "$(find terraform/envs -name '*.tfstate' 2>/dev/null)"
tf show -json >"$work/state-default.json" 2>/dev/null

# Every name an account or region holds once (resources named inside a parent,
# such as a role's policy or an API's stage, are left out), per state.
names_py='
import json, sys
SCOPED = {"aws_iam_role_policy", "aws_lambda_alias", "aws_apigatewayv2_stage", "aws_apigatewayv2_authorizer"}
KEYS = ("name", "function_name", "alarm_name", "dashboard_name", "set_identifier")
def resources(module):
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from resources(child)
def names(path):
    root = json.load(open(path))["values"]["root_module"]
    return {(r["values"].get("region", ""), r["type"], r["values"][k])
            for r in resources(root) if r["type"] not in SCOPED
            for k in KEYS if isinstance(r["values"].get(k), str)}
dev, prod, default = (names(p) for p in sys.argv[1:4])
bare = lambda ns: {n for _, _, n in ns}
problems = [f"dev name without dev: {n}" for _, _, n in dev if "epochstore-dev" not in n]
problems += [f"prod name without prod: {n}" for _, _, n in prod if "epochstore-prod" not in n]
problems += [f"shared name: {n}" for n in (bare(dev) & bare(prod)) | (bare(dev) & bare(default)) | (bare(prod) & bare(default))]
problems += [f"default name with an environment: {n}" for n in bare(default) if "-dev" in n or "-prod" in n]
problems += [f"{label}: only {len(ns)} names" for label, ns in (("dev", dev), ("prod", prod)) if len(ns) < 40]
print("\n".join(problems) or f"{len(dev)} dev, {len(prod)} prod and {len(default)} default names, disjoint")
sys.exit(1 if problems else 0)
'
if python3 -c "$names_py" "$work"/state-{dev,prod,default}.json >"$work/names.log" 2>&1; then
  pass "names: $(cat "$work/names.log")"
else
  fail "names of dev, prod and the default deployment collide or lack the environment:"
  cat "$work/names.log"
fi

make_tf plan ENV=dev >"$work/plan-dev.log" 2>&1
check "make plan ENV=dev after deploying prod: no changes (dev's own state and backend)" grep -q "No changes" "$work/plan-dev.log"

# --- the failover switch on dev: moto's Lambda API holds the functions dev's
# state names, with the environment the state gave them.
ports() { PYTHONPATH="$repo/tests/py" python3 -c "import sys; from ports import free_port_block, wait_for_port; $1" "${@:2}"; }
moto_port=$(ports 'print(free_port_block())')
"$repo/.venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null; rm -rf "$work"' EXIT
ports 'wait_for_port(int(sys.argv[1]))' "$moto_port"
export AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:$moto_port AWS_ENDPOINT_URL_IAM=http://127.0.0.1:$moto_port \
  AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline
unset AWS_PROFILE
lambda_py='
import io, json, sys, zipfile, boto3
op, state = sys.argv[1], json.load(open(sys.argv[2]))
def functions(module):
    for r in module.get("resources", []):
        if r["type"] == "aws_lambda_function":
            yield r["address"].split("\"")[1], r["index"], r["values"]
    for child in module.get("child_modules", []):
        yield from functions(child)
fns = list(functions(state["values"]["root_module"]))
if op == "create":
    role = boto3.client("iam", region_name="us-east-1").create_role(RoleName="offline-drill",
        AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("bootstrap", "")
    for region, _, v in fns:
        boto3.client("lambda", region_name=region).create_function(
            FunctionName=v["function_name"], Runtime=v["runtime"], Role=role, Handler=v["handler"],
            Code={"ZipFile": code.getvalue()}, Environment={"Variables": v["environment"][0]["variables"]})
else:  # print "<region> <function> <variables as JSON>" as Lambda holds them
    for region, f, v in fns:
        c = boto3.client("lambda", region_name=region).get_function_configuration(FunctionName=v["function_name"])
        print(region, f, json.dumps(c["Environment"]["Variables"], sort_keys=True, separators=(",", ":")))
'
lambda_facts() { "$repo/.venv/bin/python" -c "$lambda_py" list "$work/state-dev.json"; }
lambda_status() { lambda_facts | awk -v r="$1" -v f="$2" '$1 == r && $2 == f { print $3 }' | python3 -c 'import json, sys; print(json.load(sys.stdin).get("STATUS", "-"))'; }
check "moto holds dev's functions" "$repo/.venv/bin/python" -c "$lambda_py" create "$work/state-dev.json"
lambda_before=$(lambda_facts)

make_tf failover ENV=dev REGION=$drill_region >"$work/failover-dev.log" 2>&1
check "failover ENV=dev says the switch is live" grep -q "^$drill_region: epochstore-dev-health-check STATUS=fail, live" "$work/failover-dev.log"
check "failover ENV=dev: dev $drill_region health-check STATUS=fail in Lambda" test "$(lambda_status $drill_region health-check)" = fail
lambda_after=$(lambda_facts)
check "failover ENV=dev changed that function alone, its other variables kept" test "$(diff <(echo "$lambda_before") <(echo "$lambda_after") | grep -c '^[<>]')" -eq 2
check "failover ENV=dev: only STATUS differs" test "$(grep "^$drill_region health-check " <<<"$lambda_after" | sed 's/"fail"/"ok"/')" = "$(grep "^$drill_region health-check " <<<"$lambda_before")"
check "failover ENV=dev applied nothing (dev state unchanged)" cmp -s <(ENV=dev tf show -json 2>/dev/null) "$work/state-dev.json"

# An apply after a failover keeps STATUS=fail. The offline provider's refresh
# returns the state unchanged, so the state gets what the real provider would
# read back from Lambda (STATUS=fail); Terraform's ignore_changes does the rest.
ENV=dev tf state pull >"$work/dev.tfstate" 2>/dev/null
python3 - "$work/dev.tfstate" "$drill_region" <<'PY'
import json, sys
path, region = sys.argv[1:]
state = json.load(open(path))
state["serial"] += 1
for r in state["resources"]:
    if r["type"] == "aws_lambda_function" and r.get("module") == f'module.region["{region}"]':
        for i in r["instances"]:
            if i["index_key"] == "health-check":
                i["attributes"]["environment"][0]["variables"]["STATUS"] = "fail"
json.dump(state, open(path, "w"))
PY
ENV=dev tf state push "$work/dev.tfstate" >/dev/null 2>&1
make_tf plan ENV=dev >"$work/plan-after-failover.log" 2>&1
check "make plan ENV=dev after a failover: no changes (STATUS is ignored)" grep -q "No changes" "$work/plan-after-failover.log"
sed 's/^retention_days *=.*/retention_days = 9/' "$tf_dir/envs/dev.tfvars" >"$work/dev-retention.tfvars"
make_tf deploy ENV=dev TFVARS="$work/dev-retention.tfvars" >"$work/deploy-after-failover.log" 2>&1
check "make deploy ENV=dev with another retention after a failover" grep -q "Apply complete" "$work/deploy-after-failover.log"
ENV=dev tf show -json >"$work/state-dev-applied.json" 2>/dev/null
env_of() { python3 -c '
import json, sys
state, region, function = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
for m in state["values"]["root_module"]["child_modules"]:
    for r in m.get("resources", []):
        if r["type"] == "aws_lambda_function" and r["address"].split(chr(34))[1] == region and r["index"] == function:
            print(json.dumps(r["values"]["environment"][0]["variables"], sort_keys=True))
' "$work/state-dev-applied.json" "$@"; }
check "the apply kept $drill_region health-check STATUS=fail and applied RETENTION_DAYS=9" \
  test "$(env_of $drill_region health-check | python3 -c 'import json, sys; v = json.load(sys.stdin); print(v["STATUS"], v["RETENTION_DAYS"])')" = "fail 9"
check "the apply set $other_region health-check to RETENTION_DAYS=9, STATUS=ok" \
  test "$(env_of $other_region health-check | python3 -c 'import json, sys; v = json.load(sys.stdin); print(v["STATUS"], v["RETENTION_DAYS"])')" = "ok 9"

make_tf recover ENV=dev REGION=$drill_region >"$work/recover-dev.log" 2>&1
check "recover ENV=dev: dev $drill_region health-check STATUS=ok in Lambda" test "$(lambda_status $drill_region health-check)" = ok
check "recover ENV=dev: Lambda holds what it held before the failover" test "$(lambda_facts)" = "$lambda_before"

make_tf failover ENV=dev REGION=us-east-2 >"$work/failover-unknown.log" 2>&1
check "failover of a region dev does not have is refused, naming its regions" \
  grep -qx "health switch: ENV=dev has no region us-east-2; its regions: $other_region, $drill_region" "$work/failover-unknown.log"
make_tf drill ENV=dev REGION=$drill_region >"$work/drill-dev.log" 2>&1
check "make drill ENV=dev (no domain_name) is refused at once: no health-checked DNS to drain" \
  grep -q "^drill: ENV=dev has no health-checked DNS to drain" "$work/drill-dev.log"
make_tf failover ENV=nope REGION=$drill_region >"$work/failover-nope.log" 2>&1
check "failover ENV=nope is refused with one line naming the environments" \
  grep -qx "Unknown ENV=nope: no $tf_dir/envs/nope.tfvars (environments: dev prod)" "$work/failover-nope.log"

make_tf plan ENV=prod TFVARS="$repo/terraform/envs/prod.tfvars" >"$work/placeholder-email.log" 2>&1
check "the committed prod.tfvars is refused until its alarm_email is a real address" \
  grep -q "alarm_email is an example address" "$work/placeholder-email.log"

make_tf deploy ENV=nope >"$work/unknown-env.log" 2>&1
check "make deploy ENV=nope is refused with one line naming the environments" \
  grep -qx "Unknown ENV=nope: no $tf_dir/envs/nope.tfvars (environments: dev prod)" "$work/unknown-env.log"

for env in dev prod; do
  prod_resources=$(ENV=prod tf state list 2>/dev/null | wc -l)
  if make_tf destroy ENV=$env >"$work/destroy-$env.log" 2>&1; then
    pass "make destroy ENV=$env"
    check "destroy ENV=$env empties its state" test -z "$(ENV=$env tf state list 2>/dev/null)"
  else
    fail "make destroy ENV=$env (log below)"
    cat "$work/destroy-$env.log"
  fi
  [[ $env == dev ]] && check "destroy ENV=dev leaves prod whole" test "$(ENV=prod tf state list 2>/dev/null | wc -l)" -eq "$prod_resources"
done
check "the default deployment is still whole" test "$(tf state list 2>/dev/null | wc -l)" -eq "$default_resources"

# --- failover / recover
check "make failover without REGION is refused" bash -c "! make --no-print-directory -o build failover TF_OFFLINE_DRILL=1 TF_DIR='$tf_dir' LAMBDA_DIR='$lambda_dir' ARCH='$arch' REGION= >/dev/null 2>&1"

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
