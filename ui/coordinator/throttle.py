"""Login throttle: at most `per_account` attempts per account name and `per_ip` per client
address in a fixed window. Every attempt counts (a refused one too) and is counted before the
password is checked, so parallel guesses cannot slip through together.

The counters are rows in the SQL database of the accounts, so all replicas share them. Keys are
SHA-256 hashes: a password typed into the name field is not stored.
"""

from __future__ import annotations

import hashlib
import math
import time

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, delete, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from wegwijs.database import prepare

PER_ACCOUNT = 5
PER_IP = 20
WINDOW_SECONDS = 900

metadata = MetaData()
attempts_table = Table(
    "wegwijs_login_attempts",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("window_start", Float, nullable=False),
    Column("attempts", Integer, nullable=False),
)


def _key(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.encode('utf-8', 'replace')).hexdigest()}"


class LoginThrottle:
    def __init__(
        self,
        engine: Engine,
        per_account: int = PER_ACCOUNT,
        per_ip: int = PER_IP,
        window_seconds: int = WINDOW_SECONDS,
    ) -> None:
        self.engine = engine
        self.limits = {"user": per_account, "ip": per_ip}
        self.window = window_seconds
        prepare(engine, metadata)

    def attempt(self, account: str, address: str, now: float | None = None) -> int:
        """Count one attempt; the seconds to wait if the account or address is over its limit,
        else 0. Blocking (SQL): call it from a thread."""
        now = time.time() if now is None else now
        waits = [self._count(_key("user", account), "user", now)]
        waits.append(self._count(_key("ip", address), "ip", now))
        return max(waits)

    def wait_for(self, account: str = "", address: str = "", now: float | None = None) -> int:
        """The seconds to wait, without counting an attempt."""
        now = time.time() if now is None else now
        waits = [0]
        with self.engine.connect() as conn:
            for kind, value in (("user", account), ("ip", address)):
                if value:
                    waits.append(self._wait(conn, _key(kind, value), kind, now))
        return max(waits)

    def succeeded(self, account: str) -> None:
        """A good password clears the account's counter (not the address's)."""
        with self.engine.begin() as conn:
            conn.execute(
                delete(attempts_table).where(attempts_table.c.key == _key("user", account))
            )

    def _count(self, key: str, kind: str, now: float) -> int:
        table = attempts_table
        for last_try in (False, True):
            try:
                with self.engine.begin() as conn:
                    conn.execute(delete(table).where(table.c.window_start <= now - self.window))
                    bumped = conn.execute(
                        update(table)
                        .where(table.c.key == key)
                        .values(attempts=table.c.attempts + 1)
                    )
                    if bumped.rowcount == 0:
                        conn.execute(table.insert().values(key=key, window_start=now, attempts=1))
                    return self._wait(conn, key, kind, now)
            except IntegrityError:  # another replica inserted the same key just now
                if last_try:
                    raise
        raise AssertionError("unreachable")

    def _wait(self, conn: Connection, key: str, kind: str, now: float) -> int:
        table = attempts_table
        row = conn.execute(
            select(table.c.window_start, table.c.attempts).where(table.c.key == key)
        ).first()
        if (
            row is None
            or row.attempts <= self.limits[kind]
            or row.window_start <= now - self.window
        ):
            return 0
        return max(1, math.ceil(row.window_start + self.window - now))
