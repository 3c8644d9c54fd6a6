#!/usr/bin/env python3
"""Packages the Synthetics canary: package-canary.py SCRIPT ZIP.

Synthetics loads a Node.js canary from nodejs/node_modules/<file>.js inside
the zip (handler "<file>.handler"). The zip is byte-for-byte reproducible
(fixed timestamp and permissions), so an unchanged script gives an unchanged
hash and Terraform leaves the canary alone.
"""

import os
import sys
import zipfile

ENTRY = "nodejs/node_modules/epochstore-canary.js"


def main(script: str, output: str) -> None:
    with open(script, "rb") as f:
        source = f.read()
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    info = zipfile.ZipInfo(ENTRY, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    tmp = output + ".tmp"
    with zipfile.ZipFile(tmp, "w") as archive:
        archive.writestr(info, source)
    os.replace(tmp, output)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: package-canary.py SCRIPT ZIP")
    main(sys.argv[1], sys.argv[2])
