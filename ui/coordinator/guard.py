"""An ASGI middleware around Chainlit's app for the coordinator paths only.

Chainlit's CORS middleware serves the widget (the embed allowlist); the coordinator pages must
not share that policy. Outside it, for `/wegwijs/coordinator...`, this middleware:
- removes every `Access-Control-*` response header (no cross-origin reads, no preflights);
- refuses a state-changing request whose `Origin` is another origin or whose `Sec-Fetch-Site`
  is not same-origin (403, before any handler runs);
- adds `Cache-Control: no-store`, `X-Frame-Options: DENY` and a Content-Security-Policy with
  `frame-ancestors 'none'` and no scripts.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ui.coordinator.layout import STYLE_HASH

PREFIX = "/wegwijs/coordinator"
SAFE_METHODS = frozenset({"GET", "HEAD"})
OTHER_ORIGIN = (
    "Dit verzoek komt niet van deze site. Open de pagina opnieuw en probeer het nog eens."
)
POLICY = (
    "default-src 'none'; "
    f"style-src '{STYLE_HASH}'; "
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "content-security-policy": POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def is_coordinator_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def same_origin(headers: Headers, extra_origins: tuple[str, ...] = ()) -> bool:
    """No browser says the request came from elsewhere (a request without these headers is
    no browser form post from another site; the CSRF token still applies)."""
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = headers.get("origin")
    if origin is None:
        return True
    if origin.rstrip("/") in extra_origins:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc == headers.get("host", "")


class CoordinatorGuard:
    def __init__(self, app: ASGIApp, public_origins: tuple[str, ...] = ()) -> None:
        self.app = app
        self.public_origins = public_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_coordinator_path(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name in {k for k in headers if k.startswith("access-control-")}:
                    del headers[name]
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        if scope["method"] not in SAFE_METHODS and not same_origin(
            Headers(scope=scope), self.public_origins
        ):
            await PlainTextResponse(OTHER_ORIGIN, status_code=403)(scope, receive, send_secured)
            return
        await self.app(scope, receive, send_secured)
