"""The local emulation (`epochstore-local`, what `make run` starts) as a test fixture.

Builds nothing: the binary comes from `EPOCHSTORE_LOCAL_BIN`, else
`$CARGO_TARGET_DIR/debug/epochstore-local` (`target/` by default, relative to
the repository root). Only the standard library is used (no `requests`).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REGIONS = ["eu-central-1", "eu-west-3"]


def target_dir() -> str:
    return os.path.join(REPO, os.environ.get("CARGO_TARGET_DIR") or "target")


def binary_path() -> str:
    path = os.environ.get("EPOCHSTORE_LOCAL_BIN") or os.path.join(target_dir(), "debug", "epochstore-local")
    return path if os.path.isabs(path) else os.path.join(REPO, path)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(count: int, attempts: int = 200) -> int:
    """A base port such that base .. base+count-1 are all free on 127.0.0.1."""
    rng = random.Random()
    for _ in range(attempts):
        base = rng.randrange(20000, 60000 - count)
        if all(_port_free(base + i) for i in range(count)):
            return base
    raise RuntimeError(f"no block of {count} free ports found")


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def region(self) -> str | None:
        return self.headers.get("x-epochstore-region")


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
         timeout: float = 10.0) -> Response:
    """One request; HTTP error statuses are returned, not raised."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Response(response.status, {k.lower(): v for k, v in response.headers.items()},
                            response.read())
    except urllib.error.HTTPError as err:
        return Response(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


@dataclass
class LocalEmulation:
    env: dict = field(default_factory=dict)
    regions: list = field(default_factory=lambda: list(REGIONS))
    port: int = 0
    process: subprocess.Popen | None = None
    logdir: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def region_url(self, region: str) -> str:
        return f"http://127.0.0.1:{self.port + 1 + self.regions.index(region)}"

    def start(self, timeout: float = 20.0) -> "LocalEmulation":
        binary = binary_path()
        if not os.path.exists(binary):
            pytest.fail(f"{binary} does not exist: build it with `cargo build -p epochstore-local` "
                        "or set EPOCHSTORE_LOCAL_BIN")
        self.port = free_port_block(len(self.regions) + 1)
        env = {k: v for k, v in os.environ.items()
               if k not in ("AWS_ENDPOINT_URL_DYNAMODB", "REPLICATION_LAG_MS", "REGIONS", "STATUS")}
        env.update({"PORT": str(self.port), "REGIONS": ",".join(self.regions)})
        env.update(self.env)
        self.logdir = tempfile.mkdtemp(prefix="epochstore-local-")
        self.stdout = open(os.path.join(self.logdir, "stdout.log"), "wb")
        self.stderr = open(os.path.join(self.logdir, "stderr.log"), "wb")
        self.process = subprocess.Popen([binary], env=env, stdout=self.stdout, stderr=self.stderr)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"epochstore-local exited with {self.process.returncode}:\n{self.logs()}")
            try:
                if http("GET", f"{self.url}/_local/regions", timeout=1).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.kill()
        pytest.fail(f"epochstore-local did not answer on {self.url} within {timeout} s:\n{self.logs()}")

    def logs(self) -> str:
        parts = []
        for name in ("stderr.log", "stdout.log"):
            path = os.path.join(self.logdir, name)
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    parts.append(f"--- {name} ---\n{f.read()[-20000:]}")
        return "\n".join(parts)

    def log_lines(self) -> list:
        """The JSON log lines written so far."""
        lines = []
        with open(os.path.join(self.logdir, "stdout.log"), encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    pass
        return lines

    def set_status(self, region: str, status: str) -> Response:
        return http("POST", f"{self.url}/_local/regions/{region}/status", body=status.encode())

    def regions_state(self) -> dict:
        return {r["name"]: r for r in http("GET", f"{self.url}/_local/regions").json()["regions"]}

    def stop(self) -> int:
        """Ctrl-C, as a person would; the process must exit 0 within 5 s."""
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"epochstore-local did not stop within 5 s of SIGINT:\n{self.logs()}")
        self._close()
        return code

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close()

    def cleanup(self) -> None:
        """Removes the log files (kept when a test fails, for the report)."""
        self.kill()
        if self.logdir:
            shutil.rmtree(self.logdir, ignore_errors=True)

    def _close(self) -> None:
        for f in (getattr(self, "stdout", None), getattr(self, "stderr", None)):
            if f:
                f.close()


def start_local(**env) -> LocalEmulation:
    return LocalEmulation(env={k: str(v) for k, v in env.items()}).start()


@pytest.fixture
def local_factory():
    """Starts emulations with the given environment; stops each with SIGINT and checks exit 0."""
    started = []

    def factory(**env) -> LocalEmulation:
        emulation = start_local(**env)
        started.append(emulation)
        return emulation

    yield factory
    failures = []
    for emulation in started:
        if emulation.process and emulation.process.poll() is None:
            code = emulation.stop()
            if code != 0:
                failures.append(f"exit code {code}:\n{emulation.logs()}")
        else:
            failures.append(f"epochstore-local exited early ({emulation.process.returncode}):\n{emulation.logs()}")
    if failures:
        pytest.fail("\n".join(failures))
    for emulation in started:
        emulation.cleanup()
