"""The GitHub Actions workflows, read as data: every action pinned to a commit,
least-privilege tokens, OIDC only where AWS credentials are configured, one
deploy per environment at a time, prod behind its GitHub environment, and the
Lambda zips built once and never rebuilt. (actionlint checks syntax,
expressions and the shell in `run:`; this checks the delivery rules.)"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess

import pytest
import yaml

from workflow_files import ACTIONS, REPO, VARIABLE, WORKFLOWS, workflow_variables

CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials"
VERIFIED_ZIPS_ACTION = "./.github/actions/terraform-env"


def load(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def workflow(name: str) -> dict:
    return load(os.path.join(REPO, ".github", "workflows", name))


def all_jobs() -> list[tuple[str, str, dict]]:
    return [(os.path.basename(path), name, job) for path in WORKFLOWS for name, job in load(path)["jobs"].items()]


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def uses(step: dict) -> str:
    return step.get("uses", "")


def configures_credentials(job: dict) -> bool:
    """A step of the job, or of the local reusable workflow it calls, assumes an AWS role."""
    if job.get("uses", "").startswith("./"):
        called = load(os.path.join(REPO, job["uses"]))
        return any(configures_credentials(j) for j in called["jobs"].values())
    return any(uses(s).startswith(CREDENTIALS_ACTION + "@") for s in steps(job))


def run_lines(job: dict) -> list[str]:
    return [line for s in steps(job) for line in s.get("run", "").splitlines()]


def test_the_files_are_there():
    names = {os.path.basename(p) for p in WORKFLOWS}
    assert {"ci.yml", "deploy.yml", "deploy-environment.yml"} <= names
    assert [os.path.relpath(p, REPO) for p in ACTIONS] == [".github/actions/terraform-env/action.yml"]


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda p: os.path.relpath(p, REPO))
def test_every_action_is_pinned_to_a_commit_with_its_version_beside_it(path):
    with open(path, encoding="utf-8") as f:
        lines = [line for line in f if re.match(r"^\s*(-\s+)?uses:", line)]
    assert lines
    for line in lines:
        m = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)\s*(?:#\s*(\S+))?\s*$", line)
        assert m, line
        ref, version = m.groups()
        if ref.startswith("./"):
            continue
        assert re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}", ref), f"not pinned to a commit: {line}"
        assert version and re.fullmatch(r"v\d+(\.\d+)*|stable", version), f"no version comment: {line}"


def test_one_commit_per_action():
    """The same action at the same version everywhere (a bump updates every file)."""
    pins: dict[str, set[str]] = {}
    for path in WORKFLOWS + ACTIONS:
        with open(path, encoding="utf-8") as f:
            for action, sha in re.findall(r"uses:\s*([^@\s]+)@([0-9a-f]{40})", f.read()):
                pins.setdefault(action, set()).add(sha)
    assert pins and all(len(shas) == 1 for shas in pins.values()), pins


@pytest.mark.parametrize("path", WORKFLOWS, ids=os.path.basename)
def test_the_token_has_no_default_permissions(path):
    assert load(path)["permissions"] == {}


def test_every_job_has_explicit_permissions():
    for file, name, job in all_jobs():
        assert isinstance(job.get("permissions"), dict), f"{file} {name}: no permissions"
        assert job["permissions"].get("contents") == "read", f"{file} {name}"
        assert set(job["permissions"]) <= {"contents", "id-token"}, f"{file} {name}: {job['permissions']}"


def test_id_token_only_where_credentials_are_configured():
    with_token = set()
    for file, name, job in all_jobs():
        has_token = job["permissions"].get("id-token") == "write"
        assert has_token == configures_credentials(job), f"{file} {name}"
        if has_token:
            with_token.add((file, name))
    assert with_token == {("deploy.yml", "plan"), ("deploy.yml", "deploy-dev"), ("deploy.yml", "deploy-prod"),
                          ("deploy-environment.yml", "apply")}


def test_deploy_roles_come_from_the_environment_and_the_plan_role_from_the_repository():
    plan = workflow("deploy.yml")["jobs"]["plan"]
    apply = workflow("deploy-environment.yml")["jobs"]["apply"]
    role = {name: [s["with"]["role-to-assume"] for s in steps(job) if uses(s).startswith(CREDENTIALS_ACTION)]
            for name, job in (("plan", plan), ("apply", apply))}
    assert role == {"plan": ["${{ vars.AWS_PLAN_ROLE_ARN }}"], "apply": ["${{ vars.AWS_ROLE_ARN }}"]}
    # AWS_ROLE_ARN is an environment variable: only a job in a GitHub environment can read it.
    assert apply["environment"]["name"] == "${{ inputs.environment }}"
    assert "environment" not in plan


def test_apply_runs_once_per_environment_and_is_never_cancelled():
    apply = workflow("deploy-environment.yml")["jobs"]["apply"]
    assert apply["concurrency"] == {"group": "deploy-${{ inputs.environment }}", "cancel-in-progress": False}
    assert any(re.search(r"\bmake\b.*\bdeploy\b", line) for line in run_lines(apply))


def test_dev_then_prod_in_their_github_environments():
    jobs = workflow("deploy.yml")["jobs"]
    callers = {name: job for name, job in jobs.items() if job.get("uses") == "./.github/workflows/deploy-environment.yml"}
    assert {name: job["with"]["environment"] for name, job in callers.items()} == {"deploy-dev": "dev", "deploy-prod": "prod"}
    assert "deploy-dev" in jobs["deploy-prod"]["needs"], "prod must wait for dev's apply and smoke test"
    assert jobs["deploy-dev"]["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    called = workflow("deploy-environment.yml")["jobs"]
    assert called["smoke"]["needs"] == "apply"
    assert any("scripts/smoke.sh" in line for line in run_lines(called["smoke"]))


def test_pull_requests_plan_every_environment_read_only():
    plan = workflow("deploy.yml")["jobs"]["plan"]
    assert plan["if"].startswith("github.event_name == 'pull_request'")
    assert plan["strategy"]["matrix"]["environment"] == ["dev", "prod"]
    assert "-lock=false" in plan["env"]["TF_CLI_ARGS_plan"]
    assert any("GITHUB_STEP_SUMMARY" in line for line in run_lines(plan))


def test_zips_are_built_once_and_never_rebuilt():
    """Only deploy.yml's build job compiles; every other delivery job runs make with -o build."""
    for file in ("deploy.yml", "deploy-environment.yml"):
        for name, job in workflow(file)["jobs"].items():
            lines = run_lines(job)
            if (file, name) == ("deploy.yml", "build"):
                assert "make build" in lines
                continue
            assert not any(re.search(r"\bcargo\b", line) for line in lines), f"{file} {name}"
            assert not any(uses(s).startswith("dtolnay/rust-toolchain@") for s in steps(job)), f"{file} {name}"
            for line in lines:
                # make outputs reads the state and builds nothing.
                if re.search(r"\bmake\b", line):
                    assert re.search(r"\bmake -o build (plan|deploy)\b|\bmake --silent -o tf-init outputs\b", line), \
                        f"{file} {name}: {line}"
    action = load(ACTIONS[0])
    assert not any(re.search(r"\b(cargo|make)\b", s.get("run", "")) for s in action["runs"]["steps"])


