#!/usr/bin/env python3
"""First step of every deploy workflow job that needs AWS: stops the job at
once when a GitHub variable it reads is missing or malformed, naming each one
and where it belongs.

Without it, an empty variable fails later and names nothing: GitHub evaluates
`fromJSON(vars.PERMISSIONS_BOUNDARY_ARNS)` with an empty string ("Error
reading JToken from JsonReader"), configure-aws-credentials gets an empty role
or region, and `terraform init` an empty bucket.

usage: check-github-settings.py [--environment ENV] [--boundaries-for ENV...]
                                [--repository-must-not-set NAME...] NAME...

Each NAME is read from the process environment variable of the same name (the
workflow step maps `vars.NAME` to it). AWS_ROLE_ARN belongs to a GitHub
environment (--environment); every other NAME is a repository variable.
PERMISSIONS_BOUNDARY_ARNS must be a JSON object with a boundary ARN for each
--boundaries-for environment, parsed as the workflows' fromJSON parses it.
--repository-must-not-set names variables that must be empty in a job
without an environment: a repository-level AWS_ROLE_ARN would shadow a
missing environment variable and hand one role to every environment.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

ENVIRONMENT_VARIABLES = {"AWS_ROLE_ARN"}

REGION = r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]"
FORMATS = {
    "AWS_PLAN_ROLE_ARN": (r"arn:aws[a-z-]*:iam::[0-9]{12}:role/.+", "an IAM role ARN (delivery/ output plan_role_arn)"),
    "AWS_ROLE_ARN": (r"arn:aws[a-z-]*:iam::[0-9]{12}:role/.+", "an IAM role ARN (delivery/ output deploy_role_arns)"),
    "TF_STATE_BUCKET": (r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "an S3 bucket name (remote-state/ output bucket)"),
    "TF_STATE_REGION": (REGION, "an AWS region such as eu-central-1 (remote-state/ output region)"),
    "TF_STATE_KMS_KEY_ARN": (r"arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-f0-9-]{36}",
                             "a KMS key ARN (remote-state/ output kms_key_arn)"),
}
BOUNDARY = r"arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+"


def where(name: str, environment: str | None) -> str:
    if name in ENVIRONMENT_VARIABLES:
        return f"variable of the GitHub environment '{environment}'"
    return "repository variable"


def settings_page(name: str, environment: str | None) -> str:
    if name in ENVIRONMENT_VARIABLES:
        return f"Settings → Environments → {environment} → Environment variables"
    return "Settings → Secrets and variables → Actions → Variables"


def boundary_problems(value: str, environments: list[str]) -> list[str]:
    try:
        arns = json.loads(value)
    except json.JSONDecodeError as e:
        return [f"is not JSON ({e.msg} at character {e.pos}); paste it exactly as "
                "`terraform -chdir=delivery output -raw github_variables_commands` prints it"]
    if not isinstance(arns, dict):
        return ["must be a JSON object {\"<environment>\": \"<boundary policy ARN>\", …}"]
    return [f"has no valid boundary ARN for environment '{e}' (delivery/ output permissions_boundary_arns)"
            for e in environments if not re.fullmatch(BOUNDARY, str(arns.get(e, "")))]


def problems(names: list[str], environment: str | None, boundaries_for: list[str],
             must_not_set: list[str], env: dict[str, str]) -> list[str]:
    found = []
    for name in names:
        value = env.get(name, "").strip()
        place = where(name, environment)
        if not value:
            found.append(f"{name} is not set: add it as a {place} ({settings_page(name, environment)}; "
                         "terraform -chdir=delivery output -raw github_variables_commands prints the gh line).")
        elif name == "PERMISSIONS_BOUNDARY_ARNS":
            found += [f"{name} {p}." for p in boundary_problems(value, boundaries_for)]
        elif name in FORMATS and not re.fullmatch(FORMATS[name][0], value):
            found.append(f"{name} ({place}) must be {FORMATS[name][1]}, not '{value}'.")
    for name in must_not_set:
        if env.get(name, "").strip():
            found.append(f"{name} is set as a repository or organisation variable: delete it there and set it in "
                         "each GitHub environment (dev, prod), each to its own role, or every environment "
                         "would get the same role.")
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--environment")
    parser.add_argument("--boundaries-for", nargs="*", default=[])
    parser.add_argument("--repository-must-not-set", nargs="*", default=[])
    parser.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    found = problems(args.names, args.environment, args.boundaries_for, args.repository_must_not_set,
                     dict(os.environ))
    for p in found:
        # A workflow command: GitHub shows it as an annotation on the run's page.
        print(f"::error title=GitHub settings::{p}")
    if found:
        print(f"{len(found)} setting(s) missing or wrong; see 'From clone to production' in the README.",
              file=sys.stderr)
        return 1
    print("GitHub settings: " + ", ".join(args.names + [f"no repository-level {n}" for n in args.repository_must_not_set]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
