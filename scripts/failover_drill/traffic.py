"""The drill's steady, bounded request stream and what it observed."""

from __future__ import annotations

import datetime
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Optional

from .httpclient import request

# Two writes for each health check: with two regions served in turn, a cycle
# of two would send every write to the same region.
REQUEST_CYCLE = ("store", "store", "health")


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
            reply = request("POST", f"{self.url}/storeEpochTime", body=b"", timeout=self.timeout,
                            headers={"Idempotency-Key": f"drill-{uuid.uuid4().hex}", **self.auth})
        else:
            reply = request("GET", f"{self.url}/health", timeout=self.timeout)
        answer = reply.json_object()
        record_id = answer.get("id") if kind == "store" else None
        region = reply.region or answer.get("region") if reply.status is not None else None
        return Observation(kind, sent, self.clock.now(), reply.status, region, reply.error,
                           record_id if isinstance(record_id, str) else None)


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
