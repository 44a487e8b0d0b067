"""Contract tests: the SQL store (SQLite and a real PostgreSQL) and the in-memory store behave
the same."""

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


@pytest.fixture(params=["sqlite", "memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConversationStore]:
    if request.param == "sqlite":
        yield SqlConversationStore(f"sqlite:///{tmp_path / 'c.db'}")
    elif request.param == "postgres":
        store = SqlConversationStore(request.getfixturevalue("postgres_url"))
        yield store
        store.engine.dispose()
    else:
        yield MemoryConversationStore()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path / 'c.db'}"


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


def test_erase_removes_one_conversation_and_its_feedback(store: ConversationStore) -> None:
    mine = _exchange("Mag ik mijn gesprek laten wissen?")
    other = Exchange("c2", "Andere vraag", "antwoord", "answer", "faq")
    for exchange in (mine, other):
        store.record(exchange)
        store.add_feedback(Feedback(exchange.id, 1, "top"))
    assert store.erase("c1") == 1
    assert [e.id for e in store.exchanges()] == [other.id]
    assert [f.exchange_id for f in store.feedback()] == [other.id]
    assert store.erase("c1") == 0


def test_feedback_is_one_per_answer_the_last_one_counts(store: ConversationStore) -> None:
    """Issue 12: feedback could be posted any number of times for the same answer."""
    exchange = _exchange("Hoe vraag ik hulp aan?")
    store.record(exchange)
    for value in (1, 0, 1, 0):
        store.add_feedback(Feedback(exchange.id, value))
    assert [(f.exchange_id, f.value) for f in store.feedback()] == [(exchange.id, 0)]


def test_a_database_error_carries_no_question_text(sql_url: str) -> None:
    """Issue 12: SQLAlchemy put the statement's parameters (the question) in its error text."""
    from sqlalchemy.exc import SQLAlchemyError

    store = SqlConversationStore(sql_url)
    exchange = _exchange("Mijn buurman Jan Jansen valt steeds")
    store.record(exchange)
    with pytest.raises(SQLAlchemyError) as caught:
        store.record(exchange)  # the same primary key twice
    assert "Jansen" not in str(caught.value)


def test_wegwijs_erase_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from wegwijs.cli import app

    monkeypatch.setenv("WEGWIJS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WEGWIJS_STORE__DATABASE_URL", "")
    from wegwijs.config import load_settings

    store = SqlConversationStore(load_settings().database_url)
    store.record(_exchange("Wis dit alstublieft"))
    result = CliRunner().invoke(app, ["erase", "--conversation", "c1"])
    assert result.exit_code == 0 and "1 berichten gewist" in result.output
    assert store.exchanges() == []
    again = CliRunner().invoke(app, ["erase", "--conversation", "c1"])
    assert again.exit_code == 1 and "Geen gesprek" in again.output