def test_every_package_terraform_deploys_is_checksummed_and_shipped():
    """Each file Terraform reads under lambda_package_dir, written as a glob relative to it."""
    sources = " ".join(open(p, encoding="utf-8").read() for p in glob.glob(os.path.join(REPO, "terraform", "*.tf")))
    packages = {re.sub(r"\$\{[^}]+\}", "*", p) for p in re.findall(r'"\$\{local\.package_dir\}/([^"]+)"', sources)}
    assert packages >= {"*/bootstrap.zip", "canary/epochstore-canary.zip"}, packages
    build = workflow("deploy.yml")["jobs"]["build"]
    checksummed = next(line for line in run_lines(build) if "sha256sum" in line).split()
    shipped = next(s for s in steps(build) if uses(s).startswith("actions/upload-artifact@"))["with"]["path"].split()
    for package in packages:
        assert package in checksummed, package
        assert "target/lambda/" + package in shipped, package


def test_zips_are_verified_before_terraform_runs():
    build = workflow("deploy.yml")["jobs"]["build"]
    assert any("sha256sum" in line and "SHA256SUMS" in line for line in run_lines(build))
    assert build["outputs"]["sha256sums"] == "${{ steps.checksums.outputs.sha256sums }}"
    for file, name in (("deploy.yml", "plan"), ("deploy-environment.yml", "apply")):
        job_steps = steps(workflow(file)["jobs"][name])
        verified = [i for i, s in enumerate(job_steps) if uses(s) == VERIFIED_ZIPS_ACTION]
        make = [i for i, s in enumerate(job_steps) if re.search(r"\bmake\b", s.get("run", ""))]
        assert len(verified) == 1 and make and verified[0] < make[0], f"{file} {name}"
        assert job_steps[verified[0]]["with"]["sha256sums"] in (
            "${{ needs.build.outputs.sha256sums }}", "${{ inputs.sha256sums }}")
    checks = " ".join(s.get("run", "") for s in load(ACTIONS[0])["runs"]["steps"])
    assert 'diff <(printf \'%s\\n\' "$EXPECTED") SHA256SUMS' in checks
    assert "sha256sum --check --strict SHA256SUMS" in checks


