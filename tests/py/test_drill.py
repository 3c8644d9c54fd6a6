"""`make drill` (scripts/drill.py, the failover_drill package) against the
local emulation: the figures it reports agree with the emulation's own
counters and with what the store's consistency allows; with
REPLICATION_LAG_MS the RPO is non-zero and each record at risk took at least
the lag to replicate; with CONSISTENCY=strong nothing is at risk. Also: a
non-loopback URL is refused; a deployment without health-checked DNS is
refused before any traffic; a failed recovery after a failed phase reports
both errors.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid

import pytest

from fake_api import fake_api
from local_harness import REPO, binary_path, http, local_factory  # noqa: F401

from failover_drill import DrillError, replication, targets  # local_harness put scripts/ on the path

DRILL = os.path.join(REPO, "scripts", "drill.py")
REGION = "eu-west-3"
SURVIVOR = "eu-central-1"
PROBE_INTERVAL_MS = 200
FAILURE_THRESHOLD = 3
FAST_PROBES = {"PROBE_INTERVAL_MS": PROBE_INTERVAL_MS, "FAILURE_THRESHOLD": FAILURE_THRESHOLD}
LAST_LINE = re.compile(
    r"RTO (\d+\.\d\d) s, recovery (\d+\.\d\d) s, failed requests (\d+) of (\d+), "
    r"RPO (\d+) records \((\d+\.\d\d) s to replicate\), lost (\d+)")


def run_drill(url, out_dir, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, DRILL, *(["--url", url] if url else []), "--region", REGION, "--out-dir", str(out_dir),
         "--rate", "20", "--warmup", "2", "--max-duration", "60", "--lost-after", "10", *extra],
        capture_output=True, text=True, timeout=120)


def terraform_outputs(tmp_path, global_url, regional_urls: dict) -> str:
    """A file as `make outputs ENV=…` prints it (terraform output -json)."""
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"global_url": {"value": global_url}, "regional_urls": {"value": regional_urls},
                                "function_names": {"value": {}}}))
    return str(path)


def drill(local, tmp_path, *extra: str) -> dict:
    """Runs the drill against `local`; checks what every drill must show and
    returns the report."""
    result = run_drill(local.url, tmp_path, *extra)
    assert result.returncode == 0, result.stderr + result.stdout
    last = result.stdout.rstrip("\n").splitlines()[-1]
    match = LAST_LINE.fullmatch(last)
    assert match, f"last line: {last!r}"
    with open(tmp_path / "drill-report.json", encoding="utf-8") as f:
        report = json.load(f)
    with open(tmp_path / "drill-report.md", encoding="utf-8") as f:
        summary = f.read()
    assert report["summary"] == last
    assert f"`{last}`" in summary and "| RTO |" in summary and "| lost |" in summary

    rto, recovery, failed, total, rpo, replicate, lost = match.groups()
    requests, timeline = report["requests"], report["timeline"]
    assert (failed, total) == (str(requests["failed"]), str(requests["total"]))
    assert (rpo, lost) == (str(report["rpo"]["records"]), str(report["rpo"]["lost"]))
    assert rto == f"{report['rtoSeconds']:.2f}" and recovery == f"{report['recoverySeconds']:.2f}"
    assert replicate == f"{report['rpo']['replicateSeconds']:.2f}"

    # Every response the drill saw is one the front door counted, region by region.
    state = http("GET", f"{local.url}/_local/regions").json()
    counted = {r["name"]: r["responses"] for r in state["regions"]}
    assert requests["byRegion"] == counted
    assert sum(counted.values()) == requests["total"], "no transport error on loopback"
    assert report["settings"]["detectionWindowSeconds"] == PROBE_INTERVAL_MS * FAILURE_THRESHOLD / 1000
    # The drill recovered the region.
    region = next(r for r in state["regions"] if r["name"] == REGION)
    assert region["status"] == "ok" and region["healthy"]

    # The order of events, and the figures derived from it.
    order = ["failStarted", "failed", "recoverStarted", "recovered", "firstServedAgain", "stopped"]
    times = [timeline[name] for name in order]
    assert times == sorted(times), timeline
    assert timeline["recovered"] < timeline["firstServedAgain"]
    assert timeline["failed"] <= timeline["lastServedByRegion"] < timeline["recoverStarted"]
    assert report["rtoSeconds"] == pytest.approx(
        timeline["lastServedByRegion"] - timeline["failed"], abs=0.002)
    assert report["recoverySeconds"] == pytest.approx(
        timeline["firstServedAgain"] - timeline["recovered"], abs=0.002)
    # Each time is rounded to the millisecond on its own.
    quiet = timeline["recoverStarted"] - timeline["lastServedByRegion"]
    assert quiet >= report["settings"]["detectionWindowSeconds"] - 0.002

    # The front door retries nothing it sent, and fails no write: the only
    # failures are the failed region's own /health answering 503 until drained.
    assert requests["failedWrites"] == 0, requests["failureSamples"]
    assert requests["failed"] == requests["failedHealthChecksOfRegion"]
    for failure in requests["failureSamples"]:
        assert (failure["status"], failure["region"], failure["kind"]) == (503, REGION, "health")
        assert timeline["failStarted"] <= failure["received"]
        assert failure["sent"] <= timeline["lastServedByRegion"]
    assert report["rpo"]["acknowledgedByRegionBeforeFailure"] > 0
    return report


def test_drill_on_the_shared_store_loses_nothing(local_factory, tmp_path):
    local = local_factory(**FAST_PROBES)
    report = drill(local, tmp_path)
    assert report["mode"] == "local" and report["survivors"] == {SURVIVOR: local.region_url(SURVIVOR)}
    assert report["rpo"]["records"] == 0 and report["rpo"]["replicateSeconds"] == 0
    assert report["rpo"]["lost"] == 0


def test_drill_with_replication_lag_measures_the_rpo(local_factory, tmp_path):
    lag_s = 1.5
    local = local_factory(REPLICATION_LAG_MS=int(lag_s * 1000), **FAST_PROBES)
    report = drill(local, tmp_path)
    rpo, failed = report["rpo"], report["timeline"]["failed"]
    assert rpo["records"] > 0, "writes acknowledged within the lag before the failure are at risk"
    assert rpo["lost"] == 0 and rpo["lostIds"] == []
    assert len(rpo["atRisk"]) == rpo["records"]
    for record in rpo["atRisk"]:
        # Not listed at the failure: acknowledged less than one lag before it.
        assert record["acknowledged"] > failed - lag_s
        # Replication cannot beat the lag.
        assert record["listedEverywhere"] - record["sent"] >= lag_s
    newest = max(r["listedEverywhere"] for r in rpo["atRisk"])
    assert rpo["replicateSeconds"] == pytest.approx(newest - failed, abs=0.002)


def test_drill_in_strong_mode_has_nothing_at_risk(local_factory, tmp_path):
    local = local_factory(REPLICATION_LAG_MS=1000, CONSISTENCY="strong", **FAST_PROBES)
    report = drill(local, tmp_path)
    assert report["consistency"] == "strong" and "synchronous replication" in report["store"]
    assert report["rpo"]["records"] == 0 and report["rpo"]["replicateSeconds"] == 0
    assert report["rpo"]["lost"] == 0


def test_drill_as_on_a_deployment(local_factory, tmp_path):
    """With ENV the drill takes nothing from the emulation: it fails and
    recovers through commands and reads the survivors at the URLs given."""
    local = local_factory(**FAST_PROBES)
    def status(value: str) -> str:  # {region} is the drill's to fill in
        return f"curl -fsS -X POST --data {value} {local.url}/_local/regions/{{region}}/status"

    outputs = terraform_outputs(tmp_path, local.url, {r: local.region_url(r) for r in (SURVIVOR, REGION)})
    result = run_drill(None, tmp_path, "--env", "drill-test", "--terraform-outputs", outputs,
                       "--fail-command", status("fail"), "--recover-command", status("ok"),
                       "--detection-window", str(PROBE_INTERVAL_MS * FAILURE_THRESHOLD / 1000))
    assert result.returncode == 0, result.stderr + result.stdout
    report = json.loads((tmp_path / "drill-report.json").read_text())
    assert (report["mode"], report["env"], report["store"]) == ("deployment", "drill-test", None)
    assert report["target"] == local.url, "the global URL of the outputs"
    assert report["survivors"] == {SURVIVOR: local.region_url(SURVIVOR)}
    assert report["rpo"]["records"] == 0 and report["rpo"]["lost"] == 0


def test_a_deployment_without_health_checked_dns_is_refused_before_any_traffic(tmp_path):
    """No domain_name: no Route53 health checks, nothing would drain."""
    received = []
    server = fake_api(lambda handler: received.append(handler.path) or (200, {"region": REGION}))
    try:
        outputs = terraform_outputs(tmp_path, None, {REGION: server.url, SURVIVOR: server.url})
        result = run_drill(None, tmp_path, "--env", "prod", "--terraform-outputs", outputs)
    finally:
        server.close()
    assert result.returncode == 2
    assert "drill: ENV=prod has no health-checked DNS to drain" in result.stderr
    for needed in ("hosted zone", "hosted_zone_ids", "domain_name in terraform/envs/prod.tfvars"):
        assert needed in result.stderr
    assert received == [], "no request before the refusal"
    assert not [f for f in os.listdir(tmp_path) if f.startswith("drill-report")]


def test_an_unknown_region_of_a_deployment_is_refused(tmp_path):
    outputs = terraform_outputs(tmp_path, "https://api.example.com", {SURVIVOR: "https://eu.example.com"})
    result = run_drill(None, tmp_path, "--env", "prod", "--terraform-outputs", outputs)
    assert result.returncode == 2
    assert f"drill: ENV=prod has no region {REGION}; its regions: {SURVIVOR}" in result.stderr


def test_when_recovery_fails_after_a_failed_phase_both_errors_are_reported(tmp_path):
    # A region that serves, and a drill that cannot drain it within its budget.
    server = fake_api(lambda handler: (201 if handler.command == "POST" else 200,
                                       {"id": str(uuid.uuid4()), "region": REGION, "items": []}))
    try:
        result = run_drill(server.url, tmp_path, "--env", "drill-test", "--region-url", f"{SURVIVOR}={server.url}",
                           "--fail-command", "true", "--recover-command", "echo recovery broke >&2; exit 3",
                           "--max-requests", "40", "--warmup", "0.2", "--detection-window", "600")
    finally:
        server.close()
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("drill: --max-requests reached while waiting for eu-west-3 to stop serving"), last
    assert "then recovering eu-west-3 failed too: recover command exited with 3" in last
    assert "make recover REGION=" in last


def test_a_deployment_needs_the_survivors_urls(tmp_path):
    result = run_drill("http://127.0.0.1:9", tmp_path, "--env", "prod", "--region-url",
                       f"{REGION}=http://127.0.0.1:9")
    assert result.returncode == 2
    assert "--region-url REGION=URL" in result.stderr


def test_an_invalid_consistency_stops_the_emulation_at_start():
    env = dict(os.environ, CONSISTENCY="linearizable")
    result = subprocess.run([binary_path()], env=env, capture_output=True, text=True, timeout=20)
    assert result.returncode != 0
    assert 'CONSISTENCY must be eventual or strong, not "linearizable"' in result.stderr


def test_a_non_loopback_url_is_refused(tmp_path):
    # 192.0.2.0/24 is reserved for documentation: nothing is sent anyway.
    result = run_drill("http://192.0.2.10", tmp_path)
    assert result.returncode == 2
    assert "refusing to fail a region of http://192.0.2.10" in result.stderr
    assert not os.listdir(tmp_path), "no report for a drill that did not run"


def test_a_cursor_above_an_id_lists_that_id_first(local_factory):
    local = local_factory(**FAST_PROBES)
    ids = [http("POST", f"{local.url}/storeEpochTime").json()["id"] for _ in range(5)]
    newest_first = sorted(ids, reverse=True)
    cursor = replication.cursor_above(newest_first[2])
    page = http("GET", f"{local.url}/getEpochStore?limit=2&cursor={cursor}")
    assert page.status == 200, page.body
    assert [item["id"] for item in page.json()["items"]] == newest_first[2:4]
    assert replication.listed_ids(local.region_url(SURVIVOR), {ids[0], ids[3]}, 5, 3) == {ids[0], ids[3]}


def test_which_urls_need_a_named_deployment():
    for url in ("http://127.0.0.1:3000", "http://localhost:3000", "http://[::1]:3000", "http://127.0.0.2"):
        targets.check_allowed(url, env=None, i_mean_it=False)
    for url in ("https://api.example.com", "http://10.0.0.1:3000", "http://localhost.example.com"):
        with pytest.raises(DrillError, match="not a loopback address"):
            targets.check_allowed(url, env=None, i_mean_it=False)
        targets.check_allowed(url, env="prod", i_mean_it=False)
        targets.check_allowed(url, env=None, i_mean_it=True)
    with pytest.raises(DrillError, match="http"):
        targets.check_allowed("file:///etc/passwd", env=None, i_mean_it=True)

