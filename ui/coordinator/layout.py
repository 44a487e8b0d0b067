"""The HTML frame of the coordinator pages: lang="nl", labelled forms, contrast in dark mode.

Every value from outside (FAQ text, questions, CSV rows) goes through `esc` before it is shown.
Every POST form carries `csrf_field()`; the pages have no script and one style element, allowed
by its hash in the Content-Security-Policy (ui.coordinator.guard).
"""

from __future__ import annotations

import base64
import hashlib
import html

from ui.coordinator import csrf

NAV = (
    ("/wegwijs/coordinator/faq", "FAQ"),
    ("/wegwijs/coordinator/providers", "Aanbieders"),
    ("/wegwijs/coordinator/insight", "Inzicht"),
    ("/wegwijs/coordinator/erase", "Gesprek wissen"),
)

STYLE = """
:root{color-scheme:light dark;--fg:#111;--bg:#fff;--muted:#444;--line:#999;--link:#0b4fc2;
--warn-bg:#fff4cc;--warn-fg:#4a3800;--bad-bg:#ffe1e1;--bad-fg:#5c0000;--ok-bg:#e3f6e3;
--ok-fg:#0d3d0d;--bar:#2f5fb3}
@media(prefers-color-scheme:dark){:root{--fg:#f2f2f2;--bg:#121212;--muted:#c8c8c8;--line:#777;
--link:#9cc3ff;--warn-bg:#4a3800;--warn-fg:#fff4cc;--bad-bg:#5c0000;--bad-fg:#ffe1e1;
--ok-bg:#0d3d0d;--ok-fg:#e3f6e3;--bar:#8fb4ff}}
body{font:18px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0}
main{max-width:60rem;margin:0 auto;padding:1rem}
a{color:var(--link)} nav{border-bottom:1px solid var(--line);padding:.5rem 1rem}
nav a{margin-right:1rem} .skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem}
table{border-collapse:collapse;width:100%} td,th{border:1px solid var(--line);padding:.4rem;
text-align:left;vertical-align:top}
label{display:block;font-weight:600;margin-top:.8rem}
input,textarea,select,button{font:inherit;color:var(--fg);background:var(--bg);
border:1px solid var(--line);padding:.4rem;max-width:100%}
textarea{width:100%} button{cursor:pointer;font-weight:600;margin-top:.8rem}
:focus-visible{outline:3px solid var(--link);outline-offset:2px}
.warn{background:var(--warn-bg);color:var(--warn-fg)} .bad{background:var(--bad-bg);
color:var(--bad-fg)} .ok{background:var(--ok-bg);color:var(--ok-fg)}
.box{padding:.6rem;margin:.6rem 0;border-radius:4px} .muted{color:var(--muted)}
svg text{fill:var(--fg);font-size:12px} svg .bar{fill:var(--bar)} .inline{display:inline}
"""
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def csrf_field() -> str:
    """The hidden CSRF field for a POST form on a signed-in page (token of this request)."""
    return f"<input type='hidden' name='{csrf.FIELD}' value='{esc(csrf.current.get())}'>"


def page(title: str, body: str, user_name: str | None = None) -> str:
    nav = ""
    if user_name:
        links = "".join(f"<a href='{href}'>{esc(label)}</a>" for href, label in NAV)
        nav = (
            f"<nav aria-label='Hoofdmenu'>{links}<span class='muted'>Ingelogd als "
            f"{esc(user_name)}</span> <form method='post' action='/wegwijs/coordinator/logout' "
            f"class='inline'>{csrf_field()}<button type='submit'>Uitloggen</button></form></nav>"
        )
    return (
        "<!doctype html><html lang='nl'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title)} – Wegwijs coördinator</title><style>{STYLE}</style></head><body>"
        "<a class='skip' href='#inhoud'>Naar de inhoud</a>"
        f"{nav}<main id='inhoud'><h1>{esc(title)}</h1>{body}</main></body></html>"
    )


def messages(items: list[str], kind: str) -> str:
    if not items:
        return ""
    role = "alert" if kind == "bad" else "status"
    lines = "".join(f"<li>{esc(item)}</li>" for item in items)
    return f"<div class='box {kind}' role='{role}'><ul>{lines}</ul></div>"
