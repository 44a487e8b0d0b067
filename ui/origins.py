"""Which sites may open the chat's websocket: the embed allowlist, and the app's own pages.

Browsers apply CORS to HTTP requests only; a websocket from any page connects unless the server
checks its Origin header. Chainlit switches engine.io's check off (`cors_allowed_origins=[]`),
so with an allowlist every site could still drive the chat from a visitor's browser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OriginCheck = Callable[[str | None, dict[str, Any]], bool]


def socket_origin_check(allowlist: list[str]) -> OriginCheck:
    """For engine.io's `cors_allowed_origins`: an allowlisted site or the app's own origin."""
    allowed = {origin.rstrip("/").lower() for origin in allowlist}

    def check(origin: str | None, environ: dict[str, Any]) -> bool:
        if not origin:  # not a browser: no page another site could have opened
            return True
        origin = origin.rstrip("/").lower()
        scheme = environ.get("wsgi.url_scheme", "http")
        own = f"{scheme}://{environ.get('HTTP_HOST', '')}".lower()
        return origin in allowed or origin == own

    return check
