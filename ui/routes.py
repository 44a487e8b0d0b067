"""Extra HTTP routes on Chainlit's FastAPI app: admin ingest (loopback + token), privacy page,
the example host page for the embedded widget, and the coordinator workspace."""

from __future__ import annotations

import hmac
import html
import json
import re

from chainlit.server import app
from fastapi import Header, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse

from ingest.remote import INGEST_PATH
from ui.coordinator.auth import PageExpired, page_expired
from ui.coordinator.guard import CoordinatorGuard
from ui.coordinator.routes import coordinator_routers
from ui.runtime import get_runtime
from ui.texts import text
from ui.widget_page import install as install_widget_page

_installed = False
_guarded = False


def install_guard() -> None:
    """The coordinator paths' own headers and Origin check (ui.coordinator.guard), outside
    Chainlit's CORS middleware. Runs at import of ui/app.py: middleware cannot be added once the
    app has started."""
    global _guarded
    if _guarded:
        return
    public_url = get_runtime().settings.ui.public_url.rstrip("/")
    app.add_middleware(CoordinatorGuard, public_origins=(public_url,) if public_url else ())
    app.add_exception_handler(PageExpired, page_expired)
    _guarded = True


def install() -> None:
    """Register the routes once, ahead of Chainlit's router (it ends in a catch-all page)."""
    global _installed
    if _installed:
        return
    install_widget_page()  # the chat page without Google Fonts or a CDN
    before = len(app.router.routes)
    app.add_api_route(INGEST_PATH, admin_ingest, methods=["POST"])
    app.add_api_route("/wegwijs/privacy", privacy_page, methods=["GET"])
    app.add_api_route("/healthz", healthz, methods=["GET"])
    app.add_api_route("/readyz", readyz, methods=["GET"])
    app.add_api_route("/wegwijs/embed-example", embed_example, methods=["GET"])
    for router in coordinator_routers():
        app.include_router(router)
    ours = app.router.routes[before:]
    del app.router.routes[before:]
    first_chainlit = next(
        (i for i, r in enumerate(app.router.routes) if not getattr(r, "path", "")),
        len(app.router.routes),
    )
    app.router.routes[first_chainlit:first_chainlit] = ours
    _installed = True


async def admin_ingest(
    request: Request, rebuild: bool = False, x_wegwijs_token: str = Header(default="")
) -> JSONResponse:
    runtime = get_runtime()
    client = request.client.host if request.client else ""
    if client not in ("127.0.0.1", "::1", "localhost"):
        raise HTTPException(status_code=403, detail="alleen vanaf deze machine")
    given = x_wegwijs_token.encode("utf-8", "replace")  # a non-ASCII header is just wrong
    if not runtime.token or not hmac.compare_digest(given, runtime.token.encode()):
        raise HTTPException(status_code=401, detail="ongeldig token")
    report, problems = await runtime.ingest(rebuild=rebuild)
    if report.get("skipped"):
        raise HTTPException(status_code=409, detail="een andere replica leest het corpus in")
    return JSONResponse({"report": report, "problems": problems})


async def healthz() -> JSONResponse:
    """The process is up (liveness)."""
    return JSONResponse({"ok": True})


async def readyz() -> JSONResponse:
    """Guardrails built, store reachable, index non-empty (readiness); problems are listed."""
    ready, body = await get_runtime().readiness()
    return JSONResponse(body, status_code=200 if ready else 503)


async def privacy_page() -> HTMLResponse:
    return HTMLResponse(page("Privacy", markdown_to_html(text("privacy"))))


async def embed_example(request: Request) -> HTMLResponse:
    """A stand-in for the organisation's own site: one script tag mounts the chat widget."""
    server = public_server(request)
    body = (
        "<h1>Voorbeeld: de website van uw organisatie</h1>"
        "<p>Rechtsonder staat de knop van de chat. Zo plaatst u hem op uw eigen site:</p>"
        f"<pre><code>{html.escape(embed_snippet(server))}</code></pre>" + embed_snippet(server)
    )
    return HTMLResponse(page("Voorbeeld insluiten", body))


def public_server(request: Request) -> str:
    """The widget's address from the settings; the Host header only when it names this server
    on its configured host or on loopback (never reflected as given)."""
    ui = get_runtime().settings.ui
    if ui.public_url:
        return ui.public_url.rstrip("/")
    names = (ui.host, "localhost", "127.0.0.1", "[::1]")
    host = request.headers.get("host", "")
    if host in {f"{name}:{ui.port}" for name in names}:
        return f"http://{host}"
    return f"http://{ui.host}:{ui.port}"


def embed_snippet(server: str) -> str:
    """What an organisation pastes into its site (the origin must be in ui.embed_allowlist)."""
    attribute, script = html.escape(server, quote=True), json.dumps(server)
    return (
        f'<script src="{attribute}/copilot/index.js"></script>\n'
        "<script>window.mountChainlitWidget({"
        f"chainlitServer: {script}, button: {{ imageUrl: {json.dumps(server + '/favicon')} }}"
        "});</script>"
    )


def page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='nl'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)} – Wegwijs</title>"
        "<style>body{font:18px/1.6 system-ui,sans-serif;max-width:42rem;margin:2rem auto;"
        "padding:0 1rem;color:#111;background:#fff}pre{white-space:pre-wrap;word-break:break-all}"
        "@media(prefers-color-scheme:dark){"
        "body{color:#f2f2f2;background:#111}a{color:#9cc3ff}}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def markdown_to_html(markdown: str) -> str:
    """The small Markdown subset our text files use: headings, lists, bold, code, links."""
    out: list[str] = []
    in_list = False
    for raw in markdown.splitlines():
        line = html.escape(raw.rstrip())
        line = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", line)
        line = re.sub(r"`(.+?)`", r"<code>\1</code>", line)
        line = re.sub(r"\[(.+?)\]\((.+?)\)", r"<a href='\2'>\1</a>", line)
        if line.startswith("- "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{line[2:]}</li>")
            continue
        if in_list and not line.startswith("  "):
            out.append("</ul>")
            in_list = False
        if line.startswith("## "):
            out.append(f"<h2>{line[3:]}</h2>")
        elif line.startswith("# "):
            out.append(f"<h1>{line[2:]}</h1>")
        elif line.strip():
            out.append(f"<p>{line.strip()}</p>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)
