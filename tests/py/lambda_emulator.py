"""A Lambda Runtime API emulator: runs a function's `bootstrap` the way Lambda
does (same endpoints, headers and environment) so tests and benchmarks exercise
the artifact Terraform deploys, not only the library.

Endpoints: GET  /2018-06-01/runtime/invocation/next
           POST /2018-06-01/runtime/invocation/{id}/response
           POST /2018-06-01/runtime/invocation/{id}/error
           POST /2018-06-01/runtime/init/error
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"


@dataclass
class Outcome:
    kind: str  # "response" or "error"
    payload: dict
    error_type: str | None = None
    request_id: str = ""
    trace_header: str = ""  # the Lambda-Runtime-Trace-Id the invocation was sent with


def new_trace_header() -> str:
    """An X-Ray trace header as Lambda sends it in `Lambda-Runtime-Trace-Id`:
    the trace id (`1-<epoch seconds, 8 hex>-<24 hex>`), the parent segment, the
    sampling decision."""
    return f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=1"


@dataclass
class _State:
    events: "queue.Queue[tuple[str, str, bytes]]" = field(default_factory=queue.Queue)
    outcomes: dict = field(default_factory=dict)
    done: threading.Condition = field(default_factory=threading.Condition)
    init_error: dict | None = None
    first_poll_at: float | None = None
    polls: int = 0


class RuntimeApi:
    """Serves the Runtime API on 127.0.0.1 (a free port) for one process."""

    def __init__(self) -> None:
        state = self.state = _State()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):  # keep test output clean
                pass

            def _reply(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != f"{PREFIX}/invocation/next":
                    return self._reply(404)
                with state.done:
                    state.polls += 1
                    if state.first_poll_at is None:
                        state.first_poll_at = time.perf_counter()
                    state.done.notify_all()
                request_id, trace, body = state.events.get()
                deadline_ms = int(time.time() * 1000) + 10_000
                self._reply(200, body, {
                    "Content-Type": "application/json",
                    "Lambda-Runtime-Aws-Request-Id": request_id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:eu-central-1:123456789012:function:epochstore",
                    "Lambda-Runtime-Trace-Id": trace,
                })

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    payload = json.loads(raw or b"{}")
                except ValueError:
                    payload = {"raw": raw.decode("utf-8", "replace")}
                error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
                parts = self.path[len(PREFIX):].strip("/").split("/")
                with state.done:
                    if parts == ["init", "error"]:
                        state.init_error = {"payload": payload, "error_type": error_type}
                    elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                        state.outcomes[parts[1]] = Outcome(parts[2], payload, error_type)
                    else:
                        return self._reply(404)
                    state.done.notify_all()
                self._reply(202, b'{"status":"OK"}', {"Content-Type": "application/json"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def invoke(self, event: dict | bytes, timeout: float = 15.0) -> Outcome:
        request_id = str(uuid.uuid4())
        trace = new_trace_header()
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        self.state.events.put((request_id, trace, body))
        with self.state.done:
            if not self.state.done.wait_for(lambda: request_id in self.state.outcomes, timeout):
                raise TimeoutError(f"no outcome for invocation {request_id}")
            outcome = self.state.outcomes.pop(request_id)
        outcome.request_id, outcome.trace_header = request_id, trace
        return outcome

    def wait_for_poll(self, timeout: float = 15.0) -> float:
        """Waits for the first /next poll (end of init); returns its perf_counter time."""
        with self.state.done:
            if not self.state.done.wait_for(lambda: self.state.first_poll_at is not None, timeout):
                raise TimeoutError("the function never polled /next")
            return self.state.first_poll_at

    def wait_for_init_error(self, timeout: float = 15.0) -> dict:
        with self.state.done:
            if not self.state.done.wait_for(lambda: self.state.init_error is not None, timeout):
                raise TimeoutError("no /init/error")
            return self.state.init_error

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def lambda_environment(function_name: str, api: RuntimeApi, extra: dict | None = None) -> dict:
    """The environment Lambda gives a `provided.al2023` function."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/23/[$LATEST]0123456789abcdef",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": "INFO",
        "AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023",
        "AWS_REGION": "eu-central-1",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_SESSION_TOKEN": "test",
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "_HANDLER": "bootstrap",
    }
    env.update(extra or {})
    return env


def start(command: list[str], env: dict, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)


def http_api_event(method: str, path_and_query: str, headers: dict | None = None,
                   body: str | None = None, base64_encoded: bool = False) -> dict:
    """An API Gateway HTTP API (payload format 2.0) event as API Gateway sends it."""
    raw_path, _, raw_query = path_and_query.partition("?")
    all_headers = {
        "accept": "*/*",
        "host": "abc123.execute-api.eu-central-1.amazonaws.com",
        "user-agent": "curl/8.5.0",
        "x-forwarded-for": "203.0.113.9",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    route_key = f"{method} {raw_path}"
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": all_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-central-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.9", "userAgent": "curl/8.5.0"},
            "requestId": uuid.uuid4().hex[:16] + "=",
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        **({"body": body, "isBase64Encoded": base64_encoded} if body is not None else {"isBase64Encoded": False}),
    }


def lambda_dir() -> str:
    """Where `make build` (cargo lambda) put the zips."""
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(os.path.dirname(__file__), "..", "..", "target")
    return os.environ.get("LAMBDA_DIR") or os.path.join(target, "lambda")
