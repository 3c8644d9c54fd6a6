"""Starts bootstraps from inside a cgroup, for `make bench` (cpu_share.py).

Moving a process into a cgroup costs 10-20 ms on this kernel (even between
fork and exec); a child forked by a process already in the cgroup is born
there at no cost. So this process is moved once, and every bootstrap is then
spawned by it. Protocol: one JSON object a line on stdin, one answer a line
on stdout:
  {"op": "spawn", "argv": [...], "env": {...}, "log": path} -> {"pid": n}
  {"op": "wait", "pid": n, "timeout": s} -> {"rc": n or null}
It exits when stdin closes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def spawn(request: dict) -> dict:
    fd = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_DUP2, fd, 1), (os.POSIX_SPAWN_DUP2, fd, 2)]
        pid = os.posix_spawn(request["argv"][0], request["argv"], request["env"], file_actions=actions)
    finally:
        os.close(fd)
    return {"pid": pid}


def wait(request: dict) -> dict:
    deadline = time.monotonic() + request["timeout"]
    while True:
        pid, status = os.waitpid(request["pid"], os.WNOHANG)
        if pid:
            return {"rc": os.waitstatus_to_exitcode(status)}
        if time.monotonic() >= deadline:
            return {"rc": None}
        time.sleep(0.001)


class Launcher:
    """The bench's end: this script, started inside the cgroup by `enter`."""

    def __init__(self, enter):
        self.process = subprocess.Popen([sys.executable, os.path.abspath(__file__)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, preexec_fn=enter)

    def ask(self, request: dict) -> dict:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def spawn(self, argv: list[str], env: dict, log_path: str) -> Launched:
        return Launched(self, self.ask({"op": "spawn", "argv": argv, "env": env, "log": log_path})["pid"])

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


class Launched:
    """A bootstrap the launcher started: the part of Popen the bench uses."""

    def __init__(self, launcher: Launcher, pid: int):
        self.launcher = launcher
        self.pid = pid

    def terminate(self) -> None:
        os.kill(self.pid, 15)

    def kill(self) -> None:
        os.kill(self.pid, 9)

    def wait(self, timeout: float = 10.0) -> int:
        rc = self.launcher.ask({"op": "wait", "pid": self.pid, "timeout": timeout})["rc"]
        if rc is None:
            raise subprocess.TimeoutExpired(str(self.pid), timeout)
        return rc


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        answer = spawn(request) if request["op"] == "spawn" else wait(request)
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