def test_advisories_are_checked_in_ci():
    jobs = workflow("ci.yml")["jobs"]
    deny = [s for s in steps(jobs["advisories"]) if uses(s).startswith("EmbarkStudios/cargo-deny-action@")]
    assert [s["with"]["command"] for s in deny] == ["check advisories"]


def make_variable(name: str, **variables: str) -> str:
    """A variable as make computes it in the checkout, e.g. TF_DATA (where mk/terraform.mk alone spells it)."""
    return subprocess.run(["make", "--no-print-directory", "--silent", f"--eval=print-variable: ; @echo $({name})", "print-variable",
                           *(f"{k}={v}" for k, v in variables.items())],
                          cwd=REPO, capture_output=True, text=True, check=True, timeout=30).stdout.strip()


@pytest.mark.parametrize("outputs, expected", [
    ({"global_url": {"value": None},
      "regional_urls": {"value": {"eu-central-1": "https://a.example", "eu-west-3": "https://b.example"}}},
     ["https://a.example", "https://b.example"]),
    ({"global_url": {"value": "https://api.example.com"},
      "regional_urls": {"value": {"eu-central-1": "https://a.example", "eu-west-3": "https://b.example"}}},
     ["https://api.example.com", "https://a.example", "https://b.example"]),
])
def test_the_smoke_test_gets_the_global_and_every_regional_url(tmp_path, outputs, expected):
    """The apply job's URL step, run as GitHub runs it, against a stand-in `terraform output -json`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # make deploy ENV=dev initialised dev's data dir (mk/terraform.mk's TF_DATA): make outputs reads there only.
    (bin_dir / "terraform").write_text(
        f'#!/bin/sh\n[ "$TF_DATA_DIR" = "{make_variable("TF_DATA", ENV="dev")}" ]'
        ' || { echo "terraform: backend not initialised in ${TF_DATA_DIR:-.terraform}" >&2; exit 1; }\n'
        f"cat <<'JSON'\n{json.dumps(outputs)}\nJSON\n")
    (bin_dir / "terraform").chmod(0o755)
    github_output = tmp_path / "github_output"
    apply = workflow("deploy-environment.yml")["jobs"]["apply"]
    script = next(s["run"] for s in steps(apply) if s.get("id") == "urls")
    subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], check=True, timeout=30, cwd=REPO,
                   env=dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", GITHUB_OUTPUT=str(github_output),
                            GITHUB_WORKSPACE=REPO, ENVIRONMENT="dev"))
    values = dict(line.split("=", 1) for line in github_output.read_text().splitlines())
    assert values == {"all": " ".join(expected), "first": expected[0]}
    assert apply["outputs"]["urls"] == "${{ steps.urls.outputs.all }}"
    assert apply["environment"]["url"] == "${{ steps.urls.outputs.first }}"


# --- First run: every missing setting is named before anything else runs.

SETTINGS_SCRIPT = "scripts/check-github-settings.py"
# A complete, valid set of GitHub variables, as delivery/ prints them.
GOOD_VARIABLES = {
    "AWS_PLAN_ROLE_ARN": "arn:aws:iam::123456789012:role/github-actions/epochstore-github-plan",
    "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/github-actions/epochstore-github-deploy-prod",
    "TF_STATE_BUCKET": "epochstore-tfstate-123456789012-eu-central-1",
    "TF_STATE_REGION": "eu-central-1",
    "TF_STATE_KMS_KEY_ARN": "arn:aws:kms:eu-central-1:123456789012:key/11111111-1111-1111-1111-111111111111",
    "PERMISSIONS_BOUNDARY_ARNS": json.dumps({e: f"arn:aws:iam::123456789012:policy/github-actions/epochstore-boundary-{e}"
                                             for e in ("dev", "prod")}),
}


def run_step(step: dict, variables: dict[str, str], inputs: dict[str, str] | None = None,
             cwd: str | os.PathLike = REPO) -> subprocess.CompletedProcess:
    """A run: step as GitHub runs it (in cwd, the checkout by default): its env: with ${{ vars.X }} / ${{ inputs.x }} substituted (absent = empty)."""
    def substitute(value: str) -> str:
        value = VARIABLE.sub(lambda m: variables.get(m.group(1), ""), str(value))
        return re.sub(r"\$\{\{\s*inputs\.([a-z0-9-]+)\s*\}\}", lambda m: (inputs or {}).get(m.group(1), ""), value)
    env = {k: substitute(v) for k, v in step.get("env", {}).items()}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=cwd,
                          capture_output=True, text=True, timeout=30, env=dict(PATH=os.environ["PATH"], **env))


def settings_steps() -> dict[str, dict]:
    return {s["name"]: s for s in steps(workflow("deploy.yml")["jobs"]["settings"]) if "run" in s}


def test_the_settings_job_runs_before_the_build_and_every_aws_job():
    jobs = workflow("deploy.yml")["jobs"]
    assert jobs["build"]["needs"] == "settings"
    assert "id-token" not in jobs["settings"]["permissions"]
    for name in ("plan", "deploy-dev", "deploy-prod"):
        needs = jobs[name]["needs"]
        assert "build" in ([needs] if isinstance(needs, str) else needs), name


def test_no_job_level_env_parses_a_variable():
    """A job's env: is evaluated before its first step: fromJSON('') there fails naming nothing."""
    for file, name, job in all_jobs():
        for key, value in job.get("env", {}).items():
            assert "fromJSON" not in str(value) and "vars." not in str(value), f"{file} {name} env {key}"


