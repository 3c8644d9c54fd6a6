"""What the drill runs against: the local emulation (read from
`GET /_local/regions`) or a deployment (its Terraform outputs, or
--region-url), and how it fails and recovers the region."""

from __future__ import annotations

import argparse
import ipaddress
import json
import shlex
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass
from typing import Callable, Optional

from . import REPO, DrillError
from .httpclient import request

# Route53: a check every 10 s, 3 failures to turn unhealthy.
ROUTE53_DETECTION_WINDOW_S = 30.0
# Fails or recovers REGION.
Step = Callable[[], None]


@dataclass
class Target:
    """Where the drill sends traffic, how it fails and recovers REGION, and
    where it reads the surviving regions from."""

    mode: str  # "local" or "deployment"
    url: str
    region: str
    survivors: dict  # region -> base URL, queried directly
    detection_window_s: float
    fail: Step
    recover: Step
    local_state: Optional[dict] = None


def is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_allowed(url: str, env: Optional[str], i_mean_it: bool) -> None:
    """A drill fails a region of whatever URL points at: only loopback unless asked."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise DrillError(f"--url must be an http(s) URL, not {url!r}")
    if not (is_loopback(url) or env or i_mean_it):
        raise DrillError(
            f"refusing to fail a region of {url}: it is not a loopback address. A drill moves real "
            "traffic away from a region; name the deployment with ENV=<env> (make drill) / --env, "
            "or pass --i-mean-it")


def shell_step(command: str, what: str) -> Step:
    def run() -> None:
        print(f"drill: {what}: {command}", file=sys.stderr, flush=True)
        result = subprocess.run(command, shell=True, cwd=REPO)
        if result.returncode != 0:
            raise DrillError(f"{what} command exited with {result.returncode}: {command}")
    return run


def control_step(url: str, region: str, status: str, timeout: float) -> Step:
    def run() -> None:
        reply = request("POST", f"{url}/_local/regions/{region}/status", body=status.encode(), timeout=timeout)
        if reply.status != 204:
            raise DrillError(f"the control endpoint refused STATUS={status} for {region}: "
                             f"{reply.status or reply.error} {reply.json_object()}")
    return run


def local_state(url: str, timeout: float) -> Optional[dict]:
    """`GET /_local/regions` when URL is the local emulation, else None."""
    reply = request("GET", f"{url}/_local/regions", timeout=timeout)
    state = reply.json_object()
    if reply.status == 200 and isinstance(state.get("regions"), list):
        return state
    return None


def parse_region_urls(pairs: list) -> dict:
    urls = {}
    for pair in pairs:
        name, sep, url = pair.partition("=")
        if not sep or not name or not url.startswith(("http://", "https://")):
            raise DrillError(f"--region-url takes REGION=URL, not {pair!r}")
        urls[name] = url.rstrip("/")
    return urls


def command_step(template: Optional[str], args: argparse.Namespace, what: str) -> Optional[Step]:
    """A shell command with `{region}` and `{env}` filled in (quoted); None without one."""
    if not template:
        return None
    command = template.replace("{region}", shlex.quote(args.region)).replace(
        "{env}", shlex.quote(args.env or ""))
    return shell_step(command, what)


def local_target(args: argparse.Namespace, url: str, state: dict) -> Target:
    """The local emulation: everything comes from `GET /_local/regions`."""
    names = [r["name"] for r in state["regions"]]
    if args.region not in names:
        raise DrillError(f"{url} emulates {', '.join(names)}, not {args.region}")
    fail = (command_step(args.fail_command, args, "fail")
            or control_step(url, args.region, "fail", args.timeout))
    recover = (command_step(args.recover_command, args, "recover")
               or control_step(url, args.region, "ok", args.timeout))
    return Target(
        mode="local", url=url, region=args.region,
        survivors={r["name"]: r["url"] for r in state["regions"] if r["name"] != args.region},
        detection_window_s=args.detection_window
        or state["probeIntervalMs"] * state["failureThreshold"] / 1000,
        fail=fail, recover=recover, local_state=state)


def deployment_outputs(path: str, env: Optional[str]) -> dict:
    """What the drill needs from the deployment's `terraform output -json`
    (make outputs ENV=…): its regional URLs and its global URL. A deployment
    without a global URL has no Route53 health checks: failing a region's
    /health would move no traffic, so the drill refuses it before any."""
    deployment = f"ENV={env}" if env else "the deployment"
    try:
        with open(path, encoding="utf-8") as f:
            outputs = json.load(f)
    except (OSError, ValueError) as err:
        raise DrillError(f"cannot read the Terraform outputs of {deployment} ({path}): {err}") from err
    regional = ((outputs or {}).get("regional_urls") or {}).get("value") or {}
    if not regional:
        raise DrillError(f"{deployment} has no regional_urls in its Terraform outputs: deploy it first")
    global_url = (outputs.get("global_url") or {}).get("value")
    if not global_url:
        raise DrillError(
            f"{deployment} has no health-checked DNS to drain: without domain_name there are no Route53 "
            "health checks, so failing a region's /health moves no traffic. Needed: a Route53 hosted zone "
            "for the environment, its id in delivery/'s hosted_zone_ids (so the deploy role may manage its "
            f"records and certificates), and domain_name in terraform/envs/{env or '<env>'}.tfvars; deploy, "
            "then drill")
    return {"global_url": global_url.rstrip("/"), "regional_urls": regional}


def deployment_target(args: argparse.Namespace, url: Optional[str]) -> Target:
    """A deployment: make failover/recover (the Lambda switch); the URL and the
    survivors from its Terraform outputs and --region-url."""
    region_urls = {}
    if args.terraform_outputs:
        outputs = deployment_outputs(args.terraform_outputs, args.env)
        if args.region not in outputs["regional_urls"]:
            raise DrillError(f"ENV={args.env} has no region {args.region}; its regions: "
                             f"{', '.join(sorted(outputs['regional_urls']))}")
        url = url or outputs["global_url"]
        region_urls = {name: u.rstrip("/") for name, u in outputs["regional_urls"].items()}
    if not url:
        raise DrillError("--url is required (make drill ENV=… takes the global URL from the Terraform outputs)")
    region_urls.update(parse_region_urls(args.region_url))
    survivors = {name: u for name, u in region_urls.items() if name != args.region}
    if not survivors:
        raise DrillError("RPO is read from the surviving regions directly: give each one with "
                         "--region-url REGION=URL (make drill ENV=... fills them from "
                         "terraform output regional_urls)")
    env = " ENV={env}" if args.env else ""
    fail = command_step(args.fail_command or "make failover REGION={region}" + env, args, "fail")
    recover = command_step(args.recover_command or "make recover REGION={region}" + env, args, "recover")
    return Target(mode="deployment", url=url, region=args.region, survivors=survivors,
                  detection_window_s=args.detection_window or ROUTE53_DETECTION_WINDOW_S,
                  fail=fail, recover=recover)


def discover(args: argparse.Namespace) -> Target:
    """With --env a deployment; else the local emulation when URL is one."""
    url = args.url.rstrip("/") if args.url else None
    state = None if args.env or not url else local_state(url, args.timeout)
    return local_target(args, url, state) if state else deployment_target(args, url)
