"""Signed session cookies (HMAC-SHA256 over name, session version and expiry) for the
coordinator pages. The account's current session version is checked on every request
(`UserStore.current`), so logout and a new password end a session before it expires.

The secret is `ui.session_secret` (WEGWIJS_UI__SESSION_SECRET, from the deployment's secret, the
same for every replica), else `<data_dir>/session.key`, created once with 32 random bytes (mode
0600) for a single process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from ui.coordinator.users import User

COOKIE = "wegwijs_coordinator"
LIFETIME_SECONDS = 8 * 3600


def load_secret(data_dir: Path) -> bytes:
    path = data_dir / "session.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return path.read_bytes()


@dataclass(frozen=True)
class Session:
    name: str
    version: int


class SessionSigner:
    def __init__(self, secret: bytes, lifetime: int = LIFETIME_SECONDS) -> None:
        if len(secret) < 16:
            raise ValueError("session secret is too short")
        self.secret = secret
        self.lifetime = lifetime

    def sign(self, user: User, version: int, now: float | None = None) -> str:
        expires = int((now or time.time()) + self.lifetime)
        body = json.dumps({"n": user.name, "v": version, "e": expires}, separators=(",", ":"))
        payload = base64.urlsafe_b64encode(body.encode()).decode()
        return f"{payload}.{self.mac(payload)}"

    def read(self, cookie: str, now: float | None = None) -> Session | None:
        """The session in a cookie, or None for anything else (tampered, expired, not ASCII)."""
        payload, _, mac = cookie.partition(".")
        if not payload or not cookie.isascii() or not hmac.compare_digest(mac, self.mac(payload)):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload.encode()))
            name, version, expires = str(data["n"]), int(data["v"]), float(data["e"])
        except (ValueError, TypeError, KeyError):
            return None
        if expires < (now or time.time()):
            return None
        return Session(name, version)

    def mac(self, payload: str) -> str:
        """HMAC-SHA256 with the session secret; also signs the CSRF tokens (ui.coordinator.csrf)."""
        return hmac.new(self.secret, payload.encode(), hashlib.sha256).hexdigest()
