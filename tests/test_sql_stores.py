"""The SQL side of the stores on SQLite and on a real PostgreSQL (tests/pg_server.py): accounts,
sessions, login attempts, message links, the migrations, the pool, and the production profile's
URL form."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from tests import pg_server
from tests.pg_server import PostgresServer
from ui.coordinator import throttle, users
from ui.coordinator.throttle import LoginThrottle
from ui.coordinator.users import User, UserStore
from wegwijs import conversations
from wegwijs.config import Settings
from wegwijs.conversations import Exchange, Feedback, SqlConversationStore
from wegwijs.database import VERSION_TABLE, make_engine, upgrade

PASSWORD = "een-lang-wachtwoord"
postgres = pytest.mark.postgres


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path / 'wegwijs.db'}"


@pytest.fixture
def accounts(url: str) -> Iterator[UserStore]:
    store = UserStore(url, rounds=4)
    yield store
    store.close()


def test_accounts_sessions_and_password_reset(accounts: UserStore) -> None:
    accounts.save("anna", PASSWORD, "admin")
    assert accounts.verify("anna", PASSWORD) == User("anna", "admin")
    assert accounts.verify("anna", "fout-wachtwoord") is None
    assert accounts.verify("bert", PASSWORD) is None
    with accounts.engine.connect() as conn:
        stored = conn.execute(text("select password_hash from wegwijs_users")).scalar_one()
    assert PASSWORD not in stored and stored.startswith("$2")
    version = accounts.session_version("anna")
    assert accounts.current("anna", version) == User("anna", "admin")
    accounts.end_sessions("anna")  # logout
    assert accounts.current("anna", version) is None
    assert accounts.session_version("anna") == version + 1
    accounts.save("anna", "een-nieuw-wachtwoord", "coordinator")  # a new password
    assert accounts.session_version("anna") == version + 2
    assert accounts.get("anna") == User("anna", "coordinator")
    assert accounts.verify("anna", PASSWORD) is None


def test_login_attempts_are_shared_between_replicas(accounts: UserStore) -> None:
    mine = LoginThrottle(accounts.engine, per_account=2, per_ip=3, window_seconds=60)
    other = UserStore(accounts.url, rounds=4)
    replica = LoginThrottle(other.engine, per_account=2, per_ip=3, window_seconds=60)
    assert [mine.attempt("anna", "10.0.0.1", now=100.0) for _ in range(2)] == [0, 0]
    assert replica.attempt("anna", "10.0.0.2", now=110.0) == 50  # the third, on the other one
    assert replica.wait_for("anna", now=110.0) == 50 and mine.wait_for("bert", now=110.0) == 0
    assert mine.attempt("bert", "10.0.0.1", now=120.0) == 0
    assert mine.attempt("carla", "10.0.0.1", now=120.0) == 40  # the 4th from that address
    mine.succeeded("anna")
    assert replica.wait_for("anna", now=120.0) == 0
    assert mine.wait_for(address="10.0.0.1", now=161.0) == 0  # the window has passed
    other.close()


def test_a_message_link_made_by_one_replica_is_seen_by_another(url: str) -> None:
    replica_a, replica_b = SqlConversationStore(url), SqlConversationStore(url)
    exchange = Exchange("c1", "Wat is respijtzorg?", "antwoord", "answer", "card")
    replica_a.record(exchange)
    replica_a.link("msg-1", exchange.id)
    replica_a.link("msg-1", exchange.id)  # linked again: still one row
    assert replica_b.exchange_for("msg-1") == exchange.id
    replica_b.add_feedback(Feedback(exchange.id, 0, "te vaag"))
    assert [(f.exchange_id, f.comment) for f in replica_a.feedback()] == [(exchange.id, "te vaag")]
    assert replica_b.erase("c1") == 1
    assert replica_a.exchange_for("msg-1") is None  # erasure takes the link too
    for store in (replica_a, replica_b):
        store.engine.dispose()


def test_the_account_store_keeps_parameters_out_of_errors(accounts: UserStore) -> None:
    """Issue 11: only the conversation store's engine hid parameters; the accounts' engine put
    a statement's values (here a password hash) into its error text."""
    row = {"name": "anna", "password_hash": "geheime-hash-waarde", "role": "admin"}
    with accounts.engine.begin() as conn:
        conn.execute(users.users_table.insert().values(**row))
    with pytest.raises(SQLAlchemyError) as caught, accounts.engine.begin() as conn:
        conn.execute(users.users_table.insert().values(**row))  # the same name twice
    assert "geheime-hash-waarde" not in str(caught.value)