def test_the_boundary_is_parsed_only_after_the_settings_check():
    for file, name in (("deploy.yml", "plan"), ("deploy-environment.yml", "apply")):
        job_steps = steps(workflow(file)["jobs"][name])
        checked = next(i for i, s in enumerate(job_steps) if uses(s) == VERIFIED_ZIPS_ACTION)
        parsing = [i for i, s in enumerate(job_steps) if "fromJSON" in json.dumps(s)]
        assert parsing and all(i > checked for i in parsing), f"{file} {name}"


def test_the_environment_check_is_the_first_step_of_every_aws_job():
    action_steps = load(ACTIONS[0])["runs"]["steps"]
    assert SETTINGS_SCRIPT in action_steps[0]["run"]
    for file, name in (("deploy.yml", "plan"), ("deploy-environment.yml", "apply")):
        job_steps = steps(workflow(file)["jobs"][name])
        first_terraform_env = next(i for i, s in enumerate(job_steps) if uses(s) == VERIFIED_ZIPS_ACTION)
        assert [uses(s).split("@")[0] for s in job_steps[:first_terraform_env]] == ["actions/checkout"], f"{file} {name}"
        given = job_steps[first_terraform_env]["with"]
        role = next(s for s in job_steps if uses(s).startswith(CREDENTIALS_ACTION))["with"]["role-to-assume"]
        assert given["role-arn"] == role == "${{ vars.%s }}" % given["role-variable"], f"{file} {name}"
        assert given["permissions-boundary-arns"] == "${{ vars.PERMISSIONS_BOUNDARY_ARNS }}"


