"""Exactly once whatever happens to DynamoDB's answer: the release
`bootstrap` runs under the Runtime API emulator as Lambda runs it, and talks
to moto through a fault-injecting proxy (tests/py/fault_proxy.py) that lets a
call commit and then loses, delays or replaces its answer, or throttles it.
The SDK's real retries and timeouts run; every case asserts the status, the
body and the exact items in the table (read from moto directly)."""

from __future__ import annotations

import pytest

from fault_proxy import FaultProxy
from test_runtime_e2e import body, bootstraps, functions  # noqa: F401  (bootstraps is a fixture)

PUT, QUERY, GET = "PutItem", "Query", "GetItem"
# Faults after which the write has committed, then the faults that refuse it.
LOST_ANSWERS = ("drop", "delay", "5xx")
REFUSED = ("throttle", "throughput")
# The delayed answer arrives after the SDK gave up on the attempt: the proxy
# holds it DELAY seconds, well past the attempt (and probe) timeout, which
# stays long enough for moto's ordinary answers on a busy machine.
ENV = {"DYNAMODB_ATTEMPT_TIMEOUT_MS": "1000", "HEALTH_PROBE_TIMEOUT_MS": "1000"}
DELAY = 2.5


@pytest.fixture
def table(moto):
    name = moto.create_table()
    client = moto.client()

    def items() -> dict[str, list[dict]]:
        """Every item, by kind: records and idempotency entries, plain values."""
        found = client.scan(TableName=name, ConsistentRead=True)["Items"]
        plain = [{k: next(iter(v.values())) for k, v in item.items()} for item in found]
        return {
            "records": sorted((i for i in plain if i["pk"].startswith("rec#")), key=lambda i: i["sk"]),
            "entries": sorted((i for i in plain if i["pk"].startswith("idem#")), key=lambda i: i["pk"]),
        }

    items.name = name
    return items


@pytest.fixture
def proxy(moto):
    p = FaultProxy(moto.endpoint, delay_seconds=DELAY)
    yield p
    p.close()


@pytest.fixture
def run(bootstraps, table, proxy):  # noqa: F811
    """Functions whose DynamoDB endpoint is the proxy."""
    with functions(bootstraps, table.name, proxy.endpoint, **ENV) as launch:
        yield launch


def record_item(record: dict) -> dict:
    return {"pk": "rec#0", "sk": record["id"], "epochMillis": str(record["epochMillis"]),
            "region": record["region"]}


def entry_item(key: str, record: dict) -> dict:
    return {"pk": f"idem#{key}", "sk": "idem", "recordId": record["id"],
            "epochMillis": str(record["epochMillis"]), "region": record["region"]}


def without_expiry(items: list[dict]) -> list[dict]:
    return [{k: v for k, v in item.items() if k != "expiresAt"} for item in items]


def assert_created(response: dict) -> dict:
    assert response["statusCode"] == 201, response
    assert "idempotent-replayed" not in response["headers"], response["headers"]
    record = body(response)
    assert set(record) == {"id", "epoch", "epochMillis", "storedAt", "region"}
    assert record["region"] == "eu-central-1"
    return record


@pytest.mark.parametrize("mode", LOST_ANSWERS + REFUSED)
def test_post_without_a_key_stores_one_record_and_answers_201(run, table, proxy, mode):
    store = run("store-epoch-time")
    proxy.fail(PUT, mode)
    record = assert_created(store.call("POST", "/storeEpochTime"))
    assert proxy.injected(PUT) == [mode, "forward"], "the SDK retried once"
    assert table() == {"records": [record_item(record)], "entries": []}


@pytest.mark.parametrize("mode", LOST_ANSWERS + REFUSED)
def test_post_with_a_new_key_claims_it_once_and_answers_201(run, table, proxy, mode):
    store = run("store-epoch-time")
    proxy.fail(PUT, mode)  # the entry's claim
    record = assert_created(store.call("POST", "/storeEpochTime", headers={"Idempotency-Key": "k-1"}))
    assert proxy.injected(PUT) == [mode, "forward", "forward"]
    items = table()
    assert items["records"] == [record_item(record)]
    assert without_expiry(items["entries"]) == [entry_item("k-1", record)]


