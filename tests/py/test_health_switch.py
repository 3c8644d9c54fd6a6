"""The failover switch (scripts/health_switch.py, `make failover|recover`)
against moto's Lambda API: it flips STATUS in one region's health function
and nothing else, and refuses an unknown region or environment.

moto does not check RevisionId nor model LastUpdateStatus InProgress (its
updates are Successful at once), so those two Lambda rules are checked with
botocore's Stubber, which answers with the documented errors and states.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
import zipfile

import boto3
import pytest
from botocore.stub import Stubber

import policy_scenarios
from conftest import REPO
from policy_documents import as_list, statements
from terraform_plans import planned, require_offline_terraform, resources

sys.path.insert(0, os.path.join(REPO, "scripts"))
import health_switch  # noqa: E402

SWITCH = os.path.join(REPO, "scripts", "health_switch.py")
REGIONS = ("eu-central-1", "eu-west-3")
FUNCTIONS = ("store-epoch-time", "get-epoch-store", "health-check")
ENVIRONMENT = {"TABLE_NAME": "epochstore-dev", "WRITE_SHARDS": "4", "RETENTION_DAYS": "30",
               "CONSISTENT_READS": "false"}


def zipped_bootstrap() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n")
    return buffer.getvalue()


@pytest.fixture
def deployment(moto):
    """Three functions in each of two regions, named as Terraform names them
    for an environment; returns `terraform output -json` as the switch reads it."""
    prefix = f"epochstore-{uuid.uuid4().hex[:6]}"
    # moto checks that the function's role exists in its IAM.
    role = moto.client("iam", "us-east-1").create_role(
        RoleName=f"{prefix}-lambda", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "lambda.amazonaws.com"}}]}),
    )["Role"]["Arn"]
    names = {r: {f: f"{prefix}-{f}" for f in FUNCTIONS} for r in REGIONS}
    for region in REGIONS:
        lam = moto.client("lambda", region)
        for f, name in names[region].items():
            variables = dict(ENVIRONMENT, **({"STATUS": "ok"} if f == "health-check" else {}))
            lam.create_function(FunctionName=name, Runtime="provided.al2023", Role=role, Handler="bootstrap",
                                Code={"ZipFile": zipped_bootstrap()}, Environment={"Variables": variables})
    return {"function_names": {"value": names}, "regional_urls": {"value": {}}}


def switch(moto, outputs, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, AWS_ENDPOINT_URL_LAMBDA=moto.endpoint, AWS_ACCESS_KEY_ID="test",
               AWS_SECRET_ACCESS_KEY="test")
    env.pop("AWS_PROFILE", None)
    return subprocess.run([sys.executable, SWITCH, *args], input=json.dumps(outputs), env=env,
                          capture_output=True, text=True, timeout=60)


def variables(moto, region: str, name: str) -> dict:
    config = moto.client("lambda", region).get_function_configuration(FunctionName=name)
    return config["Environment"]["Variables"]


def all_variables(moto, outputs) -> dict:
    return {(r, f): variables(moto, r, name)
            for r, fns in outputs["function_names"]["value"].items() for f, name in fns.items()}


def test_failover_flips_status_of_that_health_function_only_and_recover_flips_it_back(moto, deployment):
    before = all_variables(moto, deployment)
    result = switch(moto, deployment, "--region", "eu-west-3", "--status", "fail", "--env", "dev")
    assert result.returncode == 0, result.stderr
    assert "eu-west-3: " in result.stdout and "STATUS=fail, live" in result.stdout

    after = all_variables(moto, deployment)
    # The other variables survive: UpdateFunctionConfiguration replaces the whole map.
    assert after[("eu-west-3", "health-check")] == dict(ENVIRONMENT, STATUS="fail")
    # Other regions and other functions are untouched.
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {("eu-west-3", "health-check")}

    result = switch(moto, deployment, "--region", "eu-west-3", "--status", "ok", "--env", "dev")
    assert result.returncode == 0, result.stderr
    assert all_variables(moto, deployment) == before


def test_the_operator_policy_grants_exactly_the_calls_the_switch_makes(moto, deployment):
    """delivery/'s operator policy (aws_iam_policy.operator, from its offline plan) against the Lambda
    operations a failover and a recover really call (IAM action = lambda:<Operation>)."""
    require_offline_terraform()  # delivery/'s plan needs it; the rest of this module does not
    lam = moto.client("lambda", "eu-west-3")
    called = set()
    lam.meta.events.register("before-call.lambda.*", lambda model, **_: called.add(f"lambda:{model.name}"))
    name = deployment["function_names"]["value"]["eu-west-3"]["health-check"]
    health_switch.set_status(lam, name, "fail", poll=0)
    health_switch.set_status(lam, name, "ok", poll=0)

    operator = [r for r in resources(planned("delivery", policy_scenarios.DELIVERY))
                if r["type"] == "aws_iam_policy" and r["address"] == 'aws_iam_policy.operator["prod"]']
    assert len(operator) == 1, "delivery/ plans prod's operator policy"
    lambda_statements = [st for st in statements(operator[0]["values"]["policy"])
                         if any(a.startswith("lambda:") for a in as_list(st["Action"]))]
    assert [set(as_list(st["Action"])) for st in lambda_statements] == [called]
    assert lambda_statements[0]["Resource"].endswith(":function:epochstore-prod-health-check"), \
        "one function, named as Terraform names prod's health function"


def test_an_unknown_region_is_refused_with_the_deployed_regions(moto, deployment):
    before = all_variables(moto, deployment)
    result = switch(moto, deployment, "--region", "us-east-2", "--status", "fail", "--env", "dev")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "health switch: ENV=dev has no region us-east-2; its regions: eu-central-1, eu-west-3")
    assert all_variables(moto, deployment) == before


@pytest.mark.parametrize("outputs", [{}, {"regional_urls": {"value": {}}}])
def test_an_environment_without_a_deployment_is_refused(moto, outputs):
    # `terraform output -json` of an environment with no state prints {}.
    result = switch(moto, outputs, "--region", "eu-west-3", "--status", "fail", "--env", "staging")
    assert result.returncode == 2
    assert "no deployment found for ENV=staging" in result.stderr
    assert "make deploy ENV=staging" in result.stderr and "backend.hcl" in result.stderr


def test_a_missing_function_names_the_permissions(moto, deployment):
    deployment["function_names"]["value"]["eu-west-3"]["health-check"] = "epochstore-gone"
    result = switch(moto, deployment, "--region", "eu-west-3", "--status", "fail")
    assert result.returncode == 2
    assert "health switch: epochstore-gone in eu-west-3:" in result.stderr
    assert "lambda:GetFunctionConfiguration and lambda:UpdateFunctionConfiguration" in result.stderr
    assert "kms:Decrypt, kms:Encrypt and kms:CreateGrant on its key" in result.stderr


def configuration(revision: str, status: str, update: str = "Successful") -> dict:
    return {"FunctionName": "fn", "RevisionId": revision, "LastUpdateStatus": update,
            "Environment": {"Variables": dict(ENVIRONMENT, STATUS=status)}}


def stubbed():
    lam = boto3.client("lambda", region_name="eu-west-3", aws_access_key_id="test",
                       aws_secret_access_key="test")
    return lam, Stubber(lam)


def test_a_concurrent_change_is_read_again_not_overwritten():
    lam, stub = stubbed()
    # Someone changed the function between our read (r1) and our update.
    stub.add_response("get_function_configuration", configuration("r1", "ok"))
    stub.add_client_error("update_function_configuration", "PreconditionFailedException", http_status_code=412,
                          expected_params={"FunctionName": "fn", "RevisionId": "r1",
                                           "Environment": {"Variables": dict(ENVIRONMENT, STATUS="fail")}})
    changed = configuration("r2", "ok")
    changed["Environment"]["Variables"]["WRITE_SHARDS"] = "8"
    stub.add_response("get_function_configuration", changed)
    # The retry carries their change and the new revision.
    stub.add_response("update_function_configuration", configuration("r3", "fail", "InProgress"),
                      expected_params={"FunctionName": "fn", "RevisionId": "r2",
                                       "Environment": {"Variables": dict(ENVIRONMENT, WRITE_SHARDS="8",
                                                                         STATUS="fail")}})
    stub.add_response("get_function_configuration", configuration("r3", "fail"))
    with stub:
        assert health_switch.set_status(lam, "fn", "fail", timeout=5, poll=0)["RevisionId"] == "r3"
        stub.assert_no_pending_responses()


def test_the_switch_waits_until_the_update_is_live_and_reports_a_failed_one():
    lam, stub = stubbed()
    stub.add_response("get_function_configuration", configuration("r1", "ok"))
    stub.add_response("update_function_configuration", configuration("r2", "fail", "InProgress"))
    stub.add_response("get_function_configuration", configuration("r2", "fail", "InProgress"))
    stub.add_response("get_function_configuration", configuration("r2", "fail", "InProgress"))
    stub.add_response("get_function_configuration", configuration("r2", "fail"))
    with stub:
        health_switch.set_status(lam, "fn", "fail", timeout=5, poll=0)
        stub.assert_no_pending_responses()

    lam, stub = stubbed()
    failed = dict(configuration("r2", "fail", "Failed"), LastUpdateStatusReason="KMS key disabled",
                  LastUpdateStatusReasonCode="KMSKeyAccessDenied")
    stub.add_response("get_function_configuration", configuration("r1", "ok"))
    stub.add_response("update_function_configuration", configuration("r2", "fail", "InProgress"))
    stub.add_response("get_function_configuration", failed)
    with stub, pytest.raises(health_switch.SwitchError, match="update failed: KMSKeyAccessDenied KMS key disabled"):
        health_switch.set_status(lam, "fn", "fail", timeout=5, poll=0)


def test_an_environment_it_cannot_decrypt_is_never_written_back():
    """Without kms:Decrypt on a customer managed key Lambda answers with
    Environment.Error and no variables: an update would erase them all."""
    lam, stub = stubbed()
    stub.add_response("get_function_configuration", {
        "FunctionName": "fn", "RevisionId": "r1", "LastUpdateStatus": "Successful",
        "KMSKeyArn": "arn:aws:kms:eu-west-3:123456789012:key/k",
        "Environment": {"Error": {"ErrorCode": "AccessDeniedException", "Message": "Lambda was unable to decrypt"}}})
    with stub, pytest.raises(health_switch.SwitchError, match=r"cannot be read \(AccessDeniedException: .*kms:Decrypt "
                                                               r"on the function's key arn:aws:kms:eu-west-3"):
        health_switch.set_status(lam, "fn", "fail", timeout=5, poll=0)
    stub.assert_no_pending_responses()  # no update was sent


def test_an_update_already_in_progress_is_waited_for_first():
    lam, stub = stubbed()
    stub.add_response("get_function_configuration", configuration("r1", "ok", "InProgress"))
    stub.add_response("get_function_configuration", configuration("r2", "ok"))
    stub.add_response("update_function_configuration", configuration("r3", "fail", "InProgress"),
                      expected_params={"FunctionName": "fn", "RevisionId": "r2",
                                       "Environment": {"Variables": dict(ENVIRONMENT, STATUS="fail")}})
    stub.add_response("get_function_configuration", configuration("r3", "fail"))
    with stub:
        health_switch.set_status(lam, "fn", "fail", timeout=5, poll=0)
        stub.assert_no_pending_responses()
