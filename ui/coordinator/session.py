"""Signed session cookies (HMAC-SHA256 over name, role and expiry) for the coordinator pages.

The secret is `<data_dir>/session.key`, created once with 32 random bytes (mode 0600). All
replicas of a deployment must share it (mount the same file).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path

from ui.coordinator.users import ROLES, User

COOKIE = "wegwijs_coordinator"
LIFETIME_SECONDS = 8 * 3600


def load_secret(data_dir: Path) -> bytes:
    path = data_dir / "session.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return path.read_bytes()


class SessionSigner:
    def __init__(self, secret: bytes, lifetime: int = LIFETIME_SECONDS) -> None:
        if len(secret) < 16:
            raise ValueError("session secret is too short")
        self.secret = secret
        self.lifetime = lifetime

    def sign(self, user: User, now: float | None = None) -> str:
        expires = int((now or time.time()) + self.lifetime)
        body = json.dumps({"n": user.name, "r": user.role, "e": expires}, separators=(",", ":"))
        payload = base64.urlsafe_b64encode(body.encode()).decode()
        return f"{payload}.{self._mac(payload)}"

    def read(self, cookie: str, now: float | None = None) -> User | None:
        payload, _, mac = cookie.partition(".")
        if not payload or not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload.encode()))
        except ValueError:
            return None
        if data.get("e", 0) < (now or time.time()) or data.get("r") not in ROLES:
            return None
        return User(str(data["n"]), data["r"])

    def _mac(self, payload: str) -> str:
        return hmac.new(self.secret, payload.encode(), hashlib.sha256).hexdigest()
