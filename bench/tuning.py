"""The power-tuning part of `make bench`: every Rust function and the
hello-world at each memory size under Lambda's CPU share (cpu_share.py), with
DynamoDB reached over TLS (tls_endpoint.py), in the spirit of AWS Lambda
Power Tuning (https://github.com/alexcasalboni/aws-lambda-power-tuning).

Trust modes of the epochstore functions, one build:
- `plain`: moto over plain HTTP (no handshake; today's method, the control);
- `pinned`: TLS, the build's own roots plus the test CA through `AWS_CA_BUNDLE`;
- `platform`: TLS, `DYNAMODB_TRUST_ROOTS=platform`, `SSL_CERT_FILE` = system
  bundle plus the test CA.
A mode the build does not honour fails its probe (the first call's TLS
handshake is refused) and is reported as such instead of measured.

Environment: BENCH_MEMORY_SIZES [128,256,512,1024,1769],
BENCH_CFS_PERIODS_US [100000,10000], BENCH_TUNING_STARTS [10] cold starts per
function, mode, memory size and period, BENCH_TUNING_WARM [200] warm
invocations per function, memory size and period.
"""

from __future__ import annotations

import math
import os
import time

from cpu_share import ONE_VCPU_MB, CpuShare, effective_period_us
from harness import Function, Running, env_int, env_ints, log, summary
from launcher import Launcher
from report import TRUST_MODES
from tls_endpoint import TlsEndpoint

# Far above any invocation here (a GET at 128 MB takes ~0.1 s); a function
# that died mid-invocation should not hold the bench for the default 60 s.
INVOKE_TIMEOUT_S = 15.0


