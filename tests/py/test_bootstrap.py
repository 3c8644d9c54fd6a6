"""The README's bootstrap commands ("From clone to production", steps 2-4),
run as written by bash against the offline Terraform, on copies of
remote-state/ and delivery/ in a temporary directory; then the values they
hand to GitHub are checked as the workflows read them.

What cannot run offline is replaced, and only that: the AWS CLI look-ups
(OIDC_ARN, ZONES are set here), S3 (a local backend stands in for delivery/'s;
`init -migrate-state` checks the backend file it would migrate to, then
removes it), `apply` gets -auto-approve, and `gh` records its arguments.
The offline provider returns placeholders for computed values; the state
key's ARN, which delivery/ validates, gets a realistic one."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from terraform_plans import REPO, require_offline_terraform, terraform_env
from workflow_files import workflow_variables

require_offline_terraform()

KMS_ARN = "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111"
GITHUB_REPOSITORY = "Example-Org/epochstore"


def readme_commands() -> list[str]:
    """Every sh block of steps 2-4 that calls no AWS CLI (those look-ups are set by the test)."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    start = readme.index("<!-- bootstrap-commands:")
    section = readme[start:readme.index("### 5. Configuration to commit", start)]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [b for b in blocks if not re.search(r"(^|\$\(|\s)aws ", b)]


# Stands in for `terraform` where the README's command needs AWS (see the module docstring).
TERRAFORM_WRAPPER = r"""#!/usr/bin/env bash
set -euo pipefail
log="$BOOTSTRAP_LOG"
echo "terraform $*" >>"$log"
chdir=$1
dir=${chdir#-chdir=}
if [[ $2 == init ]]; then
  if [[ " $* " == *" -migrate-state "* ]]; then
    grep -q 'backend "s3"' "$dir/backend_override.tf"
    grep -q 'key *= "bootstrap/remote-state/terraform.tfstate"' "$dir/backend_override.tf"
    cp "$dir/backend_override.tf" "$BOOTSTRAP_DIR/migrated_backend_override.tf"
    # Offline, the state stays local: no S3 to migrate to, nothing to re-init.
    rm "$dir/backend_override.tf"
    exit 0
  fi
  args=()
  for a in "${@:2}"; do
    if [[ $a == -backend-config=* ]]; then
      grep -q 'key *= "bootstrap/delivery/terraform.tfstate"' "$dir/${a#-backend-config=}"
    else
      args+=("$a")
    fi
  done
  exec "$REAL_TERRAFORM" "$chdir" "${args[@]}" -input=false >/dev/null
fi
if [[ $2 == apply ]]; then
  exec "$REAL_TERRAFORM" "$chdir" apply -auto-approve -input=false "${@:3}" >/dev/null
fi
exec "$REAL_TERRAFORM" "$@"
"""

GH_RECORDER = r"""#!/usr/bin/env python3
import json, os, sys
with open(os.environ["GH_LOG"], "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\n")
"""


