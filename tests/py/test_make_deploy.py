"""`make deploy` and `make plan` check what they need from the operator (the
environment's tfvars, AWS credentials, terraform/backend.hcl) before the
release build: a missing file or credential costs seconds, not a build. A
stand-in `cargo` on PATH records whether the build started."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

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


def make(verb: str, tf_dir, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", verb, "ENV=prod", f"TF_DIR={tf_dir}"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("verb", ["deploy", "plan"])
def test_without_backend_hcl_it_stops_before_the_build(workspace, verb):
    tf_dir, mark, env = workspace
    result = make(verb, tf_dir, dict(env, AWS_PROFILE="operator"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{tf_dir}/backend.hcl is missing" in result.stderr
    assert "terraform -chdir=remote-state output -raw backend_config" in result.stderr
    assert not mark.exists(), "the release build started before the backend was checked"


@pytest.mark.parametrize("verb", ["deploy", "plan"])
def test_without_credentials_it_stops_before_the_build(workspace, verb):
    tf_dir, mark, env = workspace
    (tf_dir / "backend.hcl").write_text('bucket = "b"\n')
    result = make(verb, tf_dir, env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "No AWS credentials" in result.stderr
    assert not mark.exists(), "the release build started before the credentials were checked"