class Tuning:
    def __init__(self, hello: Function, functions: list[Function], tables: tuple[str, str], moto_endpoint: str,
                 work: str, logs: str):
        """`tables`: the one read (filled, never written here) and the one the
        POSTs write, so the partition a GET reads, and moto's time to read it,
        stays the same for every memory size."""
        self.hello = hello
        self.functions = functions
        self.read_table, self.write_table = tables
        self.moto_endpoint = moto_endpoint
        self.logs = logs
        self.tls = TlsEndpoint(work, int(moto_endpoint.rsplit(":", 1)[1]))
        self.cpu, self.cpu_control = CpuShare.create(f"epochstore-bench-{os.getpid()}")
        self.launcher = Launcher(self.cpu.enter) if self.cpu else None
        self.memory_sizes = env_ints("BENCH_MEMORY_SIZES", "128,256,512,1024,1769")
        self.periods_us = env_ints("BENCH_CFS_PERIODS_US", "100000,10000")
        if not self.cpu:
            # Without CPU control every run gets a full core: only the 1,769 MB
            # row (one vCPU) means what it says.
            self.memory_sizes, self.periods_us = [ONE_VCPU_MB], [0]
        self.starts = env_int("BENCH_TUNING_STARTS", 10)
        self.warm_count = env_int("BENCH_TUNING_WARM", 200)
        self.failures: list[str] = []  # runs that failed, reported instead of stopping the bench

    def env(self, function: Function, mode: str, memory_mb: int) -> dict:
        table = self.write_table if function.name == "store-epoch-time" else self.read_table
        env = {"TABLE_NAME": table, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb)}
        if mode == "plain":
            return env | {"AWS_ENDPOINT_URL_DYNAMODB": self.moto_endpoint}
        return env | {"AWS_ENDPOINT_URL_DYNAMODB": self.tls.endpoint} | self.tls.trust_env(mode)

    def start(self, function: Function, mode: str, memory_mb: int, period_us: int, kind: str) -> Running:
        if self.cpu:
            self.cpu.unlimited(period_us, memory_mb)
        path = os.path.join(self.logs, f"tuning-{mode}-{function.name}.{kind}.log")
        return Running(function, self.env(function, mode, memory_mb), path, self.launcher)

    def limit(self, memory_mb: int) -> None:
        """Lambda's share from the first invocation on (init ran at a full core)."""
        if self.cpu:
            self.cpu.limit(memory_mb)

    def throttled(self) -> dict:
        return self.cpu.throttled_since_limit() if self.cpu else {"nr_throttled": 0, "throttled_ms": 0.0}

    def probe(self, mode: str) -> str | None:
        """None when the build reaches DynamoDB in this mode, else why not."""
        function = next(f for f in self.functions if f.name == "store-epoch-time")
        run = self.start(function, mode, ONE_VCPU_MB, 100_000, "probe")
        try:
            run.wait_init()
            run.invoke(INVOKE_TIMEOUT_S * 2)
            return None
        except (RuntimeError, TimeoutError) as e:
            return str(e)[:400]
        finally:
            run.stop()

    def cold_start(self, function: Function, mode: str, memory_mb: int, period_us: int) -> dict:
        run = self.start(function, mode, memory_mb, period_us, "cold")
        try:
            init = run.wait_init()
            init_cpu = run.cpu_ms()
            self.limit(memory_mb)
            invoke_ms, _ = run.invoke(INVOKE_TIMEOUT_S)
            first = (time.perf_counter() - run.spawned) * 1000
            first_cpu = run.cpu_ms() - init_cpu
            throttled = self.throttled()
        finally:
            run.stop()
        return {"init_ms": init, "first_response_ms": first, "first_invoke_ms": invoke_ms,
                "init_cpu_ms": init_cpu, "first_invoke_cpu_ms": first_cpu,
                "throttled_periods": throttled["nr_throttled"], "throttled_ms": throttled["throttled_ms"]}

    def warm_run(self, function: Function, mode: str, memory_mb: int, period_us: int) -> dict:
        run = self.start(function, mode, memory_mb, period_us, "warm")
        try:
            run.wait_init()
            run.invoke(INVOKE_TIMEOUT_S)  # the cold one, not counted
            self.limit(memory_mb)
            times = [run.invoke(INVOKE_TIMEOUT_S)[0] for _ in range(self.warm_count)]
            throttled = self.throttled()
        finally:
            run.stop()
        # Lambda bills each invocation's duration rounded up to 1 ms.
        billed = [math.ceil(t) for t in times]
        return {"mode": mode, "round_trip_ms": summary(times) | {"mean": sum(times) / max(1, len(times))},
                "billed_ms_mean": sum(billed) / max(1, len(billed)),
                "throttled_periods": throttled["nr_throttled"], "throttled_ms": throttled["throttled_ms"]}

    def run(self) -> dict:
        result = {"cpu_control": self.cpu_control if self.cpu else None,
                  "no_cpu_control_reason": None if self.cpu else self.cpu_control,
                  "memory_sizes": self.memory_sizes, "periods_us": self.periods_us,
                  "effective_periods_us": {str(p): {str(m): effective_period_us(m, p) if p else None
                                                    for m in self.memory_sizes} for p in self.periods_us},
                  "starts": self.starts, "warm_invocations": self.warm_count,
                  "system_bundle": self.tls.system_bundle}
        try:
            modes = {mode: self.probe(mode) for mode in TRUST_MODES}
            result["mode_errors"] = {m: e for m, e in modes.items() if e}
            usable = [m for m in TRUST_MODES if not modes[m]]
            for mode, error in result["mode_errors"].items():
                log(f"tuning: {mode} mode unavailable in this build: {error[:160]}")
            result["modes"] = usable
            result["cold"] = self.cold(usable)
            warm_mode = "pinned" if "pinned" in usable else "plain"
            result["warm_mode"] = warm_mode
            result["warm"] = self.warm(warm_mode) if warm_mode in usable else {}
        finally:
            result["failures"] = self.failures
            if self.launcher:
                self.launcher.close()
            if self.cpu:
                self.cpu.remove()
            self.tls.close()
        return result

    def cold(self, modes: list[str]) -> dict:
        """Round robin over everything, so load drift and the table's growth
        touch every memory size and function alike."""
        cases = [(self.hello, "plain")] + [(f, m) for m in modes for f in self.functions]
        samples: dict = {}
        total = len(cases) * len(self.memory_sizes) * len(self.periods_us)
        log(f"tuning: {self.starts} rounds of {total} cold starts ({self.cpu_control})")
        for round_ in range(self.starts):
            for period in self.periods_us:
                for memory in self.memory_sizes:
                    for function, mode in cases:
                        label = "hello/hello" if function is self.hello else f"{mode}/{function.name}"
                        try:
                            sample = self.cold_start(function, mode, memory, period)
                        except (RuntimeError, TimeoutError) as e:
                            self.failures.append(f"cold {label} {memory} MB {period} us: {str(e)[:200]}")
                            continue
                        bucket = samples.setdefault(str(period), {}).setdefault(str(memory), {}).setdefault(label, {})
                        for key, value in sample.items():
                            bucket.setdefault(key, []).append(value)
            log(f"tuning: cold round {round_ + 1}/{self.starts}")
        return {p: {m: {label: {k: summary(v) for k, v in values.items()} for label, values in by_label.items()}
                    for m, by_label in by_memory.items()} for p, by_memory in samples.items()}

    def warm(self, mode: str) -> dict:
        # GET first, before the warm POSTs add records to the partition it reads.
        order = ("health-check", "get-epoch-store", "store-epoch-time")
        out: dict = {}
        for function in sorted(self.functions, key=lambda f: order.index(f.name)):
            for period in self.periods_us:
                for memory in self.memory_sizes:
                    for _attempt in range(2):  # once more in a new process after a failure
                        try:
                            out.setdefault(str(period), {}).setdefault(str(memory), {})[function.name] = \
                                self.warm_run(function, mode, memory, period)
                            break
                        except (RuntimeError, TimeoutError) as e:
                            self.failures.append(f"warm {function.name} {memory} MB {period} us: {str(e)[:200]}")
            log(f"tuning: warm {function.name} done")
        return out
