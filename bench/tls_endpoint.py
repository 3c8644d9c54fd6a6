"""DynamoDB over TLS for `make bench`: the TLS terminator of the tests
(tests/py/tls_terminator.py: a throwaway CA and a certificate for 127.0.0.1)
in front of moto_server, so the functions' first DynamoDB call pays a real TLS
handshake (as on AWS) instead of plain HTTP on loopback.

The CA reaches a function two ways, one per trust mode measured:
- `pinned`: `AWS_CA_BUNDLE` = the test CA, added to the build's own roots;
- `platform`: `DYNAMODB_TRUST_ROOTS=platform` with `SSL_CERT_FILE` = the
  system bundle plus the test CA, so the platform store is read and parsed as
  it would be on Lambda.
"""

from __future__ import annotations

import os

from tls_terminator import TlsTerminator

SYSTEM_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                  "/etc/ssl/cert.pem")


class TlsEndpoint:
    """`https://127.0.0.1:<port>` in front of moto, and how to trust it."""

    def __init__(self, folder: str, backend_port: int):
        self.terminator = TlsTerminator(backend_port, folder)
        self.endpoint = self.terminator.endpoint
        self.system_bundle = next((p for p in SYSTEM_BUNDLES if os.path.exists(p)), None)
        self.platform_bundle = os.path.join(folder, "platform-and-test-ca.pem")
        with open(self.platform_bundle, "wb") as out:
            if self.system_bundle:
                with open(self.system_bundle, "rb") as system:
                    out.write(system.read().rstrip(b"\n") + b"\n")
            with open(self.terminator.ca_file, "rb") as ca:
                out.write(ca.read())

    def trust_env(self, mode: str) -> dict:
        """The environment that makes a function trust this endpoint."""
        if mode == "pinned":
            return {"AWS_CA_BUNDLE": self.terminator.ca_file}
        if mode == "platform":
            return {"DYNAMODB_TRUST_ROOTS": "platform", "SSL_CERT_FILE": self.platform_bundle}
        raise ValueError(mode)

    def close(self) -> None:
        self.terminator.close()
