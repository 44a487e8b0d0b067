"""The conversation and feedback store: redacted text only, deleted after the retention period.

SQLite under the data dir in the embedded default, PostgreSQL in production (any SQLAlchemy
URL); an in-memory implementation for tests. Both pass the same contract tests.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

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
    create_engine,
    delete,
    insert,
    select,
)


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


class MemoryConversationStore:
    def __init__(self) -> None:
        self._exchanges: list[Exchange] = []
        self._feedback: list[Feedback] = []

    def record(self, exchange: Exchange) -> None:
        self._exchanges.append(exchange)

    def add_feedback(self, feedback: Feedback) -> None:
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
        return len(old)


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


class SqlConversationStore:
    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, future=True)
        metadata.create_all(self.engine)

    def record(self, exchange: Exchange) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(exchanges_table).values(**exchange.__dict__))

    def add_feedback(self, feedback: Feedback) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(feedback_table).values(**feedback.__dict__))

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
            conn.execute(delete(feedback_table).where(feedback_table.c.created_at < cutoff))
            result = conn.execute(
                delete(exchanges_table).where(exchanges_table.c.created_at < cutoff)
            )
        return int(result.rowcount or 0)


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
