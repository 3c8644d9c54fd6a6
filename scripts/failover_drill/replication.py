"""RPO: which acknowledged records the surviving regions list, and when."""

from __future__ import annotations

import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Optional

from .httpclient import request
from .traffic import Clock

PAGE_LIMIT = 1000


def cursor_above(record_id: str) -> Optional[str]:
    """A page cursor that lists `record_id` first: the next UUIDv7 up (a
    cursor lists the ids below it), or None if adding one leaves UUIDv7."""
    value = int(record_id.replace("-", ""), 16) + 1
    if (value >> 76) & 0xF != 7 or (value >> 62) & 0x3 != 0b10:
        return None
    return f"{value:032x}"


def listed_ids(base_url: str, wanted: set, timeout: float, max_pages: int) -> Optional[set]:
    """The ids of `wanted` that `GET /getEpochStore` of one region lists,
    paged newest first from the newest wanted id until all are found or the
    pages are older than the oldest one (so records written by others after
    the drill cost nothing); None when the region did not answer."""
    found: set = set()
    oldest = min(wanted)
    cursor = cursor_above(max(wanted))
    for _ in range(max_pages):
        query = {"limit": PAGE_LIMIT, **({"cursor": cursor} if cursor else {})}
        reply = request("GET", f"{base_url}/getEpochStore?{urllib.parse.urlencode(query)}", timeout=timeout)
        if reply.status != 200:
            return None
        page = reply.json_object()
        items = page.get("items") or []
        found.update(item.get("id") for item in items if item.get("id") in wanted)
        cursor = page.get("nextCursor")
        # UUIDv7 ids sort by time: past the oldest wanted id, the next pages
        # hold only older records.
        if found == wanted or not cursor or not items or items[-1].get("id", "") < oldest:
            break
    return found


@dataclass
class ReplicationWatch:
    """Polls every surviving region until it lists all of `pending`."""

    survivors: dict
    clock: Clock
    timeout: float
    max_pages: int
    poll_interval: float
    listed_at: dict = field(default_factory=dict)  # id -> seconds, once every survivor lists it
    poll_errors: int = 0

    def poll(self, pending: set) -> set:
        """One round over the survivors; returns the ids every one of them lists."""
        everywhere = set(pending)
        for url in self.survivors.values():
            found = listed_ids(url, pending, self.timeout, self.max_pages) if pending else set()
            if found is None:
                self.poll_errors += 1
                found = set()
            everywhere &= found
        now = self.clock.now()
        for record_id in everywhere:
            self.listed_at.setdefault(record_id, now)
        return everywhere

    def wait(self, ids: set, deadline: float, stop: Optional[threading.Event] = None) -> set:
        """Polls until every survivor lists `ids`, `deadline` or `stop`; returns the rest."""
        stop = stop or threading.Event()
        pending = set(ids) - set(self.listed_at)
        while pending:
            pending -= self.poll(pending)
            if not pending or self.clock.now() >= deadline or stop.wait(self.poll_interval):
                break
        return pending
