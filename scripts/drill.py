#!/usr/bin/env python3
"""`make drill`: a failover drill that measures RTO and RPO from the client side.

Sends a steady, bounded stream of `POST /storeEpochTime` (each with its own
`Idempotency-Key`) and `GET /health` through URL, fails REGION, keeps sending
until no request sent during one full detection window has reached REGION,
recovers REGION, waits until it serves again, then stops. From what it
observed (the region that served each response, status codes, timestamps)
it reports:

- RTO: failure (the fail command returned) -> the last response served by REGION;
- failed requests (non-2xx or transport errors) during the whole drill;
- recovery: the recover command returned -> the first response served by REGION again;
- RPO: records REGION acknowledged before the failure that the surviving
  regions did not list at that moment, and the time until they all did;
- lost: records REGION acknowledged that a surviving region never listed
  within --lost-after seconds.

Against the local emulation (`make run`), REGION is failed and recovered
through its control endpoint and everything else is read from
`GET /_local/regions`. Against a deployment, the fail and recover commands
are `make failover` / `make recover` and the surviving regions' URLs come
from --region-url. Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import ipaddress
import json
import os
import shlex
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Callable, Optional

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
REGION_HEADER = "x-epochstore-region"
# Route53: a check every 10 s, 3 failures to turn unhealthy.
ROUTE53_DETECTION_WINDOW_S = 30.0
# Two writes for each health check: with two regions served in turn, a cycle
# of two would send every write to the same region.
REQUEST_CYCLE = ("store", "store", "health")
PAGE_LIMIT = 1000
# Fails or recovers REGION.
Step = Callable[[], None]


class DrillError(Exception):
    """The drill could not complete; the message says why."""


# --- HTTP ----------------------------------------------------------------


@dataclass
class Reply:
    status: Optional[int]
    region: Optional[str]
    body: dict
    error: Optional[str] = None


def request(method: str, url: str, timeout: float, headers: Optional[dict] = None,
            data: Optional[bytes] = None) -> Reply:
    """One request; an HTTP error status is a reply, a transport error too."""
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            status, header_map, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        status, header_map, raw = err.code, err.headers, err.read()
    except (OSError, ValueError, http.client.HTTPException) as err:
        return Reply(None, None, {}, error=f"{type(err).__name__}: {err}")
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    return Reply(status, header_map.get(REGION_HEADER) or body.get("region"), body)


# --- what the drill runs against ------------------------------------------


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
        reply = request("POST", f"{url}/_local/regions/{region}/status", timeout, data=status.encode())
        if reply.status != 204:
            raise DrillError(f"the control endpoint refused STATUS={status} for {region}: "
                             f"{reply.status or reply.error} {reply.body}")
    return run


def local_state(url: str, timeout: float) -> Optional[dict]:
    """`GET /_local/regions` when URL is the local emulation, else None."""
    reply = request("GET", f"{url}/_local/regions", timeout)
    if reply.status == 200 and isinstance(reply.body.get("regions"), list):
        return reply.body
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


def deployment_target(args: argparse.Namespace, url: str) -> Target:
    """A deployment: make failover/recover, the survivors from --region-url."""
    survivors = {name: u for name, u in parse_region_urls(args.region_url).items() if name != args.region}
    if not survivors:
        raise DrillError("RPO is read from the surviving regions directly: give each one with "
                         "--region-url REGION=URL (make drill ENV=... fills them from "
                         "terraform output regional_urls)")
    # AUTO_APPROVE: the drill's traffic is running; a prompt would stall it.
    env = " ENV={env} AUTO_APPROVE=1" if args.env else " AUTO_APPROVE=1"
    fail = command_step(args.fail_command or "make failover REGION={region}" + env, args, "fail")
    recover = command_step(args.recover_command or "make recover REGION={region}" + env, args, "recover")
    return Target(mode="deployment", url=url, region=args.region, survivors=survivors,
                  detection_window_s=args.detection_window or ROUTE53_DETECTION_WINDOW_S,
                  fail=fail, recover=recover)


def discover(args: argparse.Namespace) -> Target:
    """With --env a deployment; else the local emulation when URL is one."""
    url = args.url.rstrip("/")
    state = None if args.env else local_state(url, args.timeout)
    return local_target(args, url, state) if state else deployment_target(args, url)


# --- traffic --------------------------------------------------------------


class Clock:
    """Seconds since the drill started (monotonic), plus the wall-clock start."""

    def __init__(self):
        self.origin = time.monotonic()
        self.started_at = datetime.datetime.now(datetime.timezone.utc)

    def now(self) -> float:
        return time.monotonic() - self.origin


@dataclass
class Observation:
    kind: str  # "store" or "health"
    sent: float  # seconds since the drill started
    received: float
    status: Optional[int]
    region: Optional[str]
    error: Optional[str]
    record_id: Optional[str]

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Traffic:
    """Worker threads that share one request schedule: `rate` requests a
    second at most, `max_requests` in all."""

    def __init__(self, url: str, clock: Clock, rate: float, concurrency: int,
                 max_requests: int, timeout: float, token: Optional[str] = None):
        self.url, self.clock, self.timeout = url, clock, timeout
        # Writes that need a JWT (jwt_issuer set) carry it; reads never do.
        self.auth = {"Authorization": f"Bearer {token}"} if token else {}
        self.interval = 1.0 / rate
        self.max_requests = max_requests
        self.observations: list = []
        self.in_flight: dict = {}  # request number -> when it was sent
        self.lock = threading.Lock()
        self.sent = 0
        self.next_slot = 0.0
        self.stopping = threading.Event()
        self.workers = [threading.Thread(target=self._work, daemon=True) for _ in range(concurrency)]

    def start(self) -> None:
        self.next_slot = self.clock.now()
        for worker in self.workers:
            worker.start()

    def stop(self) -> None:
        self.stopping.set()
        for worker in self.workers:
            worker.join(timeout=self.timeout + 5)

    @property
    def exhausted(self) -> bool:
        with self.lock:
            return self.sent >= self.max_requests

    def snapshot(self) -> list:
        with self.lock:
            return list(self.observations)

    def oldest_in_flight(self) -> Optional[float]:
        """When the oldest request still without an answer was sent."""
        with self.lock:
            return min(self.in_flight.values(), default=None)

    def _claim(self) -> Optional[tuple]:
        """The next request number and when to send it, or None at the budget."""
        with self.lock:
            if self.sent >= self.max_requests:
                return None
            number, slot = self.sent, self.next_slot
            self.sent += 1
            # A worker that was blocked does not earn a burst afterwards.
            self.next_slot = max(slot, self.clock.now() - self.interval) + self.interval
            return number, slot

    def _work(self) -> None:
        while not self.stopping.is_set():
            claimed = self._claim()
            if claimed is None:
                return
            number, slot = claimed
            delay = slot - self.clock.now()
            if delay > 0 and self.stopping.wait(delay):
                return
            sent = self.clock.now()
            with self.lock:
                self.in_flight[number] = sent
            observation = self._send(REQUEST_CYCLE[number % len(REQUEST_CYCLE)], sent)
            with self.lock:
                del self.in_flight[number]
                self.observations.append(observation)

    def _send(self, kind: str, sent: float) -> Observation:
        if kind == "store":
            reply = request("POST", f"{self.url}/storeEpochTime", self.timeout,
                            headers={"Idempotency-Key": f"drill-{uuid.uuid4().hex}", **self.auth}, data=b"")
        else:
            reply = request("GET", f"{self.url}/health", self.timeout)
        record_id = reply.body.get("id") if kind == "store" else None
        return Observation(kind, sent, self.clock.now(), reply.status, reply.region, reply.error,
                           record_id if isinstance(record_id, str) else None)


# --- replication (RPO) ------------------------------------------------------


def cursor_above(record_id: str) -> Optional[str]:
    """A page cursor that lists `record_id` first: the next UUIDv7 up (a
    cursor lists the ids below it), or None if adding one leaves UUIDv7."""
    value = int(record_id.replace("-", ""), 16) + 1
    if (value >> 76) & 0xF != 7 or (value >> 62) & 0x3 != 0b10:
        return None
    return f"{value:032x}"


def listed_ids(base_url: str, wanted: set, timeout: float, max_pages: int) -> Optional[set]:
    """The ids of `wanted` that `GET /getEpochStore` of one region lists,
    paged newest first from the newest wanted id until all are found or the
    pages are older than the oldest one (so records written by others after
    the drill cost nothing); None when the region did not answer."""
    found: set = set()
    oldest = min(wanted)
    cursor = cursor_above(max(wanted))
    for _ in range(max_pages):
        query = {"limit": PAGE_LIMIT, **({"cursor": cursor} if cursor else {})}
        reply = request("GET", f"{base_url}/getEpochStore?{urllib.parse.urlencode(query)}", timeout)
        if reply.status != 200:
            return None
        items = reply.body.get("items") or []
        found.update(item.get("id") for item in items if item.get("id") in wanted)
        cursor = reply.body.get("nextCursor")
        # UUIDv7 ids sort by time: past the oldest wanted id, the next pages
        # hold only older records.
        if found == wanted or not cursor or not items or items[-1].get("id", "") < oldest:
            break
    return found


@dataclass
class ReplicationWatch:
    """Polls every surviving region until it lists all of `pending`."""

    survivors: dict
    clock: Clock
    timeout: float
    max_pages: int
    poll_interval: float
    listed_at: dict = field(default_factory=dict)  # id -> seconds, once every survivor lists it
    poll_errors: int = 0

    def poll(self, pending: set) -> set:
        """One round over the survivors; returns the ids every one of them lists."""
        everywhere = set(pending)
        for url in self.survivors.values():
            found = listed_ids(url, pending, self.timeout, self.max_pages) if pending else set()
            if found is None:
                self.poll_errors += 1
                found = set()
            everywhere &= found
        now = self.clock.now()
        for record_id in everywhere:
            self.listed_at.setdefault(record_id, now)
        return everywhere

    def wait(self, ids: set, deadline: float, stop: Optional[threading.Event] = None) -> set:
        """Polls until every survivor lists `ids`, `deadline` or `stop`; returns the rest."""
        stop = stop or threading.Event()
        pending = set(ids) - set(self.listed_at)
        while pending:
            pending -= self.poll(pending)
            if not pending or self.clock.now() >= deadline or stop.wait(self.poll_interval):
                break
        return pending


# --- the drill --------------------------------------------------------------


@dataclass
class Timeline:
    fail_started: Optional[float] = None
    failed: Optional[float] = None
    last_served_by_region: Optional[float] = None
    recover_started: Optional[float] = None
    recovered: Optional[float] = None
    first_served_again: Optional[float] = None
    stopped: Optional[float] = None


def served_by(observations: list, region: str) -> list:
    return [o for o in observations if o.region == region and o.status is not None]


def acknowledged_by(observations: list, region: str, until: float = float("inf")) -> set:
    """Ids of the records `region` acknowledged (answer received by `until`)."""
    return {o.record_id for o in observations
            if o.region == region and o.ok and o.record_id and o.received <= until}


class Drill:
    """One drill: warm up, fail, drain, recover, serve again; every phase
    bounded by --max-duration and --max-requests."""

    def __init__(self, target: Target, args: argparse.Namespace):
        self.target, self.args = target, args
        self.region = target.region
        self.clock = Clock()
        self.traffic = Traffic(target.url, self.clock, args.rate, args.concurrency,
                               args.max_requests, args.timeout, args.token)
        self.watch = ReplicationWatch(target.survivors, self.clock, args.timeout, args.max_pages,
                                      args.poll_interval)
        self.timeline = Timeline()
        self.at_risk: set = set()
        self.stop_watching = threading.Event()
        self.watcher: Optional[threading.Thread] = None

    def run(self) -> dict:
        self.traffic.start()
        try:
            self.warm_up()
            self.fail()
            self.drain()
            self.recover()
            self.serve_again()
        finally:
            self.traffic.stop()
            self.timeline.stopped = self.clock.now()
            if self.timeline.fail_started is not None and self.timeline.recovered is None:
                print(f"drill: stopped early; recovering {self.region}", file=sys.stderr, flush=True)
                self.target.recover()
            # The last reads of the survivors are the main thread's own.
            self.stop_watching.set()
            if self.watcher is not None:
                self.watcher.join()
        observations = self.traffic.snapshot()
        lost = self.watch.wait(acknowledged_by(observations, self.region),
                               self.clock.now() + self.args.lost_after)
        return build_report(self.target, self.args, self.clock, self.timeline, observations,
                            self.watch, self.at_risk, lost)

    def served(self) -> list:
        return served_by(self.traffic.snapshot(), self.region)

    def wait_for(self, predicate: Callable[[], bool], what: str) -> None:
        while not predicate():
            if self.clock.now() >= self.args.max_duration:
                raise DrillError(f"gave up after --max-duration waiting for {what}")
            if self.traffic.exhausted:
                raise DrillError(f"--max-requests reached while waiting for {what}")
            time.sleep(0.02)

    def warm_up(self) -> None:
        self.wait_for(lambda: self.clock.now() >= self.args.warmup and bool(self.served()),
                      f"{self.region} to serve a request before the failure")

    def fail(self) -> None:
        """Fails the region; what the survivors do not list at that moment is at risk."""
        self.timeline.fail_started = self.clock.now()
        self.target.fail()
        failed = self.timeline.failed = self.clock.now()
        acknowledged = acknowledged_by(self.traffic.snapshot(), self.region, until=failed)
        self.at_risk = acknowledged - self.watch.poll(acknowledged) if acknowledged else set()
        self.watcher = threading.Thread(
            target=self.watch.wait, daemon=True,
            args=(self.at_risk, self.args.max_duration + self.args.lost_after, self.stop_watching))
        self.watcher.start()

    def last_served(self) -> float:
        """REGION's last answer after the failure (the failure itself if none)."""
        return max([self.timeline.failed] + [o.received for o in self.served()])

    def drained(self) -> bool:
        """Every request sent during one full detection window after REGION's
        last answer has been answered, and none by REGION."""
        quiet_until = self.last_served() + self.target.detection_window_s
        oldest = self.traffic.oldest_in_flight()
        return self.clock.now() >= quiet_until and (oldest is None or oldest >= quiet_until)

    def drain(self) -> None:
        self.wait_for(self.drained, f"{self.region} to stop serving for one detection window "
                                    f"({self.target.detection_window_s:g} s)")
        self.timeline.last_served_by_region = self.last_served()

    def recover(self) -> None:
        self.timeline.recover_started = self.clock.now()
        self.target.recover()
        self.timeline.recovered = self.clock.now()

    def serve_again(self) -> None:
        def again() -> list:
            return [o.received for o in self.served() if o.sent > self.timeline.recovered]

        self.wait_for(lambda: bool(again()), f"{self.region} to serve again after recovery")
        self.timeline.first_served_again = min(again())


# --- report -----------------------------------------------------------------


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


# --- command line -----------------------------------------------------------


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
    parser.add_argument("--url", required=True, help="base URL: the local front door or the global domain")
    parser.add_argument("--region", required=True, help="the region to fail, e.g. eu-west-3")
    parser.add_argument("--env", help="the deployment's environment (terraform/envs/ENV.tfvars): "
                                      "URL is a deployment, failed with make failover/recover ENV=...; "
                                      "allows a non-loopback URL")
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
