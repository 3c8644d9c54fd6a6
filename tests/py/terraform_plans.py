"""Offline plans of the project's Terraform roots, as `terraform show -json` gives them.

Each root is copied to a temporary directory (the checkout's .terraform and
state stay untouched), initialised with a local backend, and planned with
the offline Terraform (scripts/terraform-offline.sh) and the given variables.
`applied` also applies offline and returns the state: some policies are
unknown in a plan (they embed a KMS key ARN AWS makes up) and only get a
value, with the stand-in's placeholders such as "arn-offline", after apply.

Where the offline Terraform is absent (GitHub's ci.yml), a suite that calls
`require_offline_terraform()` at module level is skipped with the reason;
where it is present, conftest.py fails the run on any skip."""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import tempfile

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LAMBDA_FIXTURES = os.path.join(REPO, "terraform", "tests", "fixtures", "lambda")
ACCOUNT = "123456789012"
# Where this project's CI keeps the offline Terraform (scripts/terraform-offline.sh).
SHARED_TF_OFFLINE = os.path.join(os.path.dirname(REPO), "shared", "tf-offline")
# scripts/terraform-offline.sh's exit status when SHARED_TF_OFFLINE is absent.
OFFLINE_TERRAFORM_ABSENT = 3


class OfflineTerraformMissing(Exception):
    """No offline Terraform beside the checkout; the message says so."""


@functools.cache
def terraform_env() -> dict:
    """The environment with the offline Terraform on PATH (scripts/terraform-offline.sh's exports)."""
    env = dict(os.environ)
    done = subprocess.run([os.path.join(REPO, "scripts", "terraform-offline.sh")], capture_output=True, text=True)
    if done.returncode == OFFLINE_TERRAFORM_ABSENT:
        raise OfflineTerraformMissing(done.stderr.strip())
    if done.returncode:
        raise RuntimeError(f"scripts/terraform-offline.sh failed:\n{done.stderr[-3000:]}")
    for line in done.stdout.splitlines():
        if line.startswith("export "):
            name, value = line[len("export "):].split("=", 1)
            env[name] = subprocess.run(["bash", "-c", f"printf %s {value}"], check=True, capture_output=True, text=True).stdout
    return env


def require_offline_terraform() -> None:
    """Skips the calling test module, naming why, where the offline Terraform is absent."""
    try:
        terraform_env()
    except OfflineTerraformMissing as missing:
        pytest.skip(str(missing), allow_module_level=True)


def run(workdir: str, *args: str) -> str:
    done = subprocess.run(["terraform", *args], cwd=workdir, env=terraform_env(), capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"terraform {' '.join(args)} in {workdir}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def prepared(root: str, variables: dict) -> str:
    """root: a directory of the checkout (terraform, delivery, …) or an absolute path."""
    name = os.path.basename(root)
    scratch = tempfile.mkdtemp(prefix=f"plan-{name}-")
    atexit.register(shutil.rmtree, scratch, True)
    workdir = os.path.join(scratch, name)
    shutil.copytree(os.path.join(REPO, root), workdir, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl"))
    with open(os.path.join(workdir, "backend_override.tf"), "w", encoding="utf-8") as f:
        f.write('terraform {\n  backend "local" {}\n}\n')
    with open(os.path.join(workdir, "check.auto.tfvars.json"), "w", encoding="utf-8") as f:
        json.dump(variables, f)
    run(workdir, "init", "-input=false")
    return workdir


@functools.cache
def _planned(root: str, variables: str) -> dict:
    workdir = prepared(root, json.loads(variables))
    run(workdir, "plan", "-input=false", "-out=plan.bin")
    return json.loads(run(workdir, "show", "-json", "plan.bin"))


@functools.cache
def _applied(root: str, variables: str) -> dict:
    workdir = prepared(root, json.loads(variables))
    run(workdir, "apply", "-input=false", "-auto-approve")
    return json.loads(run(workdir, "show", "-json"))


def planned(root: str, variables: dict) -> dict:
    return _planned(root, json.dumps(variables, sort_keys=True))


def applied(root: str, variables: dict) -> dict:
    return _applied(root, json.dumps(variables, sort_keys=True))


def replanned(root: str, variables: dict, edit) -> dict:
    """Apply, pull the state, let `edit(state)` change it in place, push it
    back and plan again: the new plan's resource changes, by address."""
    workdir = prepared(root, variables)
    run(workdir, "apply", "-input=false", "-auto-approve")
    state = json.loads(run(workdir, "state", "pull"))
    edit(state)
    state["serial"] += 1
    path = os.path.join(workdir, "edited.tfstate")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(state, f)
    run(workdir, "state", "push", path)
    run(workdir, "plan", "-input=false", "-out=replanned.bin")
    return {c["address"]: c for c in json.loads(run(workdir, "show", "-json", "replanned.bin"))["resource_changes"]}


def resources(document: dict) -> list[dict]:
    """Every resource of a plan's planned values or of a state, modules included."""
    top = document["planned_values"] if "planned_values" in document else document["values"]

    def walk(module: dict):
        yield from module.get("resources", [])
        for child in module.get("child_modules", []):
            yield from walk(child)

    return list(walk(top["root_module"]))
