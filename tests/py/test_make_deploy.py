"""`make deploy` and `make plan` check what they need from the operator (the
environment's tfvars, AWS credentials, terraform/backend.hcl) before the
release build: a missing file or credential costs seconds, not a build. A
stand-in `cargo` on PATH records whether the build started."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess

import pytest

from fake_api import fake_api

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.fixture
def workspace(tmp_path):
    """A copy of terraform/ without backend settings, a HOME without ~/.aws, and a cargo that leaves a mark."""
    tf_dir = tmp_path / "terraform"
    shutil.copytree(os.path.join(REPO, "terraform"), tf_dir,
                    ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "backend.hcl", "terraform.tfvars", "tests"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    mark = tmp_path / "cargo-ran"
    (bin_dir / "cargo").write_text(f"#!/bin/sh\ntouch '{mark}'\nexit 1\n")
    (bin_dir / "cargo").chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(PATH=f"{bin_dir}:{os.environ['PATH']}", HOME=str(home), CARGO_TARGET_DIR=str(tmp_path / "target"))
    return tf_dir, mark, env


def make(verb: str, tf_dir, env: dict[str, str], *assignments: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", verb, *assignments, "ENV=prod", f"TF_DIR={tf_dir}"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("verb", ["deploy", "plan"])
def test_without_backend_hcl_it_stops_before_the_build(workspace, verb):
    tf_dir, mark, env = workspace
    result = make(verb, tf_dir, dict(env, AWS_PROFILE="operator"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{tf_dir}/backend.hcl is missing" in result.stderr
    # The existing bucket from the repository's variables, or the one bootstrap recipe (README step 2).
    assert "make backend-from-github ENV=prod" in result.stderr
    assert '"From clone to production", step 2' in result.stderr
    assert not mark.exists(), "the release build started before the backend was checked"


@pytest.mark.parametrize("verb", [["failover", "REGION=eu-west-3"], ["drill", "REGION=eu-west-3"], ["outputs"]])
def test_a_missing_backend_hcl_asks_for_the_existing_bucket_not_a_new_one(tmp_path, verb):
    """The switch and the drill read a deployment that exists: bootstrapping a
    second state bucket would be the wrong advice."""
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "prod.tfvars").write_text("")
    result = make(verb[0], tmp_path, dict(os.environ), *verb[1:], "TF_OFFLINE_DRILL=1", timeout=60)
    assert result.returncode != 0
    assert f"{tmp_path}/backend.hcl is missing" in result.stderr
    assert "A failover, recover or drill reads an existing deployment" in result.stderr
    assert "TF_STATE_BUCKET" in result.stderr and "Do not bootstrap a second bucket" in result.stderr
    assert "make backend-from-github ENV=prod" in result.stderr
    assert "No bucket yet" not in result.stderr


@pytest.mark.parametrize("verb", ["deploy", "plan"])
def test_without_credentials_it_stops_before_the_build(workspace, verb):
    tf_dir, mark, env = workspace
    (tf_dir / "backend.hcl").write_text('bucket = "b"\n')
    result = make(verb, tf_dir, env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "No AWS credentials" in result.stderr
    assert not mark.exists(), "the release build started before the credentials were checked"


GH_VARIABLES = {
    "TF_STATE_BUCKET": "epochstore-tfstate-123456789012-eu-central-1",
    "TF_STATE_REGION": "eu-central-1",
    "TF_STATE_KMS_KEY_ARN": "arn:aws:kms:eu-central-1:123456789012:key/11111111-1111-1111-1111-111111111111",
}


def stand_in_gh(bin_dir, variables: dict[str, str]) -> None:
    """A gh that answers `gh variable get NAME` from `variables` and fails for an unknown name, as gh does."""
    cases = "".join(f"  {name}) echo '{value}' ;;\n" for name, value in variables.items())
    (bin_dir / "gh").write_text(f'#!/bin/sh\n[ "$1 $2" = "variable get" ] || exit 1\ncase "$3" in\n{cases}  *) echo "variable $3 was not found" >&2; exit 1 ;;\nesac\n')
    (bin_dir / "gh").chmod(0o755)


def test_backend_from_github_writes_the_pipelines_backend(workspace):
    """An operator whose policy reads only envs/<env>/terraform.tfstate gets the backend the pipeline uses,
    without remote-state/'s bootstrap state and without AWS credentials."""
    tf_dir, mark, env = workspace
    stand_in_gh(tf_dir.parent / "bin", GH_VARIABLES)
    result = make("backend-from-github", tf_dir, env)
    assert result.returncode == 0, result.stdout + result.stderr
    settings = dict(line.split(" = ", 1) for line in (tf_dir / "backend.hcl").read_text().splitlines())
    assert {k.strip(): v.strip().strip('"') for k, v in settings.items()} == {
        "bucket": GH_VARIABLES["TF_STATE_BUCKET"],
        "key": "envs/prod/terraform.tfstate",
        "region": GH_VARIABLES["TF_STATE_REGION"],
        "encrypt": "true",
        "kms_key_id": GH_VARIABLES["TF_STATE_KMS_KEY_ARN"],
        "use_lockfile": "true",
    }


