"""Lambda's CPU share for `make bench`: a cgroup whose CPU quota is the share
of one core that Lambda gives a memory size (memory / 1769 MB; "At 1,769 MB,
a function has the equivalent of one vCPU", AWS Lambda Developer Guide,
"Configure Lambda function memory",
https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).

A function starts inside the cgroup (its pid written to the cgroup before
`exec`, because moving a running process between cgroups costs 10-20 ms on
this kernel), unlimited while it initialises (Lambda runs init at a full
core), and is limited when its first invocation is handed out.

cgroup v1 (`cpu.cfs_period_us`, `cpu.cfs_quota_us`, `tasks`) and v2
(`cpu.max`, `cgroup.procs`) are supported; `CpuShare.create` returns None and
a reason when neither can be written here.
"""

from __future__ import annotations

import os

ONE_VCPU_MB = 1769
# The kernel refuses a CFS quota under 1 ms (MIN_CFS_QUOTA in kernel/sched/core.c).
MIN_QUOTA_US = 1000
V1_ROOT = "/sys/fs/cgroup/cpu"
V2_ROOT = "/sys/fs/cgroup"


def quota_us(memory_mb: int, period_us: int) -> int:
    return max(MIN_QUOTA_US, round(period_us * memory_mb / ONE_VCPU_MB))


def effective_period_us(memory_mb: int, period_us: int) -> int:
    """The period actually used: stretched when the share of `period_us`
    would fall under the kernel's 1 ms minimum quota (10 ms at 128 MB ->
    13.8 ms), so the share itself stays exact."""
    return max(period_us, -(-MIN_QUOTA_US * ONE_VCPU_MB // memory_mb))


class CpuShare:
    """One cgroup for the function under test (one runs at a time)."""

    def __init__(self, version: int, path: str):
        self.version = version
        self.path = path
        self.procs = os.path.join(path, "tasks" if version == 1 else "cgroup.procs")
        self.period_us = 100_000
        self.limited_at: dict | None = None

    @classmethod
    def create(cls, name: str) -> tuple[CpuShare | None, str]:
        """The cgroup, or None and why the machine offers no CPU control."""
        reasons = []
        if os.path.exists(os.path.join(V1_ROOT, "cpu.cfs_quota_us")):
            share, reason = cls._try(1, os.path.join(V1_ROOT, name))
            if share:
                return share, f"cgroup v1 cpu controller ({V1_ROOT})"
            reasons.append(reason)
        controllers = os.path.join(V2_ROOT, "cgroup.controllers")
        if os.path.exists(controllers):
            with open(controllers) as f:
                has_cpu = "cpu" in f.read().split()
            if has_cpu:
                try:
                    with open(os.path.join(V2_ROOT, "cgroup.subtree_control"), "w") as f:
                        f.write("+cpu")
                except OSError as e:
                    reasons.append(f"cgroup v2: cannot enable the cpu controller: {e}")
                else:
                    share, reason = cls._try(2, os.path.join(V2_ROOT, name))
                    if share:
                        return share, f"cgroup v2 cpu controller ({V2_ROOT})"
                    reasons.append(reason)
            else:
                reasons.append("cgroup v2 without the cpu controller")
        return None, "; ".join(reasons) or "no cgroup cpu controller mounted"

    @classmethod
    def _try(cls, version: int, path: str) -> tuple[CpuShare | None, str]:
        try:
            os.makedirs(path, exist_ok=True)
            share = cls(version, path)
            share.unlimited(100_000)
            return share, ""
        except OSError as e:
            return None, f"cgroup v{version} at {path}: {e}"

    def _write(self, name: str, value: str) -> None:
        with open(os.path.join(self.path, name), "w") as f:
            f.write(value)

    def unlimited(self, period_us: int, memory_mb: int = ONE_VCPU_MB) -> None:
        """A full core (init), with the period the next `limit(memory_mb)` will use."""
        period_us = effective_period_us(memory_mb, period_us)
        self.period_us = period_us
        if self.version == 1:
            self._write("cpu.cfs_quota_us", "-1")
            self._write("cpu.cfs_period_us", str(period_us))
        else:
            self._write("cpu.max", f"max {period_us}")

    def limit(self, memory_mb: int) -> None:
        """Lambda's share for `memory_mb`, from now on."""
        self.limited_at = self.stat()
        quota = quota_us(memory_mb, self.period_us)
        if self.version == 1:
            self._write("cpu.cfs_quota_us", str(quota))
        else:
            self._write("cpu.max", f"{quota} {self.period_us}")

    def stat(self) -> dict:
        values = {}
        with open(os.path.join(self.path, "cpu.stat")) as f:
            for line in f:
                key, _, value = line.partition(" ")
                values[key] = int(value)
        return values

    def throttled_since_limit(self) -> dict:
        """Periods throttled and time throttled (ms) since `limit`."""
        now, then = self.stat(), self.limited_at or {}
        if self.version == 1:
            time_ms = (now.get("throttled_time", 0) - then.get("throttled_time", 0)) / 1e6
        else:
            time_ms = (now.get("throttled_usec", 0) - then.get("throttled_usec", 0)) / 1e3
        return {"nr_throttled": now.get("nr_throttled", 0) - then.get("nr_throttled", 0),
                "throttled_ms": time_ms}

    def enter(self) -> None:
        """`preexec_fn` of the function's Popen: runs in the child between fork
        and exec, so the bootstrap starts inside the cgroup. Plain syscalls only
        (the bench has threads; no Python locks after fork)."""
        fd = os.open(self.procs, os.O_WRONLY)
        try:
            os.write(fd, str(os.getpid()).encode())
        finally:
            os.close(fd)

    def remove(self) -> None:
        try:
            os.rmdir(self.path)
        except OSError:
            pass
