#!/usr/bin/env python3
"""The failover switch: `make failover|recover REGION=… [ENV=…]`.

Sets STATUS (fail or ok) in one region's health function through the Lambda
API and changes nothing else: no build, no deploy, no Terraform apply. With
STATUS=fail the function's /health answers 503 and Route53 drains the region.

    terraform output -json | health_switch.py --region eu-west-3 --status fail [--env prod]

The function name comes from the deployment's `terraform output -json`
(`function_names`, read on stdin), so it is always the one Terraform
deployed for that environment. Terraform created STATUS=ok and ignores it
afterwards (lifecycle ignore_changes in terraform/modules/region/main.tf), so
an apply never flips a failed region back.

AWS rules this relies on (Lambda API reference, UpdateFunctionConfiguration
and "Lambda function states",
https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html,
https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html):
- `Environment` is one value: the call replaces the whole variable map, so
  the switch sends every variable it read, with STATUS changed;
- `RevisionId`: "Update the function only if the revision ID matches";
  otherwise PreconditionFailedException (412). The switch then reads again
  and retries, so a concurrent change is never overwritten;
- while `LastUpdateStatus` is InProgress the function is invoked with its
  previous configuration and another update is refused
  (ResourceConflictException); the update is live when it is Successful,
  and Failed carries LastUpdateStatusReason.

Permissions: lambda:GetFunctionConfiguration and
lambda:UpdateFunctionConfiguration on the health function; kms:Decrypt on its
customer managed key, without which Lambda returns no variables (refused
here, see readable_variables), and kms:Encrypt, kms:CreateGrant, which Lambda
lists for using a customer managed key on a function; plus read access to the
Terraform state for `terraform output`. Credentials and the endpoint
come from the usual AWS variables (AWS_ENDPOINT_URL_LAMBDA in the tests).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

HEALTH_FUNCTION = "health-check"
STATUSES = ("ok", "fail")
# Read-modify-write rounds lost to a concurrent change before giving up.
MAX_CONFLICTS = 5


class SwitchError(Exception):
    """The switch did not change STATUS; the message says why and what to do."""


def health_function(outputs: dict, region: str, env: str | None) -> str:
    """The health function's name in REGION, from `terraform output -json`."""
    deployment = f"ENV={env}" if env else "the default deployment (no ENV)"
    names = (outputs.get("function_names") or {}).get("value")
    if not names:
        raise SwitchError(
            f"no deployment found for {deployment}: its Terraform state has no function_names output. "
            f"Deploy it first (make deploy{f' ENV={env}' if env else ''}), or check that "
            "terraform/backend.hcl names the state bucket it was deployed with")
    if region not in names:
        raise SwitchError(f"{deployment} has no region {region}; its regions: {', '.join(sorted(names))}")
    return names[region][HEALTH_FUNCTION]


def wait_until_live(client, function: str, timeout: float, poll: float) -> dict:
    """Polls until the last update is Successful; returns that configuration."""
    deadline = time.monotonic() + timeout
    while True:
        config = client.get_function_configuration(FunctionName=function)
        status = config.get("LastUpdateStatus", "Successful")
        if status == "Successful":
            return config
        if status == "Failed":
            raise SwitchError(f"{function}: the update failed: {config.get('LastUpdateStatusReasonCode')} "
                              f"{config.get('LastUpdateStatusReason')}")
        if time.monotonic() >= deadline:
            raise SwitchError(f"{function}: LastUpdateStatus still {status} after {timeout:g} s")
        time.sleep(poll)


def readable_variables(config: dict, function: str) -> dict:
    """The function's variables. With a customer managed key, a caller without
    kms:Decrypt on it gets `Environment.Error` and no variables ("only users
    with access to the KMS key can view or manage environment variables",
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html):
    writing back what was not read would erase every other variable."""
    environment = config.get("Environment") or {}
    error = environment.get("Error")
    if error:
        raise SwitchError(f"{function}: its environment cannot be read ({error.get('ErrorCode')}: "
                          f"{error.get('Message')}); the switch needs kms:Decrypt on the function's key "
                          f"{config.get('KMSKeyArn') or ''}".rstrip())
    return dict(environment.get("Variables") or {})


def set_status(client, function: str, status: str, timeout: float = 300.0, poll: float = 1.0) -> dict:
    """STATUS=status on `function`, every other variable as it was; returns
    the live configuration."""
    for _ in range(MAX_CONFLICTS):
        # An update in progress refuses another one: start from a settled state.
        config = wait_until_live(client, function, timeout, poll)
        variables = readable_variables(config, function)
        if variables.get("STATUS") == status:
            return config
        variables["STATUS"] = status
        # Lambda always returns RevisionId; moto omits it (and checks none).
        revision = {"RevisionId": config["RevisionId"]} if config.get("RevisionId") else {}
        try:
            client.update_function_configuration(
                FunctionName=function, Environment={"Variables": variables}, **revision)
        except (client.exceptions.PreconditionFailedException, client.exceptions.ResourceConflictException):
            continue  # changed or changing meanwhile: read it again
        config = wait_until_live(client, function, timeout, poll)
        live = (config.get("Environment") or {}).get("Variables") or {}
        if live.get("STATUS") != status:
            continue  # another writer came in between our update and our read
        return config
    raise SwitchError(f"{function}: changed concurrently {MAX_CONFLICTS} times in a row; STATUS not set")


def parse_args(argv: list) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="health_switch.py",
        description="Set STATUS of one region's health function (the failover switch). "
                    "Reads `terraform output -json` of the deployment on stdin.")
    parser.add_argument("--region", required=True, help="the region whose health function to switch")
    parser.add_argument("--status", required=True, choices=STATUSES, help="fail drains the region, ok restores it")
    parser.add_argument("--env", help="the environment, for messages (the outputs already belong to it)")
    parser.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                        help="wait at most this long for the update to be live (300)")
    return parser.parse_args(argv)


def main(argv: list) -> int:
    args = parse_args(argv)
    try:
        try:
            outputs = json.load(sys.stdin)
        except ValueError as err:
            raise SwitchError(f"terraform output -json gave no JSON on stdin ({err})") from err
        function = health_function(outputs or {}, args.region, args.env)
        import boto3  # only now: the checks above need no AWS SDK
        from botocore.exceptions import BotoCoreError, ClientError

        client = boto3.client("lambda", region_name=args.region)
        try:
            started = time.monotonic()
            config = set_status(client, function, args.status, args.timeout)
        except (ClientError, BotoCoreError) as err:
            raise SwitchError(
                f"{function} in {args.region}: {err}. The switch needs lambda:GetFunctionConfiguration "
                "and lambda:UpdateFunctionConfiguration on this function, and kms:Decrypt, kms:Encrypt "
                "and kms:CreateGrant on its key") from err
    except SwitchError as err:
        print(f"health switch: {err}", file=sys.stderr)
        return 2
    print(f"{args.region}: {function} STATUS={args.status}, live (revision {config.get('RevisionId')}, "
          f"{time.monotonic() - started:.1f} s); no other setting changed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