@pytest.fixture(scope="module")
def bootstrap(tmp_path_factory):
    work = tmp_path_factory.mktemp("bootstrap")
    ignore = shutil.ignore_patterns(".terraform", "*.tfstate*", "backend.hcl", "backend_override.tf", "tests",
                                    ".terraform.lock.hcl")
    for root in ("remote-state", "delivery"):
        shutil.copytree(os.path.join(REPO, root), work / root, ignore=ignore)
    (work / "terraform").mkdir()
    (work / "remote-state" / "outputs_override.tf").write_text(
        '# Offline only: the provider\'s placeholder ARN would not pass delivery/\'s validation.\n'
        f'output "kms_key_arn" {{\n  value = "{KMS_ARN}"\n}}\n')
    (work / "delivery" / "backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    bin_dir = work / "bin"
    bin_dir.mkdir()
    for name, text in (("terraform", TERRAFORM_WRAPPER), ("gh", GH_RECORDER)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    env = dict(terraform_env())
    real = shutil.which("terraform", path=env["PATH"])
    env.update(PATH=f"{bin_dir}:{env['PATH']}", REAL_TERRAFORM=real, BOOTSTRAP_LOG=str(work / "terraform.log"),
               BOOTSTRAP_DIR=str(work), GH_LOG=str(work / "gh.log"), OIDC_ARN="",
               ZONES='{prod = "Z0PROD000000001"}')
    script = "\n".join(readme_commands()).replace("REPO=your-org/epochstore", f"REPO={GITHUB_REPOSITORY}")
    result = subprocess.run(["bash", "--noprofile", "--norc", "-euo", "pipefail", "-c", script], cwd=work, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    gh_calls = [json.loads(line) for line in (work / "gh.log").read_text().splitlines()]
    return work, gh_calls


def test_the_readme_block_is_what_this_test_runs():
    blocks = readme_commands()
    text = "\n".join(blocks)
    for command in ("terraform -chdir=remote-state init", "-migrate-state", "delivery_backend_config > delivery/backend.hcl",
                    "terraform -chdir=delivery apply", 'state_region="$(terraform -chdir=remote-state output -raw region)"',
                    '-var hosted_zone_ids="$ZONES"', '-var oidc_provider_arn="$OIDC_ARN"',
                    "github_environments_commands | bash", "github_variables_commands | bash"):
        assert command in text, command


def test_the_bootstrap_states_go_to_the_bucket_under_bootstrap(bootstrap):
    work, _ = bootstrap
    migrated = (work / "migrated_backend_override.tf").read_text()
    assert re.search(r'bucket\s*=\s*"epochstore-tfstate-123456789012-eu-central-1"', migrated)
    assert re.search(r'region\s*=\s*"eu-central-1"', migrated)
    delivery = (work / "delivery" / "backend.hcl").read_text()
    assert 'key          = "bootstrap/delivery/terraform.tfstate"' in delivery
    deployment = (work / "terraform" / "backend.hcl").read_text()
    assert 'key          = "epochstore/terraform.tfstate"' in deployment
    assert 'region       = "eu-central-1"' in deployment


def test_every_variable_the_workflows_read_is_set_where_they_read_it(bootstrap):
    _, gh_calls = bootstrap
    variables = [c for c in gh_calls if c[:2] == ["variable", "set"]]
    where = {}
    for call in variables:
        name, options = call[2], dict(zip(call[3::2], call[4::2]))
        assert options["--repo"] == GITHUB_REPOSITORY, call
        where.setdefault(name, {})[options.get("--env", "repository")] = options["--body"]
    read = workflow_variables()
    assert read and set(where) == read, (set(where), read)
    assert set(where.pop("AWS_ROLE_ARN")) == {"dev", "prod"}, "AWS_ROLE_ARN belongs to each environment only"
    assert all(set(places) == {"repository"} for places in where.values()), where


def test_every_value_parses_as_the_workflows_parse_it(bootstrap):
    _, gh_calls = bootstrap
    values = {c[2]: c[c.index("--body") + 1] for c in gh_calls if c[:2] == ["variable", "set"]}
    # fromJSON(vars.PERMISSIONS_BOUNDARY_ARNS)[environment]
    boundaries = json.loads(values["PERMISSIONS_BOUNDARY_ARNS"])
    assert set(boundaries) == {"dev", "prod"} and all(isinstance(v, str) and v for v in boundaries.values())
    assert values["TF_STATE_REGION"] == "eu-central-1"
    assert values["TF_STATE_BUCKET"] == "epochstore-tfstate-123456789012-eu-central-1"
    assert values["TF_STATE_KMS_KEY_ARN"] == KMS_ARN
    assert all(v == v.strip() and "\\" not in v for v in values.values()), values


def test_the_environments_exist_before_any_job_names_them_and_accept_main_only(bootstrap):
    _, gh_calls = bootstrap
    api = [c for c in gh_calls if c[0] == "api"]
    for env in ("dev", "prod"):
        path = f"repos/{GITHUB_REPOSITORY}/environments/{env}"
        create = [c for c in api if path in c and "PUT" in c]
        assert create and "deployment_branch_policy[custom_branch_policies]=true" in create[0]
        assert "deployment_branch_policy[protected_branches]=false" in create[0]
        policy = [c for c in api if f"{path}/deployment-branch-policies" in c]
        assert policy and "name=main" in policy[0] and "type=branch" in policy[0]
    first_variable = next(i for i, c in enumerate(gh_calls) if c[:2] == ["variable", "set"])
    assert all(c[0] == "api" for c in gh_calls[:first_variable])