@pytest.mark.parametrize("step_name, required", [
    ("Repository variables", ["TF_STATE_BUCKET", "TF_STATE_REGION", "TF_STATE_KMS_KEY_ARN", "PERMISSIONS_BOUNDARY_ARNS"]),
    ("Repository variables of the plan",
     ["AWS_PLAN_ROLE_ARN", "TF_STATE_BUCKET", "TF_STATE_REGION", "TF_STATE_KMS_KEY_ARN", "PERMISSIONS_BOUNDARY_ARNS"]),
])
def test_a_first_run_without_variables_names_each_one(step_name, required):
    step = settings_steps()[step_name]
    repository_level = {k: v for k, v in GOOD_VARIABLES.items() if k != "AWS_ROLE_ARN"}
    assert run_step(step, repository_level).returncode == 0
    empty = run_step(step, {})
    assert empty.returncode == 1
    errors = [line for line in empty.stdout.splitlines() if line.startswith("::error")]
    assert [re.search(r"::([A-Z0-9_]+) is not set", e).group(1) for e in errors] == required
    assert all("repository variable" in e for e in errors)


def test_a_repository_level_aws_role_arn_is_refused_on_main():
    """It would shadow a missing environment variable: every environment would get one role."""
    step = settings_steps()["Repository variables"]
    result = run_step(step, GOOD_VARIABLES)
    assert result.returncode == 1
    assert "AWS_ROLE_ARN is set as a repository or organisation variable" in result.stdout


@pytest.mark.parametrize("boundaries, message", [
    ('{\\"dev\\":\\"arn:aws:iam::123456789012:policy/b\\"}', "is not JSON"),  # HCL-escaped, as pasted from `output`
    (json.dumps({"dev": "arn:aws:iam::123456789012:policy/github-actions/b-dev"}), "for environment 'prod'"),
    ('["arn:aws:iam::123456789012:policy/b"]', "must be a JSON object"),
])
def test_a_malformed_boundary_map_is_named(boundaries, message):
    step = settings_steps()["Repository variables of the plan"]
    result = run_step(step, dict(GOOD_VARIABLES, PERMISSIONS_BOUNDARY_ARNS=boundaries))
    assert result.returncode == 1
    assert [line for line in result.stdout.splitlines() if line.startswith("::error")] == [
        next(line for line in result.stdout.splitlines() if "PERMISSIONS_BOUNDARY_ARNS" in line)]
    assert message in result.stdout


def test_an_environment_without_its_role_is_named_with_its_environment():
    """GitHub creates an environment a job names on the first run, without variables or protection."""
    check = load(ACTIONS[0])["runs"]["steps"][0]
    inputs = {"environment": "prod", "role-variable": "AWS_ROLE_ARN", "role-arn": "",
              "state-bucket": GOOD_VARIABLES["TF_STATE_BUCKET"], "state-region": GOOD_VARIABLES["TF_STATE_REGION"],
              "state-kms-key-arn": GOOD_VARIABLES["TF_STATE_KMS_KEY_ARN"],
              "permissions-boundary-arns": GOOD_VARIABLES["PERMISSIONS_BOUNDARY_ARNS"]}
    result = run_step(check, {}, inputs)
    assert result.returncode == 1
    assert "::error title=GitHub settings::AWS_ROLE_ARN is not set: add it as a variable of the GitHub environment 'prod'" \
        in result.stdout
    assert run_step(check, {}, dict(inputs, **{"role-arn": GOOD_VARIABLES["AWS_ROLE_ARN"]})).returncode == 0
    wrong_region = run_step(check, {}, dict(inputs, **{"role-arn": GOOD_VARIABLES["AWS_ROLE_ARN"],
                                                       "state-region": "Frankfurt"}))
    assert wrong_region.returncode == 1 and "TF_STATE_REGION" in wrong_region.stdout


def test_every_variable_the_workflows_read_is_checked_first():
    read = workflow_variables()
    checked = set()
    for step in settings_steps().values():
        checked |= set(VARIABLE.findall(json.dumps(step.get("env", {}))))
    # The environment's role is checked in its own job, by terraform-env (role-variable).
    for file, name in (("deploy.yml", "plan"), ("deploy-environment.yml", "apply")):
        given = next(s for s in steps(workflow(file)["jobs"][name]) if uses(s) == VERIFIED_ZIPS_ACTION)["with"]
        checked |= {given["role-variable"]} | set(VARIABLE.findall(json.dumps(given)))
    assert read == checked == set(GOOD_VARIABLES), (read, checked)


