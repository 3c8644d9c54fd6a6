"""The failover drill on the local emulation (`make run`, `make local-failover`,
`make local-recover`): traffic splits between healthy regions, drains from a
failed one after the detection window without a single failed client request,
and comes back after recovery. Also: replication lag and the control endpoint.
"""

from __future__ import annotations

import collections
import os
import subprocess
import threading
import time

from local_harness import REGIONS, binary_path, http, local_factory  # noqa: F401

PROBE_INTERVAL_MS = 200
FAILURE_THRESHOLD = 3
# Detection: THRESHOLD failed probes, up to one interval before the first one
# starts, plus a margin for a busy CI machine.
DETECTION_S = PROBE_INTERVAL_MS * (FAILURE_THRESHOLD + 1) / 1000 + 1.0
DRILL = {"PROBE_INTERVAL_MS": PROBE_INTERVAL_MS, "FAILURE_THRESHOLD": FAILURE_THRESHOLD}


def store(url: str, **headers):
    response = http("POST", f"{url}/storeEpochTime", headers=headers)
    assert response.status == 201, (response.status, response.body)
    body = response.json()
    assert body["region"] == response.region, "the JSON region and the header agree"
    return response


def regions_serving(url: str, count: int) -> collections.Counter:
    return collections.Counter(store(url).region for _ in range(count))


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class ClientLoop(threading.Thread):
    """Sends requests back to back, as a client would during the drill."""

    def __init__(self, url: str, method: str, path: str):
        super().__init__(daemon=True)
        self.url, self.method, self.path = url, method, path
        self.results = []  # (start time, status, region or error)
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            started = time.monotonic()
            response = http(self.method, f"{self.url}{self.path}", timeout=10)
            self.results.append((started, response.status, response.region or response.error))

    def stop(self):
        self.stopping.set()
        self.join(timeout=15)


def test_health_through_the_front_door(local_factory):
    local = local_factory(**DRILL)
    seen = set()
    for _ in range(4):
        response = http("GET", f"{local.url}/health")
        assert response.status == 200, response.body
        body = response.json()
        assert body["status"] == "ok"
        assert body["checks"] == {"store": "ok"}
        assert body["region"] == response.region
        seen.add(response.region)
    assert seen == set(REGIONS), "equal weights: both regions answer"


def test_failover_drill(local_factory):
    local = local_factory(**DRILL)

    # Both healthy: traffic splits between the regions.
    before = regions_serving(local.url, 40)
    assert set(before) == set(REGIONS), before
    assert min(before.values()) >= 5, before

    # Fail eu-west-3 while clients keep sending requests.
    clients = [ClientLoop(local.url, "POST", "/storeEpochTime"),
               ClientLoop(local.url, "GET", "/getEpochStore?limit=5")]
    for client in clients:
        client.start()
    time.sleep(0.3)
    response = local.set_status("eu-west-3", "fail")
    assert response.status == 204, response.body
    failed_at = time.monotonic()
    assert local.regions_state()["eu-west-3"]["status"] == "fail"
    # The failed region still serves what reaches it; its health check fails.
    health = http("GET", f"{local.region_url('eu-west-3')}/health")
    assert health.status == 503 and health.json()["status"] == "fail"
    wait_until(lambda: not local.regions_state()["eu-west-3"]["healthy"], DETECTION_S,
               "the front door to mark eu-west-3 unhealthy")
    time.sleep(max(0.0, failed_at + DETECTION_S - time.monotonic()))
    settled_at = time.monotonic()
    time.sleep(1.5)
    for client in clients:
        client.stop()

    results = [r for client in clients for r in client.results]
    failures = [r for r in results if r[1] is None or not 200 <= r[1] < 300]
    assert not failures, f"{len(failures)} of {len(results)} client requests failed: {failures[:5]}"
    after = [r for r in results if r[0] >= settled_at]
    assert len(after) >= 10, "the clients kept sending after the detection window"
    assert {r[2] for r in after} == {"eu-central-1"}, collections.Counter(r[2] for r in after)
    assert regions_serving(local.url, 20) == {"eu-central-1": 20}
    assert http("GET", f"{local.url}/health").region == "eu-central-1"

    # Recover: both regions serve again.
    assert local.set_status("eu-west-3", "ok").status == 204
    wait_until(lambda: local.regions_state()["eu-west-3"]["healthy"], DETECTION_S,
               "the front door to mark eu-west-3 healthy again")
    recovered = regions_serving(local.url, 40)
    assert set(recovered) == set(REGIONS), recovered
    assert min(recovered.values()) >= 5, recovered

    # Every health decision was logged, with its counts.
    decisions = [(line.get("region"), line.get("message", "")) for line in local.log_lines()
                 if "turned" in line.get("message", "")]
    assert any(r == "eu-west-3" and "unhealthy" in m for r, m in decisions), decisions
    assert any(r == "eu-west-3" and "turned healthy" in m for r, m in decisions), decisions
    unhealthy = next(line for line in local.log_lines() if "turned unhealthy" in line.get("message", ""))
    assert unhealthy["consecutive_failures"] == FAILURE_THRESHOLD
    assert unhealthy["threshold"] == FAILURE_THRESHOLD


