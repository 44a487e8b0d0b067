"""Which URLs may be a source and which may become a link in what a visitor sees.

A source URL (documents, cards, providers, gemeente contacts) is `https://` plus characters that
cannot end a Markdown link or start a new one: no whitespace, brackets, parentheses, angle
brackets, and no backslash (browsers read it as '/', Python does not, so the host could differ).
A link in the widget must also point at a host on the allowlist (see ui/render.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

SOURCE_URL = re.compile(r"^https://[^\s()<>\[\]\\]+$")


def is_source_url(url: str) -> bool:
    return host_of(url) is not None


def host_of(url: str) -> str | None:
    """The lower-case host of a valid source URL, else None (no user info, no empty host)."""
    if not SOURCE_URL.match(url) or not url.isprintable():
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if "@" in parts.netloc or not parts.hostname:
        return None
    return parts.hostname


class LinkAllowlist:
    """Hosts a link may point at: exact host names, compared in lower case."""

    def __init__(self, hosts: Iterable[str]) -> None:
        self.hosts = frozenset(host.strip().lower() for host in hosts if host.strip())

    def allows(self, url: str) -> bool:
        host = host_of(url)
        return host is not None and host in self.hosts

    def __or__(self, other: LinkAllowlist) -> LinkAllowlist:
        return LinkAllowlist(self.hosts | other.hosts)

    def __repr__(self) -> str:
        return f"LinkAllowlist({sorted(self.hosts)})"
