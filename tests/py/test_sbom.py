"""The SBOM that `make build` writes beside each zip: valid CycloneDX 1.5, bound
to its zip by SHA-256, and listing what the binary is built from at the
versions and checksums Cargo.lock pins."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from conftest import REPO
from lambda_emulator import lambda_dir

FUNCTIONS = ("store-epoch-time", "get-epoch-store", "health-check")


def locked_packages() -> dict[tuple[str, str], str | None]:
    """Cargo.lock as (name, version) -> checksum, None for the workspace's own crates
    (parsed as TOML here, independently of the script's reading)."""
    with open(os.path.join(REPO, "Cargo.lock"), "rb") as f:
        return {(p["name"], p["version"]): p.get("checksum") for p in tomllib.load(f)["package"]}


@pytest.fixture(scope="module", params=FUNCTIONS)
def sbom(request):
    directory = os.path.join(lambda_dir(), request.param)
    path = os.path.join(directory, "sbom.cdx.json")
    assert os.path.exists(path), f"{path} missing: run `make build` first"
    with open(path) as f:
        text = f.read()
    return request.param, directory, text, json.loads(text)


def test_is_valid_cyclonedx(sbom):
    _, _, text, _ = sbom
    assert JsonStrictValidator(SchemaVersion.V1_5).validate_str(text) is None


def test_is_bound_to_its_zip(sbom):
    function, directory, _, doc = sbom
    with open(os.path.join(directory, "bootstrap.zip"), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    component = doc["metadata"]["component"]
    assert component["name"] == function
    assert component["hashes"] == [{"alg": "SHA-256", "content": digest}]


def test_lists_the_sdk_and_runtime_at_their_locked_versions(sbom):
    _, _, _, doc = sbom
    locked = locked_packages()
    listed = {(c["name"], c["version"]) for c in doc["components"]}
    for name in ("aws-sdk-dynamodb", "lambda_runtime", "lambda_http", "tokio", "epochstore"):
        versions = {v for n, v in locked if n == name}
        assert len(versions) == 1, f"{name}: {versions} in Cargo.lock"
        assert (name, versions.pop()) in listed, f"{name} missing from the SBOM"


def test_every_component_is_locked_with_its_checksum(sbom):
    _, _, _, doc = sbom
    locked = locked_packages()
    for c in doc["components"]:
        key = (c["name"], c["version"])
        assert key in locked, f"{key} is not in Cargo.lock"
        assert c["purl"] == "pkg:cargo/%s@%s" % key
        hashes = [h["content"] for h in c.get("hashes", [])]
        assert hashes == ([locked[key]] if locked[key] else []), key
        assert re.fullmatch(r"[A-Za-z0-9.\-+() ]+", c["licenses"][0]["expression"]), key


def test_leaves_out_build_time_and_test_crates(sbom):
    _, _, _, doc = sbom
    names = {c["name"] for c in doc["components"]}
    # proc-macros (serde_derive), build scripts' helpers (cc) and dev-dependencies (proptest)
    # are not in the binary.
    assert not names & {"serde_derive", "cc", "proptest", "epochstore-local"}


def test_dependency_graph_reaches_every_component(sbom):
    _, _, _, doc = sbom
    edges = {d["ref"]: d["dependsOn"] for d in doc["dependencies"]}
    seen, todo = set(), [doc["metadata"]["component"]["bom-ref"]]
    while todo:
        ref = todo.pop()
        if ref not in seen:
            seen.add(ref)
            todo.extend(edges.get(ref, []))
    assert seen - {doc["metadata"]["component"]["bom-ref"]} == {c["bom-ref"] for c in doc["components"]}
