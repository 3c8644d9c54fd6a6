#!/usr/bin/env python3
"""CycloneDX 1.5 SBOM of each Lambda zip: LAMBDA_DIR/<function>/sbom.cdx.json.

    scripts/sbom.py LAMBDA_DIR ARCH FUNCTION...

The crates are those compiled into the function's binary, as `make build`
compiles it: `cargo tree` over normal dependencies for the target platform,
with the three functions selected together (features unify across them, as in
the one `cargo lambda build`). Proc-macros run at build time and ship nothing,
so they and what only they depend on are left out. Versions and SHA-256
checksums come from Cargo.lock; the zip's own SHA-256 ties the SBOM to it.
"""

import hashlib
import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

TRIPLES = {"x86_64": "x86_64-unknown-linux-gnu", "arm64": "aarch64-unknown-linux-gnu"}
LOCKED = re.compile(r'^name = "([^"]+)"\nversion = "([^"]+)"\n(?:source = "[^"]+"\n)?checksum = "([0-9a-f]{64})"', re.M)
LINE = re.compile(r"^(\d+)(\S+) v(\S+)(?: \((.*?)\))?\|(.*?)(?: \(\*\))?$")


def crate_graphs(functions, triple):
    """{function: {(name, version): set of (name, version) it depends on}}."""
    cmd = ["cargo", "tree", "--locked", "-e", "normal", "--target", triple,
           "--prefix", "depth", "--no-dedupe", "--format", "{p}|{l}"]
    for function in functions:
        cmd += ["-p", function]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    graphs, licenses = {}, {}
    stack = []  # (depth, crate) of the current path from the root
    for line in out.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        depth, name, version, origin, license_ = int(m[1]), m[2], m[3], m[4] or "", m[5]
        crate = (name, version)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if depth == 0:
            graph = graphs.setdefault(name, {crate: set()})
        elif "proc-macro" in origin or any(c is None for _, c in stack):
            crate = None  # build-time only, and so is everything below it
        else:
            graph[stack[-1][1]].add(crate)
            graph.setdefault(crate, set())
            # Cargo's legacy "MIT/Apache-2.0" means either: SPDX writes OR.
            licenses[crate] = " OR ".join(part.strip() for part in license_.split("/"))
        stack.append((depth, crate))
    return graphs, licenses


def purl(crate):
    return "pkg:cargo/%s@%s" % crate


def bom(function, graph, licenses, checksums, zip_path):
    root = next(iter(graph))
    components = []
    for crate in sorted(graph):
        if crate == root:
            continue
        component = {"type": "library", "bom-ref": purl(crate), "name": crate[0],
                     "version": crate[1], "purl": purl(crate)}
        if licenses.get(crate):
            component["licenses"] = [{"expression": licenses[crate]}]
        if crate in checksums:
            component["hashes"] = [{"alg": "SHA-256", "content": checksums[crate]}]
        components.append(component)
    zip_sha256 = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {
            "component": {"type": "application", "bom-ref": purl(root), "name": function,
                          "version": root[1], "purl": purl(root),
                          "hashes": [{"alg": "SHA-256", "content": zip_sha256}]},
            "properties": [{"name": "epochstore:artifact", "value": "%s/bootstrap.zip" % function}],
        },
        "components": components,
        "dependencies": [{"ref": purl(c), "dependsOn": sorted(purl(d) for d in deps)}
                         for c, deps in sorted(graph.items())],
    }
    # Same zip, same crates, same serial number: rebuilding changes nothing.
    doc["serialNumber"] = "urn:uuid:%s" % uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(doc, sort_keys=True))
    return doc


def main(lambda_dir, arch, *functions):
    if arch not in TRIPLES or not functions:
        sys.exit(__doc__)
    checksums = {(m[1], m[2]): m[3] for m in LOCKED.finditer(Path("Cargo.lock").read_text())}
    graphs, licenses = crate_graphs(functions, TRIPLES[arch])
    for function in functions:
        out = Path(lambda_dir, function, "sbom.cdx.json")
        doc = bom(function, graphs[function], licenses, checksums, out.with_name("bootstrap.zip"))
        out.write_text(json.dumps(doc, indent=1) + "\n")
        print("%-18s %4d crates in %s" % (function, len(doc["components"]), out))


if __name__ == "__main__":
    main(*sys.argv[1:])
