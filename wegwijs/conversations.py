"""The conversation and feedback store: redacted text only, deleted after the retention period.

SQLite under the data dir in the embedded default, PostgreSQL in production (any SQLAlchemy
URL); an in-memory implementation for tests. Both pass the same contract tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from wegwijs.database import make_engine, prepare

T = TypeVar("T")


@dataclass(frozen=True)
class Exchange:
    """One question and its answer, as stored. Every text here is already redacted."""

    conversation_id: str
    question: str
    answer: str
    route: str
    strategy: str
    crisis_kind: str | None = None
    low_confidence: bool = False
    latency_ms: float = 0.0
    citations: str = ""  # doc ids, comma-separated
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class Feedback:
    exchange_id: str
    value: int  # 1 thumbs up, 0 thumbs down
    comment: str = ""  # redacted
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class ConversationStore(Protocol):
    def record(self, exchange: Exchange) -> None: ...
    def add_feedback(self, feedback: Feedback) -> None: ...
    def exchanges(self, since: datetime | None = None) -> list[Exchange]: ...
    def feedback(self) -> list[Feedback]: ...
    def purge(self, older_than: timedelta) -> int: ...
    def erase(self, conversation_id: str) -> int: ...
    def link(self, message_id: str, exchange_id: str) -> None: ...
    def exchange_for(self, message_id: str) -> str | None: ...


class MemoryConversationStore:
    def __init__(self) -> None:
        self._exchanges: list[Exchange] = []
        self._feedback: list[Feedback] = []
        self._links: dict[str, str] = {}

    def record(self, exchange: Exchange) -> None:
        self._exchanges.append(exchange)

    def add_feedback(self, feedback: Feedback) -> None:
        """One feedback per answer: a second one replaces the first."""
        self._feedback = [f for f in self._feedback if f.exchange_id != feedback.exchange_id]
        self._feedback.append(feedback)

    def exchanges(self, since: datetime | None = None) -> list[Exchange]:
        return [e for e in self._exchanges if since is None or e.created_at >= since]

    def feedback(self) -> list[Feedback]:
        return list(self._feedback)

    def purge(self, older_than: timedelta) -> int:
        cutoff = datetime.now(UTC) - older_than
        old = {e.id for e in self._exchanges if e.created_at < cutoff}
        self._exchanges = [e for e in self._exchanges if e.id not in old]
        self._feedback = [
            f for f in self._feedback if f.exchange_id not in old and f.created_at >= cutoff
        ]
        self._links = {m: e for m, e in self._links.items() if e not in old}
        return len(old)

    def erase(self, conversation_id: str) -> int:
        gone = {e.id for e in self._exchanges if e.conversation_id == conversation_id}
        self._exchanges = [e for e in self._exchanges if e.id not in gone]
        self._feedback = [f for f in self._feedback if f.exchange_id not in gone]
        self._links = {m: e for m, e in self._links.items() if e not in gone}
        return len(gone)

    def link(self, message_id: str, exchange_id: str) -> None:
        self._links[message_id] = exchange_id

    def exchange_for(self, message_id: str) -> str | None:
        return self._links.get(message_id)


metadata = MetaData()
exchanges_table = Table(
    "wegwijs_exchanges",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("conversation_id", String(64), index=True),
    Column("created_at", DateTime(timezone=True), index=True),
    Column("question", Text),
    Column("answer", Text),
    Column("route", String(32)),
    Column("strategy", String(32)),
    Column("crisis_kind", String(32), nullable=True),
    Column("low_confidence", Boolean),
    Column("latency_ms", Float),
    Column("citations", Text),
)
feedback_table = Table(
    "wegwijs_feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("exchange_id", String(32), index=True),
    Column("created_at", DateTime(timezone=True)),
    Column("value", Integer),
    Column("comment", Text),
)
# Which widget message shows which exchange (for feedback): in the database, not in a
# process, so feedback given through one app replica finds an answer made by another.
links_table = Table(
    "wegwijs_message_links",
    metadata,
    Column("message_id", String(64), primary_key=True),
    Column("exchange_id", String(32), index=True),
)


class SqlConversationStore:
    def __init__(self, url: str) -> None:
        # SQLite: a connection per unit of work, tables made here. PostgreSQL: a pool, the
        # schema from the migrations (wegwijs.database).
        self.engine = make_engine(url)
        self.sqlite = self.engine.dialect.name == "sqlite"
        prepare(self.engine, metadata)

    def _write(self, work: Callable[[Connection], T]) -> T:
        """One transaction; when the SQLite tables are gone (the file was removed), they are
        made again and the work is retried once: the store recovers by itself."""
        try:
            with self.engine.begin() as conn:
                return work(conn)
        except OperationalError as exc:
            if not self.sqlite or "no such table" not in str(exc.orig):
                raise
            metadata.create_all(self.engine)
            with self.engine.begin() as conn:
                return work(conn)

    def record(self, exchange: Exchange) -> None:
        self._write(lambda conn: conn.execute(insert(exchanges_table).values(**exchange.__dict__)))

    def add_feedback(self, feedback: Feedback) -> None:
        """One feedback per answer: a second one replaces the first."""

        def replace(conn: Connection) -> None:
            same = feedback_table.c.exchange_id == feedback.exchange_id
            conn.execute(delete(feedback_table).where(same))
            conn.execute(insert(feedback_table).values(**feedback.__dict__))

        self._write(replace)

    def exchanges(self, since: datetime | None = None) -> list[Exchange]:
        query = select(exchanges_table).order_by(exchanges_table.c.created_at)
        if since is not None:
            query = query.where(exchanges_table.c.created_at >= since)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [Exchange(**{**row, "created_at": _aware(row["created_at"])}) for row in rows]

    def feedback(self) -> list[Feedback]:
        query = select(
            feedback_table.c.exchange_id,
            feedback_table.c.value,
            feedback_table.c.comment,
            feedback_table.c.created_at,
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [Feedback(**{**row, "created_at": _aware(row["created_at"])}) for row in rows]

    def purge(self, older_than: timedelta) -> int:
        cutoff = datetime.now(UTC) - older_than
        with self.engine.begin() as conn:
            old = select(exchanges_table.c.id).where(exchanges_table.c.created_at < cutoff)
            conn.execute(delete(feedback_table).where(feedback_table.c.exchange_id.in_(old)))
            conn.execute(delete(links_table).where(links_table.c.exchange_id.in_(old)))
            conn.execute(delete(feedback_table).where(feedback_table.c.created_at < cutoff))
            result = conn.execute(
                delete(exchanges_table).where(exchanges_table.c.created_at < cutoff)
            )
        return int(result.rowcount or 0)

    def erase(self, conversation_id: str) -> int:
        """Remove one conversation and its feedback (a visitor's request); returns exchanges."""
        with self.engine.begin() as conn:
            ids = select(exchanges_table.c.id).where(
                exchanges_table.c.conversation_id == conversation_id
            )
            conn.execute(delete(feedback_table).where(feedback_table.c.exchange_id.in_(ids)))
            conn.execute(delete(links_table).where(links_table.c.exchange_id.in_(ids)))
            result = conn.execute(
                delete(exchanges_table).where(exchanges_table.c.conversation_id == conversation_id)
            )
        return int(result.rowcount or 0)

    def link(self, message_id: str, exchange_id: str) -> None:
        def upsert(conn: Connection) -> None:
            conn.execute(delete(links_table).where(links_table.c.message_id == message_id))
            conn.execute(insert(links_table).values(message_id=message_id, exchange_id=exchange_id))

        self._write(upsert)

    def exchange_for(self, message_id: str) -> str | None:
        query = select(links_table.c.exchange_id).where(links_table.c.message_id == message_id)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one_or_none()


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
