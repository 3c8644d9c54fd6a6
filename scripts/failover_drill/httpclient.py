"""One HTTP request with the standard library: the drill's, the tests' and the
canary harness's launcher's. An HTTP error status is a response, and so is a
transport error (status None, `error` says what happened)."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Optional

REGION_HEADER = "x-epochstore-region"


@dataclass
class Response:
    status: Optional[int]
    headers: dict  # lower-case names
    body: bytes
    error: Optional[str] = None

    def json(self):
        return json.loads(self.body)

    def json_object(self) -> dict:
        """The body as a JSON object, {} when it is none."""
        try:
            body = json.loads(self.body) if self.body else {}
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    @property
    def region(self) -> Optional[str]:
        return self.headers.get(REGION_HEADER)


def request(method: str, url: str, body: Optional[bytes] = None, headers: Optional[dict] = None,
            timeout: float = 10.0) -> Response:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return Response(response.status, {k.lower(): v for k, v in response.headers.items()},
                            response.read())
    except urllib.error.HTTPError as err:
        return Response(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())
    except (OSError, ValueError, http.client.HTTPException) as err:
        return Response(None, {}, b"", error=f"{type(err).__name__}: {err}")