@pytest.mark.parametrize("mode", LOST_ANSWERS)
def test_post_with_a_new_key_whose_record_answer_is_lost_answers_201(run, table, proxy, mode):
    store = run("store-epoch-time")
    proxy.fail(PUT, mode, skip=1)  # the record's put, after the claim
    record = assert_created(store.call("POST", "/storeEpochTime", headers={"Idempotency-Key": "k-2"}))
    assert proxy.injected(PUT) == ["forward", mode, "forward"]
    items = table()
    assert items["records"] == [record_item(record)]
    assert without_expiry(items["entries"]) == [entry_item("k-2", record)]


@pytest.mark.parametrize("mode", LOST_ANSWERS + REFUSED)
def test_a_replay_under_faults_answers_200_with_the_first_record(run, table, proxy, mode):
    store = run("store-epoch-time")
    first = assert_created(store.call("POST", "/storeEpochTime", headers={"Idempotency-Key": "k-3"}))
    proxy.clear()
    proxy.fail(PUT, mode)
    again = store.call("POST", "/storeEpochTime", headers={"Idempotency-Key": "k-3"})
    assert again["statusCode"] == 200, again
    assert again["headers"]["idempotent-replayed"] == "true"
    assert body(again) == first
    items = table()
    assert items["records"] == [record_item(first)]
    assert without_expiry(items["entries"]) == [entry_item("k-3", first)]


def test_throttling_past_every_attempt_is_a_503_with_nothing_stored(run, table, proxy):
    store = run("store-epoch-time")
    proxy.fail(PUT, "throttle", times=100)
    response = store.call("POST", "/storeEpochTime", headers={"Idempotency-Key": "k-4"})
    assert response["statusCode"] == 503, response
    assert response["headers"]["retry-after"] == "1"
    assert body(response)["error"]["code"] == "throttled"
    assert proxy.injected(PUT) == ["throttle"] * 3, "DYNAMODB_MAX_ATTEMPTS (3) attempts"
    assert table() == {"records": [], "entries": []}


@pytest.mark.parametrize("mode", LOST_ANSWERS + REFUSED)
def test_the_listing_under_faults_answers_200_with_every_record(run, table, proxy, mode):
    store = run("store-epoch-time")
    stored = [assert_created(store.call("POST", "/storeEpochTime")) for _ in range(3)]
    get = run("get-epoch-store")
    proxy.clear()
    proxy.fail(QUERY, mode)
    response = get.call("GET", "/getEpochStore?limit=10")
    assert response["statusCode"] == 200, response
    page = body(response)
    assert page["items"] == stored[::-1] and page["nextCursor"] is None
    # Two Queries (the shard and the shard marks, at once): the first to
    # arrive meets the fault and its retry goes through.
    assert proxy.injected(QUERY) == [mode, "forward", "forward"]
    assert table()["records"] == [record_item(r) for r in stored]


# The probe is one bounded read without retries (a dead store must turn the
# check red within about a second); Route53 fails a region over only after
# several failed checks in a row, so one lost answer does not move traffic.
# Throttling means the store answers: the region stays healthy.
HEALTH = {
    "drop": (503, "unreachable"),
    "delay": (503, "timeout"),
    "5xx": (503, "unreachable"),
    "throttle": (200, "throttled"),
    "throughput": (200, "throttled"),
}


@pytest.mark.parametrize("mode", LOST_ANSWERS + REFUSED)
def test_the_health_probe_under_faults(run, table, proxy, mode):
    health = run("health-check")
    proxy.fail(GET, mode)
    status, store = HEALTH[mode]
    response = health.call("GET", "/health")
    assert response["statusCode"] == status, response
    assert body(response)["checks"] == {"store": store}
    assert proxy.injected(GET) == [mode], "the probe does not retry"
    after = health.call("GET", "/health")
    assert after["statusCode"] == 200 and body(after)["checks"] == {"store": "ok"}
    assert table() == {"records": [], "entries": []}
