"""CSRF tokens for the coordinator forms (next to the Origin check in ui.coordinator.guard).

Signed in, the token is an HMAC of the session cookie: new at every login, dead with the session.
The login form has no session yet: a random nonce goes into a cookie and its HMAC into the form
(a signed double submit), so a token taken from another browser does not fit. The token of the
current request is kept in a context variable for `layout.csrf_field`.
"""

from __future__ import annotations

import hmac
import secrets
from contextvars import ContextVar

from ui.coordinator.session import SessionSigner

FIELD = "csrf"
LOGIN_COOKIE = "wegwijs_login_csrf"
current: ContextVar[str] = ContextVar("wegwijs_csrf_token", default="")


def session_token(signer: SessionSigner, session_cookie: str) -> str:
    return signer.mac(f"csrf|session|{session_cookie}")


def login_token(signer: SessionSigner, nonce: str) -> str:
    return signer.mac(f"csrf|login|{nonce}")


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def matches(expected: str, given: object) -> bool:
    if not expected or not isinstance(given, str) or not given.isascii():
        return False
    return hmac.compare_digest(expected, given)
