#!/usr/bin/env bash
# `make test`: runs every suite, keeps going past a failure so one run shows
# everything, and ends with the line "N passed, N failed, N skipped" (suites).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

venv=$PWD/.venv
export PATH="$venv/bin:$PATH"

# Terraform: the offline stand-in beside the checkout when there is one (a
# terraform on PATH alone has no providers offline), else the one on PATH,
# whose presence make setup has checked. Without the stand-in (GitHub's
# ci.yml), the suites that plan or apply without mocks are skipped, each with
# the reason (scripts/terraform-offline.sh exits 3); beside it, nothing is.
offline_missing=
offline_stderr=$(mktemp)
trap 'rm -f "$offline_stderr"' EXIT
if offline_exports=$(scripts/terraform-offline.sh 2>"$offline_stderr"); then
  eval "$offline_exports"
elif (($? == 3)); then
  offline_missing=$(cat "$offline_stderr")
else
  cat "$offline_stderr" # a broken stand-in: its suites run, and fail
fi

passed=0
failed=0
skipped=0
failures=()
suite() {
  local name=$1 started=$SECONDS
  shift
  echo "=== $name"
  if "$@"; then
    passed=$((passed + 1))
    echo "--- PASS $name ($((SECONDS - started)) s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "--- FAIL $name ($((SECONDS - started)) s)"
  fi
}
# A suite that needs the offline Terraform: skipped, with the reason, without it.
offline_suite() {
  if [[ -n $offline_missing ]]; then
    echo "=== $1"
    echo "--- SKIP $1: $offline_missing"
    skipped=$((skipped + 1))
  else
    suite "$@"
  fi
}
pytest_suite() {
  pytest -q -p no:cacheprovider "$@"
}

suite "rust fmt" cargo fmt --all -- --check
suite "rust clippy" cargo clippy --workspace --all-targets --quiet -- -D warnings
suite "rust tests (unit, handlers, proptest, moto store)" cargo test --workspace --quiet
suite "supply chain: cargo deny (licenses, bans, sources)" make deny
# The release zips are built once here and reused by every suite that needs them.
suite "build: Lambda zips" make build
suite "SBOM of each zip (CycloneDX, Cargo.lock versions)" pytest_suite tests/py/test_sbom.py
suite "runtime end-to-end (bootstrap under the Runtime API emulator)" pytest_suite tests/py/test_runtime_e2e.py
suite "lost answers: exactly once through a fault-injecting proxy (bootstrap, Runtime API emulator, moto)" pytest_suite tests/py/test_lost_answers.py
suite "build: local emulation (debug, what make run starts)" cargo build -p epochstore-local --quiet
suite "local emulation and failover drill" pytest_suite tests/py/test_local_failover.py tests/py/test_local_lifecycle.py
suite "smoke script (scripts/smoke.sh) against the local emulation" pytest_suite tests/py/test_smoke.py
suite "measured failover (make drill: RTO, RPO; eventual, lagged, strong)" pytest_suite tests/py/test_drill.py
suite "failover switch (make failover/recover against moto's Lambda API)" pytest_suite tests/py/test_health_switch.py
suite "make bench arithmetic and report (CPU quota, cost, memory choice; no measuring)" pytest_suite tests/py/test_bench_report.py
suite "browser (headless Chromium)" pytest_suite tests/py/test_local_browser.py
suite "reliability (bad input, 5,000-request loads, failover under load, store outage)" pytest_suite tests/py/test_reliability.py
suite "canary (node --check, node --test against the local emulation)" bash -c 'node --check canary/index.js && node --test canary/index.test.js'
suite "terraform fmt, validate, test" make tf-check
suite "checkov" make checkov
suite "offline Terraform rule: skipped without it, a skip fails beside it" pytest_suite tests/py/test_offline_terraform_rule.py
suite "terraform provider floor (source)" pytest_suite tests/py/test_terraform_versions.py
offline_suite "every root variable reaches a resource, module call, provider or output (offline plans)" pytest_suite tests/py/test_terraform_variables.py
offline_suite "PROVISIONED billing: apply order, ignored capacity, on-demand addresses (offline plans)" pytest_suite tests/py/test_terraform_provisioned.py
offline_suite "IAM policies vs AWS authorization data, deploy-role coverage (offline plans)" pytest_suite tests/py/test_policy_authorization.py tests/py/test_policy_coverage.py
suite "workflows: actionlint" actionlint
suite "workflows: pinned actions, permissions, one build, first-run settings check" pytest_suite tests/py/test_workflows.py
offline_suite "bootstrap: the README's remote-state, delivery and gh commands (offline Terraform)" pytest_suite tests/py/test_bootstrap.py
suite "make deploy/plan: backend and credentials checked before the build" pytest_suite tests/py/test_make_deploy.py
offline_suite "offline deploy drill (make deploy, failover switch, apply after failover, recover, destroy)" scripts/deploy-drill.sh

if ((failed)); then
  printf 'failed suites:\n'
  printf '  - %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