def test_dependabot_pull_requests_are_not_planned():
    """GitHub runs them as fork pull requests: no OIDC token to assume the plan role with."""
    jobs = workflow("deploy.yml")["jobs"]
    dependabot = "github.event.pull_request.user.login != 'dependabot[bot]'"
    assert dependabot in jobs["plan"]["if"]
    assert dependabot in settings_steps()["Repository variables of the plan"]["if"]
    assert "github.actor" not in jobs["plan"]["if"], "a re-run by someone else changes github.actor, not the restriction"


def test_the_smoke_token_reaches_the_smoke_test():
    called = workflow("deploy-environment.yml")
    # PyYAML reads the key `on` as True.
    declared = called[True]["workflow_call"]["secrets"]
    assert declared == {"SMOKE_TOKEN": {"description": declared["SMOKE_TOKEN"]["description"], "required": False}}
    smoke = next(s for s in steps(called["jobs"]["smoke"]) if "scripts/smoke.sh" in s.get("run", ""))
    assert smoke["env"]["SMOKE_TOKEN"] == "${{ secrets.SMOKE_TOKEN }}"
    jobs = workflow("deploy.yml")["jobs"]
    for name in ("deploy-dev", "deploy-prod"):
        assert jobs[name]["secrets"] == {"SMOKE_TOKEN": "${{ secrets.SMOKE_TOKEN }}"}, name


def test_deploy_credentials_outlast_the_apply_job():
    """An apply whose credentials expire mid-run leaves the state lock behind: the session the apply job
    asks for must outlast its timeout and stay within delivery/'s max_session_duration, which IAM enforces
    (https://docs.aws.amazon.com/IAM/latest/APIReference/API_AssumeRoleWithWebIdentity.html, DurationSeconds)."""
    job = workflow("deploy-environment.yml")["jobs"]["apply"]
    credentials = [s for s in steps(job) if s.get("uses", "").startswith(CREDENTIALS_ACTION + "@")]
    assert len(credentials) == 1
    session = int(credentials[0]["with"]["role-duration-seconds"])
    with open(os.path.join(REPO, "delivery", "variables.tf"), encoding="utf-8") as f:
        block = f.read().split('variable "max_session_duration"', 1)[1].split("\nvariable ", 1)[0]
    max_session = int(re.search(r"default\s*=\s*(\d+)", block).group(1))
    # The lowest max_session_duration delivery/ accepts: any allowed value must admit the job's request.
    floor = max(int(n) for n in re.findall(r"var\.max_session_duration >= (\d+)", block))
    assert job["timeout-minutes"] * 60 < session <= floor <= max_session


def test_the_pipeline_writes_the_backend_an_operator_writes(tmp_path):
    """The terraform-env action and `make backend-from-github` (an operator's laptop) write
    terraform/backend.hcl with one script, scripts/backend-hcl.sh, from the same TF_STATE_* values."""
    action = load(os.path.join(REPO, ".github", "actions", "terraform-env", "action.yml"))
    step = next(s for s in action["runs"]["steps"] if s.get("name", "").startswith("Backend of"))
    (tmp_path / "scripts").symlink_to(os.path.join(REPO, "scripts"))
    (tmp_path / "terraform").mkdir()
    inputs = {"environment": "prod", "state-bucket": "b-1", "state-region": "eu-central-1",
              "state-kms-key-arn": "arn:aws:kms:eu-central-1:123456789012:key/k"}
    result = run_step(step, {}, inputs, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "terraform" / "backend.hcl").read_text()
    assert 'key          = "envs/prod/terraform.tfstate"' in written and 'bucket       = "b-1"' in written
    with open(os.path.join(REPO, "mk", "terraform.mk"), encoding="utf-8") as f:
        recipe = f.read().split("\nbackend-from-github:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/backend-hcl.sh" in step["run"] and "scripts/backend-hcl.sh" in recipe
