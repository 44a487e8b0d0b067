"""Coordinator accounts in the SQL database (same URL as the conversation store).

Passwords are stored as bcrypt hashes only. Roles: coordinator (FAQ, providers, insight) and
admin (the same for now; reserved for account management). `verify` and `save` hash with bcrypt
(~250 ms each): callers on the event loop run them in a thread. Each account has a session
version; every signed session carries it, and logout or a new password raises it, which ends
all sessions of that account on every replica.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Literal

import bcrypt
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    inspect,
    make_url,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine

from wegwijs.database import make_engine, prepare

Role = Literal["coordinator", "admin"]
ROLES: tuple[Role, ...] = ("coordinator", "admin")
MIN_PASSWORD = 10
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further; bcrypt 5 refuses longer input
ROUNDS = 12  # bcrypt cost for new hashes and for the dummy hash unknown names are checked against
TOO_LONG = (
    f"wachtwoord is te lang: hooguit {MAX_PASSWORD_BYTES} tekens "
    "(een letter met een accent, zoals é, telt als 2)"
)

metadata = MetaData()
users_table = Table(
    "wegwijs_users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("password_hash", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True)),
    Column("session_version", Integer, nullable=False, server_default="0"),
)


@dataclass(frozen=True)
class User:
    name: str
    role: Role


def password_too_long(password: str) -> bool:
    return len(password.encode()) > MAX_PASSWORD_BYTES


class UserStore:
    def __init__(self, url: str, rounds: int = ROUNDS) -> None:
        self.url = url
        self.rounds = rounds
        keep_private(url)
        self.engine = make_engine(url)  # hides parameters; a checked pool on PostgreSQL
        prepare(self.engine, metadata)
        if self.engine.dialect.name == "sqlite":
            add_session_version(self.engine)

    def save(self, name: str, password: str, role: Role) -> User:
        """Create the account, or set a new password and role when it exists (which also ends
        every session of that account)."""
        if role not in ROLES:
            raise ValueError(f"onbekende rol '{role}' (kies uit: {', '.join(ROLES)})")
        if not name.strip() or len(name) > 64:
            raise ValueError("naam is leeg of te lang")
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"wachtwoord moet minstens {MIN_PASSWORD} tekens hebben")
        if password_too_long(password):
            raise ValueError(TOO_LONG)
        hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(self.rounds)).decode()
        row = {"name": name, "password_hash": hashed, "role": role}
        with self.engine.begin() as conn:
            exists = conn.execute(select(users_table.c.name).where(users_table.c.name == name))
            if exists.first():
                version = users_table.c.session_version + 1
                conn.execute(
                    update(users_table)
                    .where(users_table.c.name == name)
                    .values(**row, session_version=version)
                )
            else:
                conn.execute(users_table.insert().values(**row, created_at=datetime.now(UTC)))
        return User(name, role)

    def verify(self, name: str, password: str) -> User | None:
        """One bcrypt check of the real cost, whether the name exists or not (no enumeration)."""
        if password_too_long(password):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(users_table).where(users_table.c.name == name)).first()
        hashed = row.password_hash.encode() if row is not None else self._dummy
        matches = bcrypt.checkpw(password.encode(), hashed)
        if row is None or not matches:
            return None
        return User(row.name, row.role)

    def session_version(self, name: str) -> int:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(users_table.c.session_version).where(users_table.c.name == name)
            ).first()
        return int(found[0]) if found else 0

    def current(self, name: str, version: int) -> User | None:
        """The account behind a session, if the session is still valid (same version)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(users_table).where(users_table.c.name == name)).first()
        if row is None or row.session_version != version:
            return None
        return User(row.name, row.role)

    def end_sessions(self, name: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(users_table)
                .where(users_table.c.name == name)
                .values(session_version=users_table.c.session_version + 1)
            )

    def get(self, name: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users_table).where(users_table.c.name == name)).first()
        return User(row.name, row.role) if row else None

    def close(self) -> None:
        self.engine.dispose()

    @cached_property
    def _dummy(self) -> bytes:
        return bcrypt.hashpw(b"no-such-account", bcrypt.gensalt(self.rounds))


def keep_private(url: str) -> None:
    """A SQLite file with password hashes: mode 0600, its folder 0700 when we create it."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database)
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    path.chmod(0o600)


def add_session_version(engine: Engine) -> None:
    """Databases made before sessions had versions get the column (0 for every account)."""
    columns = {c["name"] for c in inspect(engine).get_columns("wegwijs_users")}
    if "session_version" not in columns:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "ALTER TABLE wegwijs_users "
                    "ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0"
                )
            )


__all__ = ["ROLES", "Role", "User", "UserStore"]
