"""A fault-injecting HTTP proxy between a function and its DynamoDB endpoint
(moto): the real SDK, its retries and its timeouts run unchanged, only the
network between them misbehaves.

For the first N calls of one operation (the `X-Amz-Target` header, e.g.
`DynamoDB_20120810.PutItem`) the proxy:

- `drop`:     forwards the call (it commits) and closes the connection
              without an answer;
- `delay`:    forwards the call and holds the answer past the SDK's attempt
              timeout (the SDK has given up on it and retried);
- `5xx`:      forwards the call and answers 500 InternalServerError;
- `throttle`: answers 400 ThrottlingException without forwarding;
- `throughput`: answers 400 ProvisionedThroughputExceededException without
              forwarding.

Every other call is forwarded unchanged.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

OPERATION_PREFIX = "DynamoDB_20120810."
MODES = ("drop", "delay", "5xx", "throttle", "throughput")
# What DynamoDB answers for each refusal (JSON 1.0 protocol error shape).
REFUSALS = {
    "5xx": (500, "com.amazonaws.dynamodb.v20120810#InternalServerError", "Internal server error"),
    "throttle": (400, "com.amazonaws.dynamodb.v20120810#ThrottlingException", "Rate of requests exceeds the allowed throughput."),
    "throughput": (400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                   "The level of configured provisioned throughput for the table was exceeded."),
}


@dataclass
class Fault:
    mode: str
    times: int
    skip: int = 0  # calls of the operation let through untouched first


class FaultProxy:
    """Listens on 127.0.0.1 (a free port) and forwards to `upstream`."""

    def __init__(self, upstream: str, delay_seconds: float) -> None:
        target = urlsplit(upstream)
        self.upstream = (target.hostname, target.port)
        self.delay_seconds = delay_seconds
        self.faults: dict[str, Fault] = {}
        self.calls: list[tuple[str, str]] = []  # (operation, what the proxy did)
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                operation = (self.headers.get("X-Amz-Target") or "").removeprefix(OPERATION_PREFIX)
                mode = proxy._take(operation)
                if mode in ("throttle", "throughput"):
                    return self._refuse(mode)
                status, headers, answer = proxy._forward(self.command, self.path, self.headers, body)
                if mode == "drop":
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return None
                if mode == "5xx":
                    return self._refuse(mode)
                if mode == "delay":
                    time.sleep(proxy.delay_seconds)
                try:
                    self.send_response(status)
                    for name, value in headers:
                        if name.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date"):
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    # The SDK gave up on this attempt and closed the connection.
                    self.close_connection = True
                return None

            def _refuse(self, mode: str) -> None:
                status, kind, message = REFUSALS[mode]
                answer = json.dumps({"__type": kind, "message": message}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("x-amzn-RequestId", "fault-proxy")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fail(self, operation: str, mode: str, times: int = 1, skip: int = 0) -> None:
        """The next `times` calls of `operation` (after `skip` untouched ones) meet `mode`."""
        assert mode in MODES, mode
        with self.lock:
            self.faults[operation] = Fault(mode, times, skip)

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()
            self.calls.clear()

    def injected(self, operation: str) -> list[str]:
        """What the proxy did to each call of `operation`, in order."""
        with self.lock:
            return [done for op, done in self.calls if op == operation]

    def _take(self, operation: str) -> str | None:
        with self.lock:
            fault = self.faults.get(operation)
            mode = None
            if fault and fault.skip > 0:
                fault.skip -= 1
            elif fault and fault.times > 0:
                fault.times -= 1
                mode = fault.mode
            self.calls.append((operation, mode or "forward"))
            return mode

    def _forward(self, method: str, path: str, headers, body: bytes) -> tuple[int, list, bytes]:
        connection = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            forwarded = {k: v for k, v in headers.items() if k.lower() not in ("connection", "keep-alive")}
            connection.request(method, path, body=body, headers=forwarded)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
