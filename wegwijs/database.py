"""SQL engines and schema for the stores (conversations, accounts, login throttle).

SQLite (the embedded default, tests): a connection per unit of work and tables made with
`create_all`. PostgreSQL (production, `postgresql+psycopg://`): a connection pool that checks a
connection before handing it out, and the schema from the Alembic migrations in
wegwijs/migrations (`alembic upgrade head`, run at start and by `wegwijs db upgrade`); never
`create_all`. Every engine hides statement parameters, so no question text reaches a log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import MetaData, create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool, QueuePool

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "wegwijs_schema_version"  # Alembic's own table, named like ours
POOL_SIZE = 5
MAX_OVERFLOW = 10
# pg_advisory_xact_lock key: replicas starting together run the migrations one at a time.
MIGRATION_LOCK = 9_347_017
# pg_advisory_lock key: replicas that share an index ingest the corpus one at a time.
INGEST_LOCK = 9_347_018


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str) -> Engine:
    """An engine for `url` (hide_parameters: an error never carries a question's text)."""
    if is_sqlite(url):
        # A connection per unit of work (NullPool), so a database file that was removed or
        # restored is picked up at once instead of through a pooled handle to the old file.
        memory = make_url(url).database in (None, "", ":memory:")
        options = {} if memory else {"poolclass": NullPool}
        engine = create_engine(url, hide_parameters=True, **options)
        event.listen(engine, "connect", _sqlite_busy_timeout)
        return engine
    return create_engine(
        url,
        hide_parameters=True,
        poolclass=QueuePool,
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
        pool_pre_ping=True,  # a connection the server closed is replaced, not handed out
    )


def prepare(engine: Engine, metadata: MetaData) -> None:
    """Make the tables `metadata` describes: `create_all` on SQLite, migrations elsewhere."""
    if engine.dialect.name == "sqlite":
        metadata.create_all(engine)
    else:
        upgrade(engine)


def upgrade(engine: Engine) -> None:
    """`alembic upgrade head` on `engine`'s database, in one transaction under a lock."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def is_server(url: str) -> bool:
    """A database server the replicas share (not SQLite, not the in-process test store)."""
    return url != "memory" and not is_sqlite(url)


@contextmanager
def advisory_lock(engine: Engine, key: int, wait: bool = False) -> Iterator[bool]:
    """A PostgreSQL session-level advisory lock on one connection, held until the block ends
    (or the connection drops). `wait=False`: yields False at once when another session holds
    it. On other databases there is nothing to share: always True."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as conn:
        if wait:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            got = True
        else:
            tried = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
            got = bool(tried.scalar())
        conn.commit()  # idle between statements, not idle in a transaction, while held
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                conn.commit()


def _sqlite_busy_timeout(dbapi_connection: object, _record: object) -> None:
    """Wait at most 2 s for a lock (the default 5 s holds a reply that long)."""
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA busy_timeout = 2000")
    cursor.close()