def test_every_region_failed_means_every_region_serves(local_factory):
    """Route53 answers with all records when none is healthy; so does the front door."""
    local = local_factory(**DRILL)
    for region in REGIONS:
        assert local.set_status(region, "fail").status == 204
    wait_until(lambda: not any(r["healthy"] for r in local.regions_state().values()), DETECTION_S,
               "both regions to turn unhealthy")
    counts = regions_serving(local.url, 20)
    assert set(counts) == set(REGIONS), counts


def test_control_endpoint(local_factory):
    local = local_factory(**DRILL)
    state = http("GET", f"{local.url}/_local/regions").json()
    assert state["frontDoor"] == local.url
    assert state["probeIntervalMs"] == PROBE_INTERVAL_MS
    assert state["failureThreshold"] == FAILURE_THRESHOLD
    assert [r["name"] for r in state["regions"]] == REGIONS
    assert [r["port"] for r in state["regions"]] == [local.port + 1, local.port + 2]
    assert all(r["healthy"] and r["status"] == "ok" for r in state["regions"])
    assert "in-memory" in state["store"]

    unknown = local.set_status("us-east-1", "fail")
    assert unknown.status == 404 and unknown.json()["error"]["code"] == "unknown_region"
    invalid = local.set_status("eu-west-3", "down")
    assert invalid.status == 400 and invalid.json()["error"]["code"] == "invalid_status"
    wrong_method = http("GET", f"{local.url}/_local/regions/eu-west-3/status")
    assert wrong_method.status == 405
    assert http("GET", f"{local.url}/_local/nothing").status == 404
    assert local.regions_state()["eu-west-3"]["status"] == "ok"
    assert local.set_status("eu-west-3", "FAIL\n").status == 204
    assert local.regions_state()["eu-west-3"]["status"] == "fail"


def test_front_door_passes_the_api_contract_through(local_factory):
    local = local_factory(**DRILL)
    too_large = http("POST", f"{local.url}/storeEpochTime", body=b"x" * (64 * 1024 + 1))
    assert too_large.status == 413
    assert too_large.json()["error"]["code"] == "payload_too_large"
    assert too_large.region in REGIONS
    unknown = http("GET", f"{local.url}/nope")
    assert unknown.status == 404 and unknown.json()["error"]["code"] == "not_found"
    assert unknown.region in REGIONS
    page = http("GET", f"{local.url}/getEpochStore?limit=0")
    assert page.status == 400 and page.json()["error"]["code"] == "invalid_limit"
    first = store(local.url, **{"Idempotency-Key": "drill-1"})
    again = http("POST", f"{local.url}/storeEpochTime", headers={"Idempotency-Key": "drill-1"})
    assert again.status == 200 and again.json()["id"] == first.json()["id"]
    assert again.region != first.region, "round robin: the retry reached the other region"


def test_replication_lag_shows_the_consistency_window(local_factory):
    lag_ms = 2000
    local = local_factory(REPLICATION_LAG_MS=lag_ms, **DRILL)
    assert "asynchronous replication" in http("GET", f"{local.url}/_local/regions").json()["store"]
    central, west = local.region_url("eu-central-1"), local.region_url("eu-west-3")

    def ids(url):
        return {item["id"] for item in http("GET", f"{url}/getEpochStore?limit=1000").json()["items"]}

    started = time.monotonic()
    record = store(central).json()
    assert record["region"] == "eu-central-1"
    visible_in_west = record["id"] in ids(west)
    checked_after = time.monotonic() - started
    assert checked_after < lag_ms / 1000, "the check ran inside the window"
    assert not visible_in_west, "a write is not in the other replica before the lag"
    assert record["id"] in ids(central)
    wait_until(lambda: record["id"] in ids(west), lag_ms / 1000 + 3, "the write to replicate")
    assert time.monotonic() - started >= lag_ms / 1000 * 0.9

    # Within the window an idempotent retry that fails over stores twice.
    first = http("POST", f"{central}/storeEpochTime", headers={"Idempotency-Key": "lag-1"}).json()
    retry = http("POST", f"{west}/storeEpochTime", headers={"Idempotency-Key": "lag-1"})
    assert retry.status == 201 and retry.json()["id"] != first["id"]


def test_replication_lag_needs_the_in_memory_store():
    env = dict(os.environ, REPLICATION_LAG_MS="100", AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:9")
    result = subprocess.run([binary_path()], env=env, capture_output=True, text=True, timeout=20)
    assert result.returncode != 0
    assert "REPLICATION_LAG_MS works only with the in-memory store" in result.stderr


def test_dynamodb_endpoint_is_one_table_for_every_region(local_factory, moto):
    """With AWS_ENDPOINT_URL_DYNAMODB the regions share one table, created if missing."""
    table = f"epochstore-local-{os.getpid()}-{int(time.time() * 1000) % 100000}"
    env = {"AWS_ENDPOINT_URL_DYNAMODB": moto.endpoint, "TABLE_NAME": table, **DRILL}
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        env[name] = ""  # the emulation supplies dummy credentials
    local = local_factory(**env)
    assert table in http("GET", f"{local.url}/_local/regions").json()["store"]
    written = {store(local.url).json()["id"] for _ in range(6)}
    for region in REGIONS:
        page = http("GET", f"{local.region_url(region)}/getEpochStore?limit=100")
        assert page.status == 200, page.body
        assert {item["id"] for item in page.json()["items"]} == written
        health = http("GET", f"{local.region_url(region)}/health")
        assert health.status == 200 and health.json()["checks"]["store"] == "ok"
