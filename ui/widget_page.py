"""The widget's page without third parties: no visitor's browser talks to Google or a CDN.

Chainlit's `index.html` links Google Fonts (with preconnects) and the KaTeX stylesheet on
jsDelivr, and its embeddable widget (`/copilot/index.js`) adds Google Fonts unless
`public/theme.json` names other fonts. Under the AVG a care service may not hand its visitors'
IP addresses to those parties, so:

- the page Chainlit builds (`chainlit.server.get_html_template`, used for every page path) is
  passed through `without_third_parties`: every `<link>` and `<script src>` to another host is
  removed, and a Content-Security-Policy meta tag lets the page load nothing from elsewhere
  (no images either: the last line of defence against a tracking pixel in an answer);
- `ui/public/theme.json` names one font stylesheet, an inline `data:` URL that sets the system
  font stack, so the embedded widget loads no web font either.

Fonts: the visitor's own system font (system-ui). KaTeX's stylesheet is not needed: LaTeX is
off in `.chainlit/config.toml`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import chainlit.server

# Chainlit compiles custom elements (the crisis card) in the browser: 'unsafe-eval' is needed.
CSP = (
    "default-src 'self'; "
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline' data:; "
    "font-src 'self' data:; "
    "img-src 'self' data: blob:; "
    "media-src 'self' data: blob:; "
    "connect-src 'self' ws: wss:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'"
)
_EXTERNAL_TAG = re.compile(
    r"<link\b[^>]*\bhref=[\"']?(?:https?:)?//[^>]*>\s*"
    r"|<script\b[^>]*\bsrc=[\"']?(?:https?:)?//[^>]*>\s*</script>\s*",
    re.IGNORECASE,
)


def without_third_parties(page: str) -> str:
    """The page with every stylesheet, preconnect or script from another host removed and a
    Content-Security-Policy that allows only this server."""
    page = _EXTERNAL_TAG.sub("", page)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP}" />'
    return page.replace("<head>", f"<head>\n    {meta}", 1)


def install() -> None:
    """Wrap Chainlit's page builder once (Chainlit's `serve` looks it up at each request)."""
    original: Callable[..., Any] = chainlit.server.get_html_template
    if getattr(original, "wegwijs_wrapped", False):
        return

    def get_html_template(root_path: str) -> str:
        return without_third_parties(original(root_path))

    get_html_template.wegwijs_wrapped = True  # type: ignore[attr-defined]
    get_html_template.wegwijs_original = original  # type: ignore[attr-defined]
    chainlit.server.get_html_template = get_html_template
