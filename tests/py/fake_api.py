"""A loopback stand-in API for tests of clients (the drill, the smoke script)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeApi(ThreadingHTTPServer):
    daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


def fake_api(answer) -> FakeApi:
    """A loopback API whose every answer is `answer(handler)` -> (status, JSON body)."""
    class Handler(BaseHTTPRequestHandler):
        def handle_one(self):
            self.rfile.read(int(self.headers.get("content-length") or 0))
            status, body = answer(self)
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = handle_one  # noqa: N815

        def log_message(self, *args):
            pass

    server = FakeApi(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
