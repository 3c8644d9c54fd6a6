"""One drill: warm up, fail, drain, recover, serve again."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Callable, Optional

from . import DrillError
from .replication import ReplicationWatch
from .report import build_report
from .targets import Target
from .traffic import Clock, Timeline, Traffic, acknowledged_by, served_by


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
        except BaseException as phase_error:
            self.stop(phase_error)
            raise
        self.stop(None)
        observations = self.traffic.snapshot()
        lost = self.watch.wait(acknowledged_by(observations, self.region),
                               self.clock.now() + self.args.lost_after)
        return build_report(self.target, self.args, self.clock, self.timeline, observations,
                            self.watch, self.at_risk, lost)

    def stop(self, phase_error: Optional[BaseException]) -> None:
        """Stops the traffic; a region failed but not recovered is recovered.
        When that recovery fails after a failed phase, both errors are told."""
        self.traffic.stop()
        self.timeline.stopped = self.clock.now()
        try:
            if self.timeline.fail_started is not None and self.timeline.recovered is None:
                print(f"drill: stopped early; recovering {self.region}", file=sys.stderr, flush=True)
                self.target.recover()
        except DrillError as recover_error:
            if phase_error is None:
                raise
            raise DrillError(f"{phase_error}; then recovering {self.region} failed too: {recover_error}. "
                             f"{self.region} may still be failed: recover it by hand "
                             "(make recover REGION=… ENV=…)") from recover_error
        finally:
            # The last reads of the survivors are the main thread's own.
            self.stop_watching.set()
            if self.watcher is not None:
                self.watcher.join()

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
