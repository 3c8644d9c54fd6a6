"""The drill's figures: the JSON report and its Markdown summary."""

from __future__ import annotations

import argparse
import json
import os
from typing import Optional

from .replication import ReplicationWatch
from .targets import Target
from .traffic import Clock, Timeline, acknowledged_by


def seconds(value: Optional[float]) -> Optional[float]:
    """To the millisecond."""
    return None if value is None else round(value, 3)


def camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def build_report(target: Target, args: argparse.Namespace, clock: Clock, timeline: Timeline,
                 observations: list, watch: ReplicationWatch, rpo_ids: set, lost: set) -> dict:
    region = target.region
    failures = [o for o in observations if not o.ok]
    by_region: dict = {}
    for o in observations:
        if o.region and o.status is not None:
            by_region[o.region] = by_region.get(o.region, 0) + 1
    sent_at = {o.record_id: o for o in observations if o.record_id}
    replicated = [watch.listed_at[i] for i in rpo_ids if i in watch.listed_at]
    # Rounded once, so that the summary line and the JSON agree.
    replicate_s = seconds(max(replicated) - timeline.failed if replicated else 0.0)
    rto_s = seconds(timeline.last_served_by_region - timeline.failed)
    recovery_s = seconds(timeline.first_served_again - timeline.recovered)
    summary = (f"RTO {rto_s:.2f} s, recovery {recovery_s:.2f} s, failed requests {len(failures)} of "
               f"{len(observations)}, RPO {len(rpo_ids)} records ({replicate_s:.2f} s to replicate), "
               f"lost {len(lost)}")
    local = target.local_state or {}
    return {
        "summary": summary,
        "target": target.url,
        "mode": target.mode,
        "env": args.env,
        "region": region,
        "survivors": target.survivors,
        "startedAt": clock.started_at.isoformat(timespec="seconds"),
        "store": local.get("store"),
        "consistency": local.get("consistency"),
        "settings": {
            "ratePerSecond": args.rate, "concurrency": args.concurrency,
            "maxRequests": args.max_requests, "maxDurationSeconds": args.max_duration,
            "warmupSeconds": args.warmup, "detectionWindowSeconds": target.detection_window_s,
            "lostAfterSeconds": args.lost_after, "requestTimeoutSeconds": args.timeout,
        },
        "timeline": {camel(name): seconds(value) for name, value in vars(timeline).items()},
        "rtoSeconds": rto_s,
        "recoverySeconds": recovery_s,
        "failCommandSeconds": seconds(timeline.failed - timeline.fail_started),
        "recoverCommandSeconds": seconds(timeline.recovered - timeline.recover_started),
        "requests": {
            "total": len(observations),
            "failed": len(failures),
            # /health of the failed region answers 503 by design until it is drained.
            "failedHealthChecksOfRegion": sum(1 for o in failures
                                              if o.kind == "health" and o.region == region),
            "failedWrites": sum(1 for o in failures if o.kind == "store"),
            "byRegion": by_region,
            "failureSamples": [{"sent": seconds(o.sent), "received": seconds(o.received), "kind": o.kind,
                                "status": o.status, "region": o.region, "error": o.error}
                               for o in failures[:20]],
            # Every request, in the order the answers came: sent, received, kind, status, region.
            "log": [[seconds(o.sent), seconds(o.received), o.kind, o.status, o.region]
                    for o in observations],
        },
        "rpo": {
            "records": len(rpo_ids),
            "replicateSeconds": replicate_s,
            "lost": len(lost),
            "acknowledgedByRegion": len(acknowledged_by(observations, region)),
            "acknowledgedByRegionBeforeFailure": len(acknowledged_by(observations, region, timeline.failed)),
            "pollErrors": watch.poll_errors,
            "atRisk": sorted(
                ({"id": i, "sent": seconds(sent_at[i].sent), "acknowledged": seconds(sent_at[i].received),
                  "listedEverywhere": seconds(watch.listed_at.get(i))} for i in rpo_ids),
                key=lambda r: r["sent"]),
            "lostIds": sorted(lost),
        },
    }


def markdown(report: dict) -> str:
    r, rpo, req = report, report["rpo"], report["requests"]
    settings = r["settings"]
    rows = [
        ("RTO", f"{r['rtoSeconds']:.2f} s", f"failure of {r['region']} -> its last response"),
        ("recovery", f"{r['recoverySeconds']:.2f} s", "recover command done -> its first response again"),
        ("failed requests", f"{req['failed']} of {req['total']}",
         f"non-2xx or no answer, whole drill; {req['failedWrites']} writes, "
         f"{req['failedHealthChecksOfRegion']} `/health` of {r['region']} (503 by design until drained)"),
        ("RPO", f"{rpo['records']} records", f"acknowledged by {r['region']}, not yet listed by "
                                              "the surviving regions at the failure"),
        ("to replicate", f"{rpo['replicateSeconds']:.2f} s", "failure -> every survivor lists them"),
        ("lost", str(rpo["lost"]), f"acknowledged by {r['region']}, never listed within "
                                   f"{settings['lostAfterSeconds']:g} s"),
    ]
    lines = [
        f"# Failover drill: {r['region']} via {r['target']}",
        "",
        f"{r['startedAt']}, {r['mode']}"
        + (f", store: {r['store']}" if r.get("store") else "")
        + (f", env {r['env']}" if r.get("env") else ""),
        f"detection window {settings['detectionWindowSeconds']:g} s, "
        f"{settings['ratePerSecond']:g} requests/s at most (two writes per health check), "
        f"responses by region: "
        + ", ".join(f"{k} {v}" for k, v in sorted(req["byRegion"].items()))
        + "; RTO and recovery are exact to about one request interval of the region",
        f"fail command {r['failCommandSeconds']:.2f} s, recover command {r['recoverCommandSeconds']:.2f} s "
        "(not part of the figures below)",
        "",
        "| figure | value | meaning |",
        "| --- | --- | --- |",
        *(f"| {name} | {value} | {meaning} |" for name, value, meaning in rows),
        "",
        f"`{r['summary']}`",
        "",
    ]
    return "\n".join(lines)


def write_report(report: dict, out_dir: str) -> tuple:
    os.makedirs(out_dir, exist_ok=True)
    json_path = os.path.join(out_dir, "drill-report.json")
    md_path = os.path.join(out_dir, "drill-report.md")
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    with open(md_path, "w", encoding="utf-8") as f:
        f.write(markdown(report))
    return json_path, md_path
