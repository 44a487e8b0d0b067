"""Contract tests: the SQL store and the in-memory store behave the same."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wegwijs.conversations import (
    ConversationStore,
    Exchange,
    Feedback,
    MemoryConversationStore,
    SqlConversationStore,
)


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConversationStore]:
    if request.param == "sqlite":
        yield SqlConversationStore(f"sqlite:///{tmp_path / 'c.db'}")
    else:
        yield MemoryConversationStore()


def _exchange(question: str, age: timedelta = timedelta(0)) -> Exchange:
    return Exchange(
        conversation_id="c1",
        question=question,
        answer="antwoord",
        route="answer",
        strategy="extractive",
        created_at=datetime.now(UTC) - age,
    )


def test_record_and_read_back(store: ConversationStore) -> None:
    exchange = _exchange("Hoe vraag ik hulp aan?")
    store.record(exchange)
    store.add_feedback(Feedback(exchange_id=exchange.id, value=0, comment="te vaag"))
    [read] = store.exchanges()
    assert read.question == "Hoe vraag ik hulp aan?" and read.id == exchange.id
    assert read.created_at.tzinfo is not None
    [feedback] = store.feedback()
    assert (feedback.exchange_id, feedback.value, feedback.comment) == (exchange.id, 0, "te vaag")


def test_purge_removes_only_what_is_past_retention(store: ConversationStore) -> None:
    old = _exchange("oud", age=timedelta(days=91))
    new = _exchange("nieuw", age=timedelta(days=1))
    store.record(old)
    store.record(new)
    store.add_feedback(Feedback(exchange_id=old.id, value=0))
    store.add_feedback(Feedback(exchange_id=new.id, value=1))
    assert store.purge(timedelta(days=90)) == 1
    assert [e.question for e in store.exchanges()] == ["nieuw"]
    assert [f.exchange_id for f in store.feedback()] == [new.id]


def test_since_filter(store: ConversationStore) -> None:
    store.record(_exchange("a", age=timedelta(days=3)))
    store.record(_exchange("b"))
    recent = store.exchanges(since=datetime.now(UTC) - timedelta(days=1))
    assert [e.question for e in recent] == ["b"]
