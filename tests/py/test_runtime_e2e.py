"""The deployed artifacts, end to end: each `bootstrap` from `make build` runs
under the Runtime API emulator with Lambda's environment, fed API Gateway HTTP
API payload 2.0 events, storing in moto."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import zipfile

import pytest

from lambda_emulator import RuntimeApi, http_api_event, lambda_dir, lambda_environment, start

FUNCTIONS = ("store-epoch-time", "get-epoch-store", "health-check")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def bootstraps(tmp_path_factory):
    """Unpacks each function's zip exactly as Lambda does."""
    paths = {}
    for function in FUNCTIONS:
        archive = os.path.join(lambda_dir(), function, "bootstrap.zip")
        assert os.path.exists(archive), f"{archive} missing: run `make build` first"
        target = tmp_path_factory.mktemp(function)
        with zipfile.ZipFile(archive) as z:
            assert z.namelist() == ["bootstrap"], z.namelist()
            z.extractall(target)
        path = target / "bootstrap"
        path.chmod(0o755)
        paths[function] = str(path)
    return paths


class Function:
    def __init__(self, bootstrap: str, name: str, env: dict):
        self.api = RuntimeApi()
        self.process = start([bootstrap], lambda_environment(name, self.api, env))
        self.output: str | None = None
        self.api.wait_for_poll()

    def call(self, method: str, path: str, **kwargs) -> dict:
        outcome = self.api.invoke(http_api_event(method, path, **kwargs))
        assert outcome.kind == "response", outcome
        return outcome.payload

    def stop(self) -> str:
        """Stops the process (once) and returns everything it wrote."""
        if self.output is None:
            self.process.terminate()
            out, _ = self.process.communicate(timeout=10)
            self.api.close()
            self.output = out.decode("utf-8", "replace")
        return self.output


@contextlib.contextmanager
def functions(bootstraps: dict, table: str, endpoint: str, **defaults):
    """Yields `launch(function, **env)`, which starts a function's bootstrap
    on `table` at the DynamoDB `endpoint`; stops every one started on exit."""
    started = []

    def launch(function: str, **env):
        environment = {"TABLE_NAME": table, "AWS_ENDPOINT_URL_DYNAMODB": endpoint, **defaults, **env}
        f = Function(bootstraps[function], f"epochstore-{function}", environment)
        started.append(f)
        return f

    try:
        yield launch
    finally:
        for f in started:
            f.stop()


@pytest.fixture
def run(bootstraps, moto):
    with functions(bootstraps, moto.create_table(), moto.endpoint) as launch:
        yield launch


def body(response: dict) -> dict:
    text = response["body"]
    if response.get("isBase64Encoded"):
        text = base64.b64decode(text).decode()
    return json.loads(text)


def test_store_function_serves_several_invocations_in_one_process(run):
    store = run("store-epoch-time")
    pid = store.process.pid
    ids = set()
    for _ in range(5):
        response = store.call("POST", "/storeEpochTime")
        assert response["statusCode"] == 201
        assert response["headers"]["content-type"] == "application/json"
        assert response["headers"]["x-epochstore-region"] == "eu-central-1"
        record = body(response)
        assert set(record) == {"id", "epoch", "epochMillis", "storedAt", "region"}
        assert record["epoch"] == record["epochMillis"] // 1000
        ids.add(record["id"])
    assert len(ids) == 5
    assert store.process.poll() is None and store.process.pid == pid

    first = store.call("POST", "/storeEpochTime", headers={"Idempotency-Key": "retry-me"})
    again = store.call("POST", "/storeEpochTime", headers={"Idempotency-Key": "retry-me"})
    assert (first["statusCode"], again["statusCode"]) == (201, 200)
    assert body(first) == body(again)
    bad = store.call("POST", "/storeEpochTime", headers={"Idempotency-Key": "no spaces"})
    assert bad["statusCode"] == 400 and body(bad)["error"]["code"] == "invalid_idempotency_key"
    binary = store.call("POST", "/storeEpochTime", body=base64.b64encode(os.urandom(4096)).decode(), base64_encoded=True)
    assert binary["statusCode"] == 201

    assert store.call("GET", "/health")["statusCode"] == 404, "a route the function does not own"
    wrong = store.call("GET", "/storeEpochTime")
    assert wrong["statusCode"] == 405 and wrong["headers"]["allow"] == "POST, OPTIONS"


