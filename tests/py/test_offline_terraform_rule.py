"""The rule for suites that plan or apply without mocks (README, Tests): where
../shared/tf-offline is absent (GitHub's ci.yml), they are skipped with one
line naming why; one that is there but broken is an error, not a skip; beside
it (this project's CI), any skip fails the run.

The "absent" case runs from a copy of the scripts in a temporary directory,
which has no ../shared beside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from terraform_plans import OFFLINE_TERRAFORM_ABSENT, REPO, SHARED_TF_OFFLINE

TESTS = os.path.dirname(__file__)


def checkout_without_shared(tmp_path) -> str:
    repo = tmp_path / "checkout"
    (repo / "scripts").mkdir(parents=True)
    for script in ("terraform-offline.sh", "deploy-drill.sh"):
        shutil.copy2(os.path.join(REPO, "scripts", script), repo / "scripts" / script)
    return str(repo)


def test_the_offline_terraform_script_says_it_is_absent(tmp_path):
    repo = checkout_without_shared(tmp_path)
    done = subprocess.run([os.path.join(repo, "scripts", "terraform-offline.sh")], capture_output=True, text=True, timeout=60)
    assert done.returncode == OFFLINE_TERRAFORM_ABSENT
    assert done.stdout == ""
    assert done.stderr.startswith(f"no offline Terraform: {tmp_path}/shared/tf-offline is absent")


def test_the_deploy_drill_is_skipped_without_it(tmp_path):
    repo = checkout_without_shared(tmp_path)
    done = subprocess.run([os.path.join(repo, "scripts", "deploy-drill.sh")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [f"SKIP offline deploy drill: no offline Terraform: {tmp_path}/shared/tf-offline is absent"
                                        " (this project's CI puts it beside the checkout); offline plans and applies need its"
                                        " stand-in AWS provider"]


def test_a_skip_fails_the_run_exactly_when_the_offline_terraform_is_there(tmp_path):
    (tmp_path / "test_skips.py").write_text('import pytest\n\ndef test_skipped():\n    pytest.skip("for the guard")\n')
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "conftest", str(tmp_path / "test_skips.py")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONPATH=TESTS))
    if os.path.isdir(SHARED_TF_OFFLINE):
        assert done.returncode == 1, done.stdout
        assert f"FAIL skipped although {SHARED_TF_OFFLINE} exists: " in done.stdout
    else:
        assert done.returncode == 0, done.stdout
        assert "1 skipped" in done.stdout


def test_an_offline_terraform_that_is_there_but_broken_fails_instead_of_skipping(tmp_path):
    repo = checkout_without_shared(tmp_path)
    (tmp_path / "shared" / "tf-offline").mkdir(parents=True)
    script = subprocess.run([os.path.join(repo, "scripts", "terraform-offline.sh")], capture_output=True, text=True, timeout=60)
    assert script.returncode == 1
    drill = subprocess.run([os.path.join(repo, "scripts", "deploy-drill.sh")], capture_output=True, text=True, timeout=60)
    assert drill.returncode == 1
    assert drill.stdout.startswith("FAIL scripts/terraform-offline.sh:"), drill.stdout