def test_a_missing_postgresql_is_a_failure_not_a_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pg_server, "server_binaries", lambda: None)
    with (
        pytest.raises(pytest.fail.Exception, match="make system-packages"),
        pg_server.running_server(),
    ):
        pass


# PostgreSQL only: the schema from the migrations, the pool, the production profile.


def _all_tables() -> MetaData:
    combined = MetaData()
    for module in (conversations, users, throttle):
        for table in module.metadata.tables.values():
            table.to_metadata(combined)
    return combined


@postgres
def test_postgres_schema_comes_from_the_migrations_and_matches_the_code(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("create_all on PostgreSQL: the migrations make the schema")

    monkeypatch.setattr(MetaData, "create_all", refused)
    store = SqlConversationStore(postgres_url)
    accounts = UserStore(postgres_url, rounds=4)
    LoginThrottle(accounts.engine)
    upgrade(store.engine)  # again: nothing to do
    with store.engine.connect() as conn:
        version = conn.execute(text(f"select version_num from {VERSION_TABLE}"))
        assert version.scalar_one() == "0001"
        migrated = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(migrated, _all_tables()) == []
    store.engine.dispose()
    accounts.close()


@postgres
def test_replicas_starting_together_migrate_once(postgres_url: str) -> None:
    async def start_four() -> None:
        await asyncio.gather(
            *(asyncio.to_thread(SqlConversationStore, postgres_url) for _ in range(4))
        )

    asyncio.run(start_four())
    engine = make_engine(postgres_url)
    with engine.connect() as conn:
        assert conn.execute(text(f"select count(*) from {VERSION_TABLE}")).scalar() == 1
    engine.dispose()


@postgres
def test_a_connection_the_server_dropped_is_replaced_by_the_pool(postgres_url: str) -> None:
    store = SqlConversationStore(postgres_url)
    store.record(Exchange("c1", "eerste", "", "answer", "faq"))  # a pooled connection now
    killer = make_engine(postgres_url)
    with killer.connect() as conn:
        ended = conn.execute(
            text(
                "select count(pg_terminate_backend(pid)) from pg_stat_activity "
                "where datname = current_database() and pid <> pg_backend_pid()"
            )
        ).scalar()
    assert ended and ended >= 1
    store.record(Exchange("c1", "tweede", "", "answer", "faq"))  # no error: pre-ping
    assert [e.question for e in store.exchanges()] == ["eerste", "tweede"]
    killer.dispose()
    store.engine.dispose()


@postgres
def test_the_production_profile_uses_psycopg_and_its_url_works(
    postgres_server: PostgresServer, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11: the production profile asked for postgresql+asyncpg (not installed, and the
    engine is synchronous): no message was stored and coordinator login returned 500."""
    monkeypatch.setenv("WEGWIJS_PROFILE", "production")
    monkeypatch.delenv("WEGWIJS_STORE__DATABASE_URL", raising=False)
    production = make_url(Settings().database_url)
    assert production.drivername == "postgresql+psycopg"
    test_database = make_url(postgres_url)
    url = production.set(
        host="127.0.0.1",
        port=postgres_server.port,
        database=test_database.database,
        username=test_database.username,
    ).render_as_string(hide_password=False)
    store = SqlConversationStore(url)
    exchange = Exchange("c1", "Hoe vraag ik respijtzorg aan?", "antwoord", "answer", "card")
    store.record(exchange)
    assert [e.id for e in store.exchanges()] == [exchange.id]
    accounts = UserStore(url, rounds=4)
    accounts.save("anna", PASSWORD, "coordinator")
    assert accounts.verify("anna", PASSWORD) == User("anna", "coordinator")
    store.engine.dispose()
    accounts.close()


@postgres
def test_wegwijs_db_upgrade_migrates_the_configured_database(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from wegwijs.cli import app

    monkeypatch.setenv("WEGWIJS_STORE__DATABASE_URL", postgres_url)
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0 and "Schema bijgewerkt" in result.output, result.output
    engine = make_engine(postgres_url)
    with engine.connect() as conn:
        assert conn.execute(text(f"select version_num from {VERSION_TABLE}")).scalar() == "0001"
        assert conn.execute(text("select count(*) from wegwijs_users")).scalar() == 0
    engine.dispose()
