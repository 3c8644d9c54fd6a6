"""Reliability through the local front door (what `make run` starts): bad input
stores nothing, load loses nothing and duplicates nothing, a failover drill
under load fails no request, and a store outage is a 503 the same process
recovers from. Loopback only; every loop is bounded."""

from __future__ import annotations

import http.client
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from local_harness import http as fetch, local_factory  # noqa: F401  (fixture)

LOAD = 5_000
CONCURRENCY = 32


class Client:
    """Keep-alive HTTP/1.1 connections to the front door, one per thread."""

    def __init__(self, port: int):
        self.port = port
        self.local = threading.local()

    def call(self, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
        for attempt in range(2):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                conn.request(method, path, body=body, headers=headers or {})
                response = conn.getresponse()
                return response.status, dict(response.getheaders()), response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed between requests:
                # nothing was processed, so reconnecting is safe.
                conn.close()
                self.local.conn = None
                if attempt:
                    raise


def all_records(base_url: str) -> list[dict]:
    """Every stored record, by walking the pages (limit 1000)."""
    records, cursor = [], None
    for _ in range(1_000):
        path = "/getEpochStore?limit=1000" + (f"&cursor={cursor}" if cursor else "")
        page = fetch("GET", base_url + path).json()
        records.extend(page["items"])
        cursor = page["nextCursor"]
        if cursor is None:
            return records
    raise AssertionError("pagination did not end")


def post_many(client: Client, keys: list[str]) -> list[tuple[int, dict]]:
    import json

    def one(key):
        status, _, body = client.call("POST", "/storeEpochTime", {"Idempotency-Key": key})
        return status, json.loads(body)

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        return list(pool.map(one, keys))


@pytest.mark.parametrize("backend", ["memory", "moto"])
def test_load_stores_every_post_once_even_when_each_is_retried(backend, local_factory, request):  # noqa: F811
    env = {"PROBE_INTERVAL_MS": "500"}
    if backend == "moto":
        moto = request.getfixturevalue("moto")
        env.update({"AWS_ENDPOINT_URL_DYNAMODB": moto.endpoint, "TABLE_NAME": moto.create_table()})
    emulation = local_factory(**env)
    client = Client(emulation.port)
    keys = [f"load-{backend}-{uuid.uuid4().hex}" for _ in range(LOAD)]

    first = post_many(client, keys)
    assert [status for status, _ in first] == [201] * LOAD, {s for s, _ in first}
    ids = [record["id"] for _, record in first]
    assert len(set(ids)) == LOAD, "every id unique"
    served_by = {record["region"] for _, record in first}
    assert served_by == {"eu-central-1", "eu-west-3"}, "equal weights spread the load"

    retried = post_many(client, keys)
    assert [status for status, _ in retried] == [200] * LOAD, {s for s, _ in retried}
    assert [record["id"] for _, record in retried] == ids, "each retry returns its first record"

    stored = [r["id"] for r in all_records(emulation.url)]
    assert len(stored) == LOAD and set(stored) == set(ids), "exactly the records posted, no duplicate"


def test_failover_under_load_loses_no_request(local_factory):  # noqa: F811
    emulation = local_factory(PROBE_INTERVAL_MS="100", FAILURE_THRESHOLD="2")
    client = Client(emulation.port)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def worker():
        import json

        for _ in range(2_000):  # bounded even if the drill stalls
            if stop.is_set():
                return
            status, headers, body = client.call("POST", "/storeEpochTime")
            with lock:
                results.append((status, json.loads(body).get("id", "")))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    assert emulation.set_status("eu-west-3", "fail").status == 204
    time.sleep(1.5)
    with lock:
        during = len(results)
    # After the detection window, new requests go to the healthy region only.
    drained = [client.call("GET", "/health") for _ in range(20)]
    assert {h.get("x-epochstore-region") for _, h, _ in drained} == {"eu-central-1"}
    assert emulation.set_status("eu-west-3", "ok").status == 204
    time.sleep(1.5)
    stop.set()
    for t in threads:
        t.join(timeout=30)

    statuses = {status for status, _ in results}
    assert statuses == {201}, f"every request during the drill succeeded: {statuses}"
    assert len(results) > during > 0
    ids = [record_id for _, record_id in results]
    stored = {r["id"] for r in all_records(emulation.url)}
    assert len(set(ids)) == len(ids) and stored == set(ids), "nothing lost, nothing duplicated"
    recovered = {client.call("GET", "/health")[1].get("x-epochstore-region") for _ in range(40)}
    assert recovered == {"eu-central-1", "eu-west-3"}, "both regions serve again"


GENUINE = object()  # placeholder for a cursor issued by the running service
BAD_INPUT = [
    # (method, path, headers, body, status, error code)
    ("GET", "/getEpochStore?limit=0", {}, None, 400, "invalid_limit"),
    ("GET", "/getEpochStore?limit=-5", {}, None, 400, "invalid_limit"),
    ("GET", "/getEpochStore?limit=1001", {}, None, 400, "invalid_limit"),
    ("GET", "/getEpochStore?limit=99999999999999999999999", {}, None, 400, "invalid_limit"),
    ("GET", "/getEpochStore?limit=2.5", {}, None, 400, "invalid_limit"),
    ("GET", "/getEpochStore?limit=ten", {}, None, 400, "invalid_limit"),
    ("GET", "/getEpochStore?limit=", {}, None, 400, "invalid_limit"),
    ("GET", "/getEpochStore?limit=%31%30", {}, None, 400, "invalid_limit"),
    ("GET", "/getEpochStore?limit=1&limit=2", {}, None, 400, "invalid_query"),
    ("GET", "/getEpochStore?cursor=forged", {}, None, 400, "invalid_cursor"),
    ("GET", "/getEpochStore?cursor=0f8fad5bd9cb469fa165708677289c0e", {}, None, 400, "invalid_cursor"),
    ("GET", "/getEpochStore?cursor=eyJwayI6ImlkZW0jeCJ9", {}, None, 400, "invalid_cursor"),
    ("POST", "/storeEpochTime", {"Idempotency-Key": "has space"}, None, 400, "invalid_idempotency_key"),
    ("POST", "/storeEpochTime", {"Idempotency-Key": "k" * 129}, None, 400, "invalid_idempotency_key"),
    ("POST", "/storeEpochTime", {"Idempotency-Key": "semi;colon"}, None, 400, "invalid_idempotency_key"),
    ("POST", "/storeEpochTime", {}, b"\0" * (64 * 1024 + 1), 413, "payload_too_large"),
    ("POST", "/storeEpochTime", {}, b"x" * (2 * 1024 * 1024), 413, "payload_too_large"),
    ("GET", "/getEpochStore/../health", {}, None, 404, "not_found"),
    ("GET", "/health/", {}, None, 404, "not_found"),
    ("GET", "/HEALTH", {}, None, 404, "not_found"),
    ("POST", "/unknown", {}, None, 404, "not_found"),
    ("GET", "/storeEpochTime", {}, None, 405, "method_not_allowed"),
    ("PUT", "/storeEpochTime", {}, None, 405, "method_not_allowed"),
    ("DELETE", "/getEpochStore", {}, None, 405, "method_not_allowed"),
    ("POST", "/health", {}, None, 405, "method_not_allowed"),
]


def test_bad_input_through_the_front_door_gets_its_documented_error_and_writes_nothing(local_factory):  # noqa: F811
    import json

    emulation = local_factory()
    client = Client(emulation.port)
    for _ in range(5):
        assert client.call("POST", "/storeEpochTime")[0] == 201
    before = len(all_records(emulation.url))

    for method, path, headers, body, status, code in BAD_INPUT:
        got, response_headers, raw = client.call(method, path, headers, body)
        assert got == status, (method, path, got, raw[:200])
        error = json.loads(raw)["error"]
        assert error["code"] == code and error["message"], (method, path, error)
        if status == 405:
            assert response_headers.get("allow"), (method, path)
    assert len(all_records(emulation.url)) == before, "no bad request wrote anything"

    # A truncated, a re-encoded and a genuine cursor from the other region.
    first = json.loads(client.call("GET", "/getEpochStore?limit=2")[2])
    cursor = first["nextCursor"]
    for forged in (cursor[:-1], cursor.upper(), cursor + "0", "%" + cursor[1:]):
        got, _, raw = client.call("GET", f"/getEpochStore?cursor={forged}")
        assert got == 400 and json.loads(raw)["error"]["code"] == "invalid_cursor", forged
    for region in emulation.regions:
        status, headers, raw = _direct(emulation.region_url(region), f"/getEpochStore?limit=2&cursor={cursor}")
        assert status == 200 and headers.get("x-epochstore-region") == region
        assert [r["id"] for r in json.loads(raw)["items"]] == [
            r["id"] for r in json.loads(client.call("GET", f"/getEpochStore?limit=2&cursor={cursor}")[2])["items"]]

    # HEAD, OPTIONS and unusual Accept headers.
    status, headers, raw = client.call("HEAD", "/getEpochStore")
    assert status == 200 and raw == b"" and headers.get("content-type") == "application/json"
    status, headers, raw = client.call("OPTIONS", "/storeEpochTime")
    assert status == 204 and headers.get("allow") == "POST, OPTIONS"
    for accept in ("*/*", "image/png", "text/html;q=0", "application/json;q=0.1, text/html", "garbage;;;"):
        status, headers, raw = client.call("GET", "/getEpochStore?limit=1", {"Accept": accept})
        assert status == 200, accept
        expected = "text/html" if accept == "application/json;q=0.1, text/html" else "application/json"
        assert headers.get("content-type", "").startswith(expected), (accept, headers.get("content-type"))
    assert len(all_records(emulation.url)) == before


def _direct(base_url: str, path: str):
    response = fetch("GET", base_url + path)
    return response.status, response.headers, response.body


def test_a_store_outage_is_503_with_retry_after_and_the_same_process_recovers(local_factory, moto):  # noqa: F811
    import json

    table = moto.create_table()
    emulation = local_factory(AWS_ENDPOINT_URL_DYNAMODB=moto.endpoint, TABLE_NAME=table,
                              PROBE_INTERVAL_MS="200", DYNAMODB_OPERATION_TIMEOUT_MS="1500",
                              DYNAMODB_ATTEMPT_TIMEOUT_MS="500")
    client = Client(emulation.port)
    assert client.call("POST", "/storeEpochTime")[0] == 201
    pid = emulation.process.pid

    moto.stop()
    try:
        for method, path in (("POST", "/storeEpochTime"), ("GET", "/getEpochStore")):
            started = time.monotonic()
            status, headers, raw = client.call(method, path)
            assert status == 503, (method, raw)
            assert headers.get("retry-after") == "1"
            assert json.loads(raw)["error"]["code"] == "store_unavailable"
            assert time.monotonic() - started < 5, "within the configured SDK timeout"
        status, _, raw = client.call("GET", "/health")
        assert status == 503 and json.loads(raw)["checks"]["store"] in ("unreachable", "timeout")
    finally:
        moto.start()
        moto.create_table(table)
    deadline = time.monotonic() + 15
    while client.call("POST", "/storeEpochTime")[0] != 201:
        assert time.monotonic() < deadline, "the process did not recover"
        time.sleep(0.2)
    assert client.call("GET", "/health")[0] == 200
    assert emulation.process.pid == pid and emulation.process.poll() is None, "no restart"
