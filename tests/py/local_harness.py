"""The local emulation (`epochstore-local`, what `make run` starts) as a test fixture.

Builds nothing: the binary comes from `EPOCHSTORE_LOCAL_BIN`, else
`$CARGO_TARGET_DIR/debug/epochstore-local` (`target/` by default, relative to
the repository root). Only the standard library is used (no `requests`):
requests go through the drill's HTTP helper (scripts/failover_drill/httpclient.py).

Run as a program it is the canary tests' launcher: `python3 local_harness.py`
starts an emulation (environment as for `make run`), prints one JSON line
{"url": …, "regions": {region: url}} and stops it (SIGINT, exit 0 expected)
when its standard input closes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
sys.path.insert(0, os.path.dirname(__file__))

from failover_drill.httpclient import Response, request as http  # noqa: E402  (the tests' one HTTP helper)
from ports import free_port_block  # noqa: E402

REGIONS = ["eu-central-1", "eu-west-3"]


def target_dir() -> str:
    return os.path.join(REPO, os.environ.get("CARGO_TARGET_DIR") or "target")


def binary_path() -> str:
    path = os.environ.get("EPOCHSTORE_LOCAL_BIN") or os.path.join(target_dir(), "debug", "epochstore-local")
    return path if os.path.isabs(path) else os.path.join(REPO, path)


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
            if http("GET", f"{self.url}/_local/regions", timeout=1).status == 200:
                return self
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


def serve_until_stdin_closes() -> int:
    """The canary tests' launcher (see the module's docstring)."""
    emulation = LocalEmulation().start()
    print(json.dumps({"url": emulation.url,
                      "regions": {r: emulation.region_url(r) for r in emulation.regions}}), flush=True)
    try:
        sys.stdin.read()
    finally:
        code = emulation.stop()
        emulation.cleanup()
    return code


if __name__ == "__main__":
    sys.exit(serve_until_stdin_closes())