def test_get_function_lists_newest_first_and_pages(run):
    store = run("store-epoch-time")
    stored = [body(store.call("POST", "/storeEpochTime"))["id"] for _ in range(5)]
    get = run("get-epoch-store")
    first = get.call("GET", "/getEpochStore?limit=3")
    assert first["statusCode"] == 200
    page = body(first)
    assert [item["id"] for item in page["items"]] == stored[::-1][:3]
    assert page["count"] == 3 and page["region"] == "eu-central-1"
    second = body(get.call("GET", f"/getEpochStore?limit=3&cursor={page['nextCursor']}"))
    assert [item["id"] for item in second["items"]] == stored[::-1][3:]
    assert second["nextCursor"] is None

    html = get.call("GET", "/getEpochStore?limit=2", headers={"accept": BROWSER})
    assert html["statusCode"] == 200 and html["headers"]["content-type"].startswith("text/html")
    assert html["body"].count("<tr><td>") == 2 and 'id="next"' in html["body"]

    for query in ("limit=0", "limit=abc", "cursor=forged"):
        bad = get.call("GET", f"/getEpochStore?{query}")
        assert bad["statusCode"] == 400, query
        assert body(bad)["error"]["code"] in ("invalid_limit", "invalid_cursor")
    assert get.call("GET", "/getEpochStore/../health")["statusCode"] == 404
    # API Gateway passes the raw query as sent (curl does not encode it).
    raw = get.call("GET", '/getEpochStore?limit=2&q="<x y>"')
    assert raw["statusCode"] == 200 and body(raw)["count"] == 2
    bad = get.call("GET", "/getEpochStore?limit=<1 0>")
    assert bad["statusCode"] == 400 and body(bad)["error"]["code"] == "invalid_limit"


