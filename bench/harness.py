"""What every part of `make bench` shares: the functions under test, one
running function under its Runtime API emulator, summaries and logging."""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field

from launcher import Launcher
from lambda_emulator import RuntimeApi, http_api_event, lambda_environment

ROUTES = {
    "store-epoch-time": ("POST", "/storeEpochTime"),
    "get-epoch-store": ("GET", "/getEpochStore"),
    "health-check": ("GET", "/health"),
    "hello": ("GET", "/hello"),
}

def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def env_ints(name: str, default: str) -> list[int]:
    """A comma-separated list of whole numbers, `default` when unset."""
    return [int(x) for x in (os.environ.get(name) or default).split(",")]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: list[float]) -> dict:
    return {"n": len(values), "median": statistics.median(values) if values else None,
            "p90": pct(values, 90), "p99": pct(values, 99), "min": min(values, default=None),
            "max": max(values, default=None)}


# --------------------------------------------------------------------------
# Functions under test


@dataclass
class Function:
    stack: str  # rust, hello, node, python, or a variant name
    name: str  # store-epoch-time, get-epoch-store, health-check, hello
    command: list[str]
    cwd: str | None = None
    env: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.stack}/{self.name}"

    def event(self) -> dict:
        method, path = ROUTES[self.name]
        return http_api_event(method, path)


def unpack(zip_path: str, target: str) -> str:
    """Unpacks a bootstrap.zip exactly as Lambda does."""
    os.makedirs(target, exist_ok=True)
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(target)
    path = os.path.join(target, "bootstrap")
    os.chmod(path, 0o755)
    return path


def quiet(api: RuntimeApi) -> RuntimeApi:
    # A process killed between two polls leaves a broken socket; not news.
    api.server.handle_error = lambda *_args: None
    return api


class Running:
    """One function process under its own Runtime API emulator."""

    def __init__(self, function: Function, extra_env: dict, log_path: str, launcher: Launcher | None = None):
        """With `launcher`, the process is born inside its cgroup (see launcher.py)."""
        self.function = function
        self.api = quiet(RuntimeApi())
        env = lambda_environment(f"epochstore-{function.name}", self.api, {**extra_env, **function.env})
        self.log = open(log_path, "ab")
        self.spawned = time.perf_counter()
        if launcher:
            self.process = launcher.spawn(function.command, env, log_path)
        else:
            self.process = subprocess.Popen(function.command, env=env, cwd=function.cwd,
                                            stdout=self.log, stderr=subprocess.STDOUT)

    def wait_init(self, timeout: float = 30.0) -> float:
        return (self.api.wait_for_poll(timeout) - self.spawned) * 1000

    def invoke(self, timeout: float = 60.0) -> tuple[float, dict]:
        started = time.perf_counter()
        outcome = self.api.invoke(self.function.event(), timeout=timeout)
        elapsed = (time.perf_counter() - started) * 1000
        status = int(outcome.payload.get("statusCode", 0)) if outcome.kind == "response" else None
        if status is None or status >= 400:
            answer = f"HTTP {status}: {outcome.payload.get('body')}" if status else f"{outcome.kind} {outcome.payload}"
            raise RuntimeError(f"{self.function.label}: {answer}"[:400])
        return elapsed, outcome.payload

    def cpu_ms(self) -> float:
        """CPU time the process has run so far (/proc/<pid>/schedstat, ns on a CPU)."""
        with open(f"/proc/{self.process.pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e6

    def status(self) -> dict:
        values = {}
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    values[key] = int(value.split()[0])  # kB
        return values

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        # The emulator's shutdown waits out its server's 0.5 s poll interval:
        # in the background, so it does not pace the cold starts.
        threading.Thread(target=self.api.close, daemon=True).start()
        self.log.close()
