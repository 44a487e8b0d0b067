"""Coordinator accounts in the SQL database (same URL as the conversation store).

Passwords are stored as bcrypt hashes only. Roles: coordinator (FAQ, providers, insight) and
admin (the same for now; reserved for account management).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import bcrypt
from sqlalchemy import Column, DateTime, MetaData, String, Table, create_engine, select, update

Role = Literal["coordinator", "admin"]
ROLES: tuple[Role, ...] = ("coordinator", "admin")
MIN_PASSWORD = 10

metadata = MetaData()
users_table = Table(
    "wegwijs_users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("password_hash", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True)),
)


@dataclass(frozen=True)
class User:
    name: str
    role: Role


class UserStore:
    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, future=True)
        metadata.create_all(self.engine)

    def save(self, name: str, password: str, role: Role) -> User:
        """Create the account, or set a new password and role when it exists."""
        if role not in ROLES:
            raise ValueError(f"onbekende rol '{role}' (kies uit: {', '.join(ROLES)})")
        if not name.strip() or len(name) > 64:
            raise ValueError("naam is leeg of te lang")
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"wachtwoord moet minstens {MIN_PASSWORD} tekens hebben")
        hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()
        row = {"name": name, "password_hash": hashed, "role": role}
        with self.engine.begin() as conn:
            exists = conn.execute(select(users_table.c.name).where(users_table.c.name == name))
            if exists.first():
                conn.execute(update(users_table).where(users_table.c.name == name).values(**row))
            else:
                conn.execute(users_table.insert().values(**row, created_at=datetime.now(UTC)))
        return User(name, role)

    def verify(self, name: str, password: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users_table).where(users_table.c.name == name)).first()
        if row is None:
            bcrypt.checkpw(b"x", _DUMMY)  # same work for unknown names: no user enumeration
            return None
        if not bcrypt.checkpw(password.encode(), row.password_hash.encode()):
            return None
        return User(row.name, row.role)

    def get(self, name: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users_table).where(users_table.c.name == name)).first()
        return User(row.name, row.role) if row else None

    def close(self) -> None:
        self.engine.dispose()


_DUMMY = bcrypt.hashpw(b"dummy-password", bcrypt.gensalt(rounds=4))
__all__ = ["ROLES", "Role", "User", "UserStore"]
