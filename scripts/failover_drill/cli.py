"""The command line: `python3 scripts/drill.py --help`."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable

from . import REPO, DrillError
from .drill import Drill
from .replication import PAGE_LIMIT
from .report import markdown, write_report
from .targets import check_allowed, discover


def positive(kind: type) -> Callable[[str], float]:
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, not {text}")
        return value
    return parse


def parse_args(argv: list) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="drill.py",
        description="Fail a region of an epochstore deployment under steady traffic and measure "
                    "RTO, failed requests, recovery time and RPO from the client side.",
        epilog="The last line on stdout is: RTO <s> s, recovery <s> s, failed requests <n> of "
               "<total>, RPO <n> records (<s> s to replicate), lost <n>")
    parser.add_argument("--url", help="base URL: the local front door or the global domain (with "
                                      "--terraform-outputs: the deployment's global_url by default)")
    parser.add_argument("--region", required=True, help="the region to fail, e.g. eu-west-3")
    parser.add_argument("--env", help="the deployment's environment (terraform/envs/ENV.tfvars): "
                                      "URL is a deployment, failed with make failover/recover ENV=...; "
                                      "allows a non-loopback URL")
    parser.add_argument("--terraform-outputs", metavar="FILE",
                        help="the deployment's `terraform output -json` (make drill ENV=… passes make "
                             "outputs): its global URL and regional URLs; a deployment without a global "
                             "URL (no Route53 health checks) is refused")
    parser.add_argument("--i-mean-it", action="store_true",
                        help="allow a non-loopback URL without --env")
    parser.add_argument("--region-url", action="append", default=[], metavar="REGION=URL",
                        help="a region's own URL, to read the survivors directly (deployments; "
                             "the local emulation lists its regions itself)")
    parser.add_argument("--fail-command", help="shell command that fails the region ({region} and "
                                               "{env} are substituted); default: the control "
                                               "endpoint locally, make failover otherwise")
    parser.add_argument("--recover-command", help="the same for recovery; default: the control "
                                                  "endpoint locally, make recover otherwise")
    parser.add_argument("--detection-window", type=positive(float), metavar="SECONDS",
                        help="no response from the region for this long means it is drained; default: "
                             "probe interval x failure threshold locally, 30 s otherwise")
    parser.add_argument("--rate", type=positive(float), default=10.0, help="requests per second at most (10)")
    parser.add_argument("--concurrency", type=positive(int), default=4, help="requests in flight at most (4)")
    parser.add_argument("--max-requests", type=positive(int), default=6000, help="requests in all (6000)")
    parser.add_argument("--max-duration", type=positive(float), default=600.0, metavar="SECONDS",
                        help="give up (and recover) after this long (600)")
    parser.add_argument("--warmup", type=float, default=3.0, metavar="SECONDS",
                        help="traffic before the failure (3)")
    parser.add_argument("--lost-after", type=positive(float), default=60.0, metavar="SECONDS",
                        help="a record not listed by every survivor this long after the end is lost (60)")
    parser.add_argument("--poll-interval", type=positive(float), default=0.1, metavar="SECONDS",
                        help="between two reads of the survivors (0.1)")
    parser.add_argument("--max-pages", type=positive(int), default=20,
                        help=f"pages of {PAGE_LIMIT} records read per survivor and poll (20)")
    parser.add_argument("--token", default=os.environ.get("DRILL_TOKEN"),
                        help="JWT for POST when writes need one (jwt_issuer set); default: $DRILL_TOKEN")
    parser.add_argument("--timeout", type=positive(float), default=5.0, metavar="SECONDS",
                        help="per request (5)")
    parser.add_argument("--out-dir", default=os.path.join(REPO, "target", "drill"),
                        help="where drill-report.json and drill-report.md go (target/drill)")
    return parser.parse_args(argv)


def main(argv: list) -> int:
    args = parse_args(argv)
    try:
        if args.url:
            check_allowed(args.url, args.env, args.i_mean_it)
        target = discover(args)
        print(f"drill: {target.mode} target {target.url}, failing {target.region}; survivors "
              f"{', '.join(target.survivors)}; detection window {target.detection_window_s:g} s",
              file=sys.stderr, flush=True)
        report = Drill(target, args).run()
    except DrillError as err:
        print(f"drill: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("drill: interrupted", file=sys.stderr)
        return 130
    json_path, md_path = write_report(report, args.out_dir)
    print(markdown(report))
    print(f"reports: {json_path}, {md_path}")
    print(report["summary"])
    return 0
