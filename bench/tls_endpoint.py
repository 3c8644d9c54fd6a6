"""DynamoDB over TLS for `make bench`: a throwaway test CA, a certificate for
127.0.0.1 signed by it, and a TLS terminator in front of moto_server, so the
functions' first DynamoDB call pays a real TLS handshake (as on AWS) instead
of plain HTTP on loopback.

The CA reaches a function two ways, one per trust mode measured:
- `pinned`: `AWS_CA_BUNDLE` = the test CA, added to the build's own roots;
- `platform`: `DYNAMODB_TRUST_ROOTS=platform` with `SSL_CERT_FILE` = the
  system bundle plus the test CA, so the platform store is read and parsed as
  it would be on Lambda.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import select
import socket
import socketserver
import ssl
import threading

SYSTEM_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                  "/etc/ssl/cert.pem")


def _write_certificates(folder: str) -> dict:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    # RSA 2048 like the Amazon RSA 2048 chain DynamoDB's endpoints serve, so
    # the client verifies the same kind of signatures.
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (x509.CertificateBuilder().subject_name(name("epochstore bench test CA"))
          .issuer_name(name("epochstore bench test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (x509.CertificateBuilder().subject_name(name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))

    paths = {name_: os.path.join(folder, name_) for name_ in ("ca.pem", "server.pem", "server.key", "bundle.pem")}
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    with open(paths["ca.pem"], "wb") as f:
        f.write(ca_pem)
    with open(paths["server.pem"], "wb") as f:
        f.write(leaf.public_bytes(serialization.Encoding.PEM))
    with open(paths["server.key"], "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    system = next((p for p in SYSTEM_BUNDLES if os.path.exists(p)), None)
    with open(paths["bundle.pem"], "wb") as f:
        if system:
            with open(system, "rb") as s:
                f.write(s.read().rstrip(b"\n") + b"\n")
        f.write(ca_pem)
    paths["system_bundle"] = system
    return paths


def _pipe(tls: ssl.SSLSocket, plain: socket.socket) -> None:
    """Copies bytes both ways until either side closes. One thread: an SSL
    object must not be read and written from two threads at once."""
    peers = {tls: plain, plain: tls}
    while True:
        ready = [tls] if tls.pending() else select.select([tls, plain], [], [], 120)[0]
        if not ready:
            return
        for sock in ready:
            try:
                data = sock.recv(65536)
            except ssl.SSLWantReadError:
                continue
            if not data:
                return
            peers[sock].sendall(data)


class TlsEndpoint:
    """`https://127.0.0.1:<port>` in front of a plain HTTP endpoint."""

    def __init__(self, folder: str, backend: tuple[str, int]):
        self.files = _write_certificates(folder)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.files["server.pem"], self.files["server.key"])
        context.set_alpn_protocols(["http/1.1"])

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                try:
                    tls = context.wrap_socket(self.request, server_side=True)
                except (ssl.SSLError, OSError):
                    return  # a client that rejects the certificate: its own error says so
                with tls, socket.create_connection(backend) as plain:
                    plain.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    tls.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    try:
                        _pipe(tls, plain)
                    except (ssl.SSLError, OSError):
                        pass

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def trust_env(self, mode: str) -> dict:
        """The environment that makes a function trust this endpoint."""
        if mode == "pinned":
            return {"AWS_CA_BUNDLE": self.files["ca.pem"]}
        if mode == "platform":
            return {"DYNAMODB_TRUST_ROOTS": "platform", "SSL_CERT_FILE": self.files["bundle.pem"]}
        raise ValueError(mode)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
