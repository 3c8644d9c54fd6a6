"""scripts/smoke.sh, the deploy workflow's smoke test, against the local
emulation: it passes through the front door and each region, and fails (exit
non-zero, naming the request) on a 503 health check or when nothing answers;
with SMOKE_TOKEN, a write that needs a JWT carries it."""

from __future__ import annotations

import os
import subprocess

from fake_api import fake_api
from local_harness import REPO, local_factory  # noqa: F401  (fixture)
from ports import free_port_block

SMOKE = os.path.join(REPO, "scripts", "smoke.sh")


def smoke(*urls: str) -> subprocess.CompletedProcess:
    return subprocess.run([SMOKE, *urls], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, SMOKE_RETRIES="0"))


def test_passes_through_the_front_door_and_every_region(local_factory):  # noqa: F811
    local = local_factory()
    urls = [local.url, *(local.region_url(r) for r in local.regions)]
    result = smoke(*urls)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3 * len(urls)
    for url in urls:
        assert f"ok   POST {url}/storeEpochTime: HTTP 201" in lines
        assert f"ok   GET {url}/getEpochStore?limit=5: HTTP 200" in lines
        assert f"ok   GET {url}/health: HTTP 200" in lines


def test_fails_on_a_failing_health_check(local_factory):  # noqa: F811
    local = local_factory()
    assert local.set_status("eu-west-3", "fail").status == 204
    result = smoke(local.region_url("eu-west-3"))
    assert result.returncode != 0
    assert f"FAIL GET {local.region_url('eu-west-3')}/health: HTTP 503" in result.stderr
    # The requests before the health check passed.
    assert "ok   GET" in result.stdout and "ok   POST" in result.stdout


def test_fails_when_nothing_answers():
    url = f"http://127.0.0.1:{free_port_block(1)}"
    result = smoke(url)
    assert result.returncode != 0
    assert f"FAIL POST {url}/storeEpochTime: no answer" in result.stderr


def test_needs_a_url():
    result = smoke()
    assert result.returncode == 2
    assert "usage:" in result.stderr


def token_api(handler) -> tuple:
    """Stands in for an API whose writes need a JWT (jwt_issuer set): POST
    answers 401 unless it carries `Bearer good-token`; reads are public."""
    if handler.command != "POST":
        return 200, {"items": [], "status": "ok"}
    if handler.headers.get("authorization") == "Bearer good-token":
        return 201, {"id": "0190"}
    return 401, {"message": "Unauthorized"}


def test_sends_smoke_token_with_the_write():
    server = fake_api(token_api)
    url = server.url
    try:
        refused = smoke(url)
        assert refused.returncode != 0
        assert f"FAIL POST {url}/storeEpochTime: HTTP 401" in refused.stderr
        accepted = subprocess.run([SMOKE, url], capture_output=True, text=True, timeout=60,
                                  env=dict(os.environ, SMOKE_RETRIES="0", SMOKE_TOKEN="good-token"))
        assert accepted.returncode == 0, accepted.stderr
        assert f"ok   POST {url}/storeEpochTime: HTTP 201" in accepted.stdout
    finally:
        server.close()
