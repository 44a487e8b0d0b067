"""A sliding-window rate limit per key (a client address), kept in this process.

With several app replicas each keeps its own counts: a client behind a load balancer may send
up to `limit` messages per window to each replica. That bounds abuse; it is not an exact quota.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

MAX_KEYS = 50_000  # the least recently seen addresses are forgotten first


class SlidingWindowLimit:
    def __init__(
        self, limit: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Counts this request and says whether it is within the limit (limit 0: always)."""
        if self.limit <= 0:
            return True
        now = self.clock()
        hits = self._hits.pop(key, None) or deque()
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        allowed = len(hits) < self.limit
        if allowed:
            hits.append(now)
        self._hits[key] = hits
        while len(self._hits) > MAX_KEYS:
            self._hits.popitem(last=False)
        return allowed


def client_address(environ: dict[str, Any], header: str = "") -> str:
    """The visitor's address: the proxy's header when configured (its last entry), else the
    socket peer. (engine.io's ASGI environ has a fixed REMOTE_ADDR; the scope has the peer.)"""
    scope = environ.get("asgi.scope") or {}
    if header:
        for name, value in scope.get("headers", []):
            if name.decode("latin-1").lower() == header.lower():
                return str(value.decode("latin-1").split(",")[-1].strip())
    client = scope.get("client")
    return str(client[0]) if client else ""