def test_health_function_reports_store_and_status(run, moto):
    health = run("health-check")
    ok = health.call("GET", "/health")
    assert ok["statusCode"] == 200
    assert body(ok) == {"status": "ok", "region": "eu-central-1", "checks": {"store": "ok"}}
    head = health.call("HEAD", "/health")
    assert head["statusCode"] == 200 and not head.get("body")

    drained = run("health-check", STATUS="fail")
    failed = drained.call("GET", "/health")
    assert failed["statusCode"] == 503
    assert body(failed)["error"]["code"] == "status_fail"

    dead = run("health-check", AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:9")
    unreachable = dead.call("GET", "/health")
    assert unreachable["statusCode"] == 503
    assert body(unreachable)["checks"]["store"] == "unreachable"


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_every_log_line_of_an_invocation_carries_its_request_id_and_trace_id(run):
    """Lambda sends the X-Ray trace header with each event; its Root is the
    trace id the consoles search by, and it lands beside the request id, in
    the application's lines and in the runtime's own."""
    store = run("store-epoch-time")
    dead = run("health-check", AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:9")
    invocations = {
        store: [store.api.invoke(http_api_event("POST", "/storeEpochTime")),
                store.api.invoke(http_api_event("POST", "/storeEpochTime")),
                # Refused by the runtime before the handler runs.
                store.api.invoke({"detail-type": "Scheduled Event", "source": "aws.events"})],
        # A failing probe logs inside the request as well as the access line.
        dead: [dead.api.invoke(http_api_event("GET", "/health"))],
    }
    for function, outcomes in invocations.items():
        lines = json_lines(function.stop())
        for outcome in outcomes:
            trace_id = outcome.trace_header.split(";")[0].removeprefix("Root=")
            own = [line for line in lines
                   if outcome.request_id in (line.get("request_id"), line.get("span", {}).get("request_id"))]
            assert own, (outcome, lines)
            for line in own:
                assert line["span"]["trace_id"] == trace_id, line
                if "request_id" in line:
                    assert line["trace_id"] == trace_id, line
            access = [line["status"] for line in own if line["message"] == "request"]
            assert access == ([outcome.payload["statusCode"]] if outcome.kind == "response" else []), own
    assert any(line["message"] == "health probe failed" for line in json_lines(dead.stop()))


def test_an_event_that_is_not_an_api_request_is_a_function_error_and_the_process_continues(run):
    store = run("store-epoch-time")
    outcome = store.api.invoke({"detail-type": "Scheduled Event", "source": "aws.events"})
    assert outcome.kind == "error", outcome
    assert outcome.payload.get("errorType") and outcome.payload.get("errorMessage")
    outcome = store.api.invoke(b"not json at all")
    assert outcome.kind == "error", outcome
    assert store.call("POST", "/storeEpochTime")["statusCode"] == 201


def test_invalid_configuration_fails_the_cold_start_with_an_init_error(bootstraps):
    api = RuntimeApi()
    env = lambda_environment("epochstore-store-epoch-time", api, {"WRITE_SHARDS": "0"})
    env.pop("AWS_REGION")
    for missing in ("TABLE_NAME",):
        env.pop(missing, None)
    process = start([bootstraps["store-epoch-time"]], env)
    error = api.wait_for_init_error()
    out, _ = process.communicate(timeout=10)
    api.close()
    assert process.returncode != 0
    assert "TABLE_NAME is required" in error["payload"]["errorMessage"]
    assert api.state.polls == 0, "no invocation is polled after a failed init"
    log_lines = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    assert any("TABLE_NAME is required" in json.dumps(line) for line in log_lines), out


# TLS to DynamoDB: the release bootstrap reaches moto through a local TLS
# terminator whose certificate comes from a throwaway CA, so every case below
# runs the real rustls handshake against the trust roots the function chose.

@pytest.fixture(scope="module")
def moto_over_tls(moto, tmp_path_factory):
    from tls_terminator import TlsTerminator

    terminator = TlsTerminator(moto.port, str(tmp_path_factory.mktemp("tls")))
    yield terminator
    terminator.close()


def records_in(moto, table: str) -> int:
    client = moto.client()
    return sum(1 for item in client.scan(TableName=table)["Items"] if item["pk"]["S"].startswith("rec#"))


@pytest.mark.parametrize("tls_env, stored", [
    pytest.param({}, False, id="pinned-roots-refuse-the-test-CA"),
    pytest.param({"AWS_CA_BUNDLE": "{ca}"}, True, id="AWS_CA_BUNDLE-adds-the-test-CA"),
    pytest.param({"DYNAMODB_TRUST_ROOTS": "platform", "SSL_CERT_FILE": "{ca}"}, True,
                 id="platform-roots-read-SSL_CERT_FILE"),
    pytest.param({"DYNAMODB_TRUST_ROOTS": "amazon", "SSL_CERT_FILE": "{ca}"}, False,
                 id="pinned-roots-ignore-SSL_CERT_FILE"),
])
def test_dynamodb_over_tls_trusts_exactly_the_configured_roots(bootstraps, moto, moto_over_tls, tls_env, stored):
    table = moto.create_table()
    env = {"TABLE_NAME": table, "AWS_ENDPOINT_URL_DYNAMODB": moto_over_tls.endpoint,
           "DYNAMODB_MAX_ATTEMPTS": "1"}
    env.update({name: value.format(ca=moto_over_tls.ca_file) for name, value in tls_env.items()})
    store = Function(bootstraps["store-epoch-time"], "epochstore-store-epoch-time", env)
    try:
        response = store.call("POST", "/storeEpochTime")
    finally:
        output = store.stop()
    if stored:
        assert response["statusCode"] == 201, (response, output)
        assert records_in(moto, table) == 1
    else:
        assert response["statusCode"] == 503, (response, output)
        assert body(response)["error"]["code"] == "store_unavailable"
        assert records_in(moto, table) == 0


def init_error(bootstraps, extra: dict) -> tuple[str, str]:
    """Starts the store function with `extra` in its environment, expecting a
    failed cold start; returns the /init/error message and the output."""
    api = RuntimeApi()
    env = lambda_environment("epochstore-store-epoch-time", api, {"TABLE_NAME": "t-tls", **extra})
    process = start([bootstraps["store-epoch-time"]], env)
    error = api.wait_for_init_error()
    out, _ = process.communicate(timeout=10)
    api.close()
    assert process.returncode != 0
    assert api.state.polls == 0, "no invocation is polled after a failed init"
    return error["payload"]["errorMessage"], out.decode("utf-8", "replace")


def test_an_unreadable_or_invalid_ca_bundle_fails_the_cold_start_naming_variable_and_path(bootstraps, tmp_path):
    missing = str(tmp_path / "missing.pem")
    message, output = init_error(bootstraps, {"AWS_CA_BUNDLE": missing})
    assert f"AWS_CA_BUNDLE {missing} cannot be read" in message
    assert "cannot be read" in output, "the cold start's log line says it too"
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")
    message, _ = init_error(bootstraps, {"AWS_CA_BUNDLE": str(garbage)})
    assert f"AWS_CA_BUNDLE {garbage} is not a PEM CA bundle" in message
    message, _ = init_error(bootstraps, {"DYNAMODB_TRUST_ROOTS": "system"})
    assert 'DYNAMODB_TRUST_ROOTS must be amazon or platform, not "system"' in message


def test_a_non_utf8_variable_fails_the_cold_start_only_when_it_is_read(bootstraps, run):
    message, _ = init_error(bootstraps, {"AWS_CA_BUNDLE": b"/etc/\xff.pem"})
    assert message == "invalid configuration: AWS_CA_BUNDLE is not valid UTF-8"
    store = run("store-epoch-time", UNRELATED_SETTING=b"caf\xe9")
    assert store.call("POST", "/storeEpochTime")["statusCode"] == 201