def test_backend_from_github_names_a_missing_variable_and_writes_nothing(workspace):
    tf_dir, mark, env = workspace
    stand_in_gh(tf_dir.parent / "bin", {k: v for k, v in GH_VARIABLES.items() if k != "TF_STATE_KMS_KEY_ARN"})
    result = make("backend-from-github", tf_dir, env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "TF_STATE_KMS_KEY_ARN" in result.stderr
    assert not (tf_dir / "backend.hcl").exists()


# README "First-run errors": every message quoted in the "you see" column that this repository prints is
# printed as quoted (… stands for any text). Rows whose message comes from AWS, GitHub or Terraform itself
# are named here by their start, with who prints them.
FOREIGN_MESSAGES = {
    "Error when evaluating 'env' for job": "GitHub Actions",
    "Could not assume role with OIDC:": "configure-aws-credentials, relaying STS",
    "Credentials could not be loaded": "configure-aws-credentials",
    "Error: Failed to get existing workspaces": "Terraform's S3 backend",
    "… is not authorized to perform": "IAM",
    "EntityAlreadyExists": "IAM",
}


def first_run_errors() -> list[list[str]]:
    """The quoted messages of each row's "you see" cell."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        section = f.read().split("### First-run errors", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| you see") and "---" not in line]
    return [re.findall(r"`([^`]+)`", row.split(" | ", 1)[0]) for row in rows]


def printed_messages(workspace) -> list[str]:
    """What this repository prints for each misconfiguration the table names, line by line, plus every
    Terraform validation message (terraform test checks that each one fires)."""
    tf_dir, _, env = workspace
    lines = []
    # The GitHub settings check, with a variable missing, one malformed and the boundaries not JSON.
    settings = subprocess.run(
        [os.path.join(REPO, "scripts", "check-github-settings.py"), "--environment", "prod", "--boundaries-for", "prod", "--",
         "AWS_ROLE_ARN", "TF_STATE_BUCKET", "TF_STATE_REGION", "PERMISSIONS_BOUNDARY_ARNS"],
        env=dict(env, TF_STATE_REGION="Frankfurt", PERMISSIONS_BOUNDARY_ARNS="{prod = 'arn'}"), capture_output=True, text=True, timeout=60)
    lines += [line.removeprefix("::error title=GitHub settings::") for line in settings.stdout.splitlines()]
    # make without backend.hcl, named as a clone names it.
    result = make("deploy", tf_dir, dict(env, AWS_PROFILE="operator"))
    lines += [line.replace(str(tf_dir), "terraform") for line in result.stderr.splitlines()]
    # The smoke test against an API that wants a JWT.
    api = fake_api(lambda handler: (401, {"message": "Unauthorized"}))
    try:
        smoke = subprocess.run([os.path.join(REPO, "scripts", "smoke.sh"), api.url], env=dict(env, SMOKE_RETRIES="0"),
                               capture_output=True, text=True, timeout=60)
    finally:
        api.close()
    lines += [line.replace(api.url, "https://api.example.com") for line in smoke.stderr.splitlines()]
    for root in ("terraform", "delivery", "remote-state"):
        for path in glob.glob(os.path.join(REPO, root, "**", "*.tf"), recursive=True):
            with open(path, encoding="utf-8") as f:
                lines += [m.replace('\\"', '"') for m in re.findall(r'error_message\s*=\s*"((?:[^"\\]|\\.)*)"', f.read())]
    return lines


def test_the_first_run_errors_table_quotes_what_is_printed(workspace):
    rows = first_run_errors()
    ours = [quote for quotes in rows if not any(q.startswith(tuple(FOREIGN_MESSAGES)) for q in quotes) for quote in quotes]
    assert "terraform/backend.hcl is missing: it names the state bucket every deployment's state lives in." in ours
    assert all(any(q.startswith(m) for quotes in rows for q in quotes) for m in FOREIGN_MESSAGES), "a foreign message no row quotes"
    lines = printed_messages(workspace)
    # A quote is the start of what is printed (its first line): "…" stands for any text.
    unprinted = [q for q in ours if not any(re.match(".*?".join(map(re.escape, q.split("…"))), line) for line in lines)]
    assert unprinted == [], "quoted in README's first-run errors, but printed by nothing in this repository"
