#!/usr/bin/env python3
"""`make bench`: cold start, peak memory, zip size, warm handler latency, read
cost versus table size, cost per million requests and a power-tuning table
(memory sizes under Lambda's CPU share, DynamoDB over TLS: tuning.py) for the
three epochstore functions, a lambda_http hello-world and the reference designs in Node.js and
Python, every figure from one run on this machine. Writes report.json and
report.md beside this file.

Everything runs on 127.0.0.1: the Runtime API emulator of tests/py, moto as
DynamoDB (started and stopped here), the release zips of `make build`.

Environment (defaults in brackets): BENCH_STARTS [24] cold starts per
function, BENCH_WARM [1000] warm invocations per function for peak RSS,
BENCH_SIZES [1000,10000,100000] table sizes for the read cost,
BENCH_REF_RECORDS [1000] records in each table before the functions run,
BENCH_REF_GET_WARM [100] warm calls of the reference (Scan) GETs,
BENCH_HANDLERS_JSON [unset] output of the in-process handler bench
(otherwise `cargo bench` is run here), BENCH_TUNING_RECORDS [101] records in
the table the power tuning's GETs read, LAMBDA_DIR, CARGO_TARGET_DIR; the
power tuning's other settings are in tuning.py.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "py"))

import socketserver  # noqa: E402

from conftest import MotoServer  # noqa: E402
from harness import Function, Running, env_int, env_ints, log, summary, unpack  # noqa: E402
from tuning import Tuning  # noqa: E402

# The emulator's HTTP server writes headers and body in two sends; with Nagle's
# algorithm on, the body then waits for the client's delayed ACK (~40 ms per
# response for Node's and Python's clients). Lambda's Runtime API has no such
# delay, so the bench turns Nagle off for every stack alike.
socketserver.StreamRequestHandler.disable_nagle_algorithm = True

import report  # noqa: E402  (bench/report.py)

FUNCTIONS = ("store-epoch-time", "get-epoch-store", "health-check")
NODE_HANDLERS = {"store-epoch-time": "index.storeEpochTime", "get-epoch-store": "index.getEpochStore",
                 "health-check": "index.health"}
PYTHON_HANDLERS = {"store-epoch-time": "app.store_epoch_time", "get-epoch-store": "app.get_epoch_store",
                   "health-check": "app.health"}
REGION = "eu-central-1"


# --------------------------------------------------------------------------
# Tables


def uuid7(millis: int) -> str:
    rand = secrets.randbits(74)
    value = (millis << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62) | (rand & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def our_item(millis: int, region: str) -> dict:
    """The real record layout (see store/dynamodb.rs)."""
    return {"pk": {"S": "rec#0"}, "sk": {"S": uuid7(millis)}, "epochMillis": {"N": str(millis)},
            "region": {"S": region}}


def reference_item(millis: int, region: str) -> dict:
    """The reference designs' layout: one string key `id`, the epoch times."""
    return {"id": {"S": str(uuid.uuid4())}, "epoch": {"N": str(millis // 1000)},
            "epochMillis": {"N": str(millis)}, "region": {"S": region}}


def fill(client, table: str, count: int, make, start_millis: int) -> None:
    regions = ("eu-central-1", "eu-west-3")
    batch = []
    for i in range(count):
        batch.append({"PutRequest": {"Item": make(start_millis + i, regions[i % 2])}})
        if len(batch) == 25 or i == count - 1:
            request = {table: batch}
            while request:
                request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or None
            batch = []


def create_reference_table(client, name: str) -> str:
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    return name


# --------------------------------------------------------------------------
# DynamoDB sizes and read units (published rules; moto reports a constant
# ConsumedCapacity, so units are computed from what was read).


def number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def attribute_size(name: str, value: dict) -> int:
    size = len(name.encode())
    if "S" in value:
        return size + len(value["S"].encode())
    if "N" in value:
        return size + number_size(value["N"])
    if "BOOL" in value or "NULL" in value:
        return size + 1
    raise ValueError(f"unexpected attribute type {value}")


def item_size(item: dict) -> int:
    return sum(attribute_size(name, value) for name, value in item.items())


def read_units(bytes_read: int, consistent: bool = False) -> float:
    """One RCU per 4 KB (rounded up) of items read by one request; half for
    an eventually consistent read."""
    blocks = max(1, math.ceil(bytes_read / 4096))
    return blocks if consistent else blocks / 2


def our_listing(client, table: str) -> dict:
    """What `GET /getEpochStore` (limit 100) sends: one Query, newest first,
    Limit 101 (the extra item says whether a next page exists)."""
    started = time.perf_counter()
    out = client.query(TableName=table, KeyConditionExpression="pk = :pk",
                       ExpressionAttributeValues={":pk": {"S": "rec#0"}},
                       ScanIndexForward=False, Limit=101, ReturnConsumedCapacity="TOTAL")
    elapsed = (time.perf_counter() - started) * 1000
    size = sum(item_size(i) for i in out["Items"])
    return {"requests": 1, "items_read": out["ScannedCount"], "items_returned": out["Count"],
            "bytes_read": size, "rcu": read_units(size), "moto_ms": elapsed,
            "moto_consumed_capacity": out.get("ConsumedCapacity", {}).get("CapacityUnits")}


def scan_listing(client, table: str) -> dict:
    """What the reference designs do: Scan every page of the table, then
    sort and return everything."""
    started = time.perf_counter()
    requests = items_read = bytes_read = 0
    rcu = 0.0
    json_bytes = 2
    start_key = None
    while True:
        kwargs = {"TableName": table, "ReturnConsumedCapacity": "TOTAL"}
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        out = client.scan(**kwargs)
        page = sum(item_size(i) for i in out["Items"])
        requests += 1
        items_read += out["ScannedCount"]
        bytes_read += page
        rcu += read_units(page)
        json_bytes += sum(len(json.dumps({k: next(iter(v.values())) for k, v in i.items()})) + 1
                          for i in out["Items"])
        start_key = out.get("LastEvaluatedKey")
        if not start_key:
            break
    return {"requests": requests, "items_read": items_read, "items_returned": items_read,
            "bytes_read": bytes_read, "rcu": rcu, "moto_ms": (time.perf_counter() - started) * 1000,
            "response_json_bytes_estimate": json_bytes}


def read_cost(sizes: list[int]) -> list[dict]:
    moto = MotoServer().start()
    try:
        client = moto.client(region=REGION)
        table = moto.create_table()
        stored = 0
        rows = []
        base = int(time.time() * 1000) - 10_000_000
        for size in sizes:
            started = time.perf_counter()
            fill(client, table, size - stored, our_item, base + stored)
            log(f"read cost: {size} records stored ({time.perf_counter() - started:.0f} s)")
            stored = size
            rows.append({"records": size, "ours": our_listing(client, table),
                         "scan": scan_listing(client, table)})
        return rows
    finally:
        moto.stop()


# --------------------------------------------------------------------------
# Cold starts and warm invocations


def warm_run(function: Function, count: int, extra_env: dict, logs: str) -> dict:
    log_path = os.path.join(logs, f"{function.stack}-{function.name}.warm.log")
    if os.path.exists(log_path):
        os.remove(log_path)
    run = Running(function, extra_env, log_path)
    try:
        init = run.wait_init()
        after_init = run.status()
        times = []
        for _ in range(count):
            elapsed, _payload = run.invoke()
            times.append(elapsed)
        status = run.status()
    finally:
        run.stop()
    # In-function latency from the access-log line (epochstore only).
    latencies = []
    with open(log_path, "rb") as f:
        for line in f:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and "latency_ms" in record:
                latencies.append(float(record["latency_ms"]))
    return {"invocations": count, "init_ms": init, "rss_after_init_kb": after_init.get("VmRSS"),
            "log_bytes_per_invocation": os.path.getsize(log_path) / max(1, count),
            "peak_rss_kb": status.get("VmHWM"), "rss_end_kb": status.get("VmRSS"),
            "round_trip_ms": summary(times),
            "in_function_ms": summary(latencies) if latencies else None}


# --------------------------------------------------------------------------
# In-process handler latency


def handler_bench() -> dict:
    given = os.environ.get("BENCH_HANDLERS_JSON")
    if given:
        with open(given) as f:
            return json.load(f)
    log("handler latency: cargo bench -p epochstore --bench handlers")
    out = subprocess.run(["cargo", "bench", "--quiet", "-p", "epochstore", "--bench", "handlers"],
                         cwd=REPO, check=True, stdout=subprocess.PIPE)
    lines = [line for line in out.stdout.decode().splitlines() if line.startswith("{")]
    return json.loads(lines[-1])


# --------------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "python": platform.python_version(), "load_avg_at_start": os.getloadavg(),
            "node": subprocess.run(["node", "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
            if shutil.which("node") else None}


def main() -> None:
    started = time.time()
    starts = env_int("BENCH_STARTS", 24)
    warm = env_int("BENCH_WARM", 1000)
    sizes = env_ints("BENCH_SIZES", "1000,10000,100000")
    ref_records = env_int("BENCH_REF_RECORDS", 1000)
    ref_get_warm = env_int("BENCH_REF_GET_WARM", 100)
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    lambda_dir = os.environ.get("LAMBDA_DIR") or os.path.join(target, "lambda")
    node = shutil.which("node")
    work = tempfile.mkdtemp(prefix="epochstore-bench-")
    logs = os.path.join(work, "logs")
    os.makedirs(logs)
    result: dict = {"started_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                    "machine": machine(),
                    "settings": {"starts": starts, "warm_invocations": warm, "reference_get_warm": ref_get_warm,
                                 "table_sizes": sizes,
                                 "records_before_runs": ref_records,
                                 "overrides": {k: v for k, v in sorted(os.environ.items())
                                               if k.startswith("BENCH_")}}}

    # Zip sizes and bootstraps.
    zips = {}
    bootstraps = {}
    for name in FUNCTIONS + ("hello",):
        path = os.path.join(lambda_dir, name, "bootstrap.zip")
        bootstraps[name] = unpack(path, os.path.join(work, "rust", name))
        zips[name] = {"zip_bytes": os.path.getsize(path), "bootstrap_bytes": os.path.getsize(bootstraps[name])}
    result["zip"] = zips

    functions = [Function("hello", "hello", [bootstraps["hello"]])]
    functions += [Function("rust", name, [bootstraps[name]]) for name in FUNCTIONS]
    # Earlier builds kept for comparison (see bench/variants.json).
    variants_dir = os.path.join(target, "bench-variants")
    with open(os.path.join(HERE, "variants.json")) as f:
        variant_notes = json.load(f)
    measured_variants = []
    variant_sizes = {}
    for variant in variant_notes:
        folder = os.path.join(variants_dir, variant["name"])
        if variant.get("current") or not os.path.isdir(folder):
            continue
        for name in FUNCTIONS:
            path = os.path.join(folder, name, "bootstrap")
            if os.path.exists(path):
                functions.append(Function(variant["name"], name, [path]))
                if variant["name"] not in measured_variants:
                    measured_variants.append(variant["name"])
                archive = os.path.join(folder, name, "bootstrap.zip")
                variant_sizes.setdefault(variant["name"], {})[name] = {
                    "bootstrap_bytes": os.path.getsize(path),
                    "zip_bytes": os.path.getsize(archive) if os.path.exists(archive) else None}
    result["variants_measured"] = measured_variants
    result["variant_sizes"] = variant_sizes

    node_dir = os.path.join(HERE, "reference", "node")
    python_dir = os.path.join(HERE, "reference", "python")
    references = []
    if node and os.path.isdir(os.path.join(node_dir, "node_modules")):
        references += [Function("node", name, [node, "bootstrap.js", NODE_HANDLERS[name]], cwd=node_dir)
                       for name in FUNCTIONS]
    else:
        log("Node.js reference skipped: no node or no node_modules (make bench runs npm ci)")
    if os.path.isdir(os.path.join(python_dir, ".deps", "awslambdaric")):
        pyenv = {"PYTHONPATH": os.pathsep.join([os.path.join(python_dir, ".deps"), python_dir]),
                 "LAMBDA_TASK_ROOT": python_dir}
        references += [Function("python", name, [sys.executable, "-m", "awslambdaric", PYTHON_HANDLERS[name]],
                                cwd=python_dir, env=pyenv) for name in FUNCTIONS]
    else:
        log("Python reference skipped: awslambdaric not installed in bench/reference/python/.deps")
    functions += references
    result["references"] = sorted({f.stack for f in references})

    moto = MotoServer().start()
    try:
        client = moto.client(region=REGION)
        ours = moto.create_table()
        theirs = create_reference_table(client, f"reference-{uuid.uuid4().hex[:8]}")
        base = int(time.time() * 1000) - 5_000_000
        fill(client, ours, ref_records, our_item, base)
        fill(client, theirs, ref_records, reference_item, base)
        env_ours = {"TABLE_NAME": ours, "AWS_ENDPOINT_URL_DYNAMODB": moto.endpoint}
        env_theirs = {"TABLE_NAME": theirs, "AWS_ENDPOINT_URL_DYNAMODB": moto.endpoint}

        def env_for(f: Function) -> dict:
            return env_theirs if f.stack in ("node", "python") else env_ours

        log(f"cold starts: {starts} rounds of {len(functions)} functions")
        cold = cold_starts(functions, starts, env_for, logs)
        result["cold_start"] = cold

        log(f"warm runs: {warm} invocations per function")
        warm_results = {}
        order = ["health-check", "get-epoch-store", "store-epoch-time", "hello"]
        for function in sorted((f for f in functions if f.stack in ("rust", "hello", "node", "python")),
                               key=lambda f: (order.index(f.name), f.stack)):
            # A Scan-based GET takes ~0.3 s a call on moto; its memory peaks
            # with the table size, not the number of calls.
            scans = function.stack in ("node", "python") and function.name == "get-epoch-store"
            count = min(warm, ref_get_warm) if scans else warm
            warm_results[function.label] = warm_run(function, count, env_for(function), logs)
            log(f"warm {function.label}: peak RSS {warm_results[function.label]['peak_rss_kb']} kB")
        result["warm"] = warm_results

        log("power tuning: memory sizes under Lambda's CPU share, DynamoDB over TLS")
        hello = next(f for f in functions if f.stack == "hello")
        ours_rust = [f for f in functions if f.stack == "rust"]
        # Its own tables, the one GET reads small and fixed: moto's Query time
        # grows with the partition and, unthrottled, would otherwise stand in
        # for most of a GET's duration.
        tuning_reads, tuning_writes = moto.create_table(), moto.create_table()
        fill(client, tuning_reads, env_int("BENCH_TUNING_RECORDS", 101), our_item, base)
        result["tuning"] = Tuning(hello, ours_rust, (tuning_reads, tuning_writes), moto.endpoint, work, logs).run()
        result["table_records_at_end"] = {
            "ours": client.describe_table(TableName=ours)["Table"].get("ItemCount"),
            "reference": client.scan(TableName=theirs, Select="COUNT")["Count"]}
    finally:
        moto.stop()

    log(f"read cost at {sizes}")
    result["read_cost"] = read_cost(sizes)

    result["handlers"] = handler_bench()
    result["duration_s"] = round(time.time() - started, 1)
    result["variant_notes"] = variant_notes

    with open(os.path.join(HERE, "report.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=False)
        f.write("\n")
    with open(os.path.join(HERE, "report.md"), "w") as f:
        f.write(report.render(result))
    if result["tuning"].get("failures"):
        log(f"failed runs: their logs are kept in {logs}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    log(f"done in {result['duration_s']} s: bench/report.md, bench/report.json")


def cold_starts(functions: list[Function], starts: int, env_for, logs: str) -> dict:
    results = {f.label: {"init_ms": [], "init_cpu_ms": [], "first_response_ms": [], "first_invoke_ms": []}
               for f in functions}
    for round_ in range(starts):
        # Round robin, so drift in the machine's load touches every function alike.
        for function in functions:
            run = Running(function, env_for(function), os.path.join(logs, f"{function.stack}-{function.name}.cold.log"))
            try:
                init = run.wait_init()
                init_cpu = run.cpu_ms()
                invoke_ms, _ = run.invoke()
                first = (time.perf_counter() - run.spawned) * 1000
            finally:
                run.stop()
            r = results[function.label]
            r["init_cpu_ms"].append(init_cpu)
            r["init_ms"].append(init)
            r["first_response_ms"].append(first)
            r["first_invoke_ms"].append(invoke_ms)
        if round_ + 1 in (1, starts // 2, starts):
            log(f"cold starts: round {round_ + 1}/{starts}")
    return {label: {k: summary(v) | {"samples": [round(x, 3) for x in v]} for k, v in r.items()}
            for label, r in results.items()}


if __name__ == "__main__":
    main()
